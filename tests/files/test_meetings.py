"""Meetings from a calendar (.ics, as Outlook and Google Calendar export it) logged as contacts
with the account's people, and the plan items they fulfil moved on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import Database, open_database
from kam.files import meetings
from kam.models import Activity, ActivityContact, PlanItem
from kam.services.accounts.account_edit import create_account
from kam.services.contact_plan import plan_items
from kam.services.people import contacts
from tests.support import TODAY, run


def _calendar(path: Path, *events: dict) -> Path:
    from icalendar import Calendar, Event, vCalAddress

    calendar = Calendar()
    calendar.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    calendar.add("version", "2.0")
    for n, spec in enumerate(events):
        event = Event()
        event.add("uid", f"event-{n}@outlook")
        event.add("summary", spec["title"])
        event.add("dtstart", spec["start"])
        event.add("dtend", spec["start"] + timedelta(hours=1))
        if "location" in spec:
            event.add("location", spec["location"])
        if "status" in spec:
            event.add("status", spec["status"])
        event.add("organizer", vCalAddress("mailto:li.wei@ours.example"))
        for address in spec["with"]:
            event.add("attendee", vCalAddress(f"mailto:{address}"), encode=0)
        calendar.add_component(event)
    path.write_bytes(calendar.to_ical())
    return path


def _acme(database: Database) -> dict:
    with database.write() as session:
        acme = create_account(session, "Acme 北京")
        other = create_account(session, "Bolt AB")
        session.flush()
        ana = contacts.create_contact(
            session, acme.id, {"name": "Ana Lima", "email": "Ana.Lima@acme.example"}, "t"
        )
        contacts.create_contact(session, other.id, {"name": "Bo", "email": "bo@bolt.example"}, "t")
        item = plan_items.create_item(
            session,
            acme.id,
            {"kind": "visit", "cadence": "every 4 weeks", "next_due": "2026-11-20"},
            "t",
            TODAY,
        )
        return {"acme": acme.id, "ana": ana.id, "item": item.id}


def test_meetings_with_an_account_s_people_are_logged_and_move_its_plan_on(
    database: Database, tmp_path: Path
) -> None:
    ids = _acme(database)
    held = datetime.combine(TODAY - timedelta(days=3), datetime.min.time()).replace(hour=10)
    path = _calendar(
        tmp_path / "outlook.ics",
        {"title": "Plant visit", "start": held, "with": ["ana.lima@acme.example"]},
        {"title": "Pricing call", "start": held, "with": ["new.person@acme.example"],
         "location": "Microsoft Teams Meeting https://teams.microsoft.com/l/x"},
        {"title": "Lunch", "start": held, "with": ["friend@gmail.com"]},
        {"title": "Cancelled visit", "start": held, "with": ["ana.lima@acme.example"],
         "status": "CANCELLED"},
        {"title": "Next QBR", "start": held + timedelta(days=30), "with": ["bo@bolt.example"]},
    )  # fmt: skip
    found = meetings.read_meetings(path)
    with database.write() as session:
        plan = meetings.plan_meetings(session, path, found, TODAY)
        assert plan.describe().splitlines() == [
            "outlook.ics: 5 meetings: would log 2, left out 3",
            f"  {held.date()} Acme 北京: visit 'Plant visit' with Ana Lima; a plan item moves on",
            f"  {held.date()} Acme 北京: call 'Pricing call'",
            "  left out: 1 with no contact or domain of an account",
            "  left out: 1 cancelled",
            "  left out: 1 not held yet",
        ]
        assert meetings.log_meetings(session, plan, "Li Wei", TODAY) == 2
    with database.read() as session:
        logged = {a.summary: a for a in session.exec(sa.select(Activity)).scalars()}
        visit = logged["Plant visit"]
        assert (visit.kind.value, visit.occurred_on) == ("visit", held.date())
        assert visit.plan_item_id == ids["item"]
        people = session.exec(
            sa.select(ActivityContact.contact_id).where(ActivityContact.activity_id == visit.id)
        ).scalars()
        assert list(people) == [ids["ana"]]
        assert logged["Pricing call"].kind.value == "call"
        assert session.get(PlanItem, ids["item"]).next_due == date(2026, 12, 18)
    # the same calendar again: nothing twice
    with database.write() as session:
        again = meetings.plan_meetings(session, path, found, TODAY)
    assert again.to_log == [] and [r for _, r in again.skipped].count("logged already") == 2


def test_kam_import_meetings_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{db}")
    _acme(database)
    database.dispose()
    held = datetime.combine(TODAY - timedelta(days=1), datetime.min.time())
    path = _calendar(
        tmp_path / "google.ics",
        {"title": "Site visit", "start": held, "with": ["ana.lima@acme.example"]},
    )
    when = ("--db", str(db), "--as-of", TODAY.isoformat())
    code, out, err = run(capsys, "import", "meetings", str(path), *when, "--dry-run")
    assert code == 0, err
    assert "google.ics: 1 meetings: would log 1, left out 0" in out
    code, out, err = run(capsys, "import", "meetings", str(path), *when)
    assert code == 0 and "logged 1" in out
    code, out, err = run(capsys, "import", "meetings", str(path), *when)
    assert code == 0 and "left out: 1 logged already" in out
    bad = tmp_path / "bad.ics"
    bad.write_text("BEGIN:VCALENDAR\nthis is not\n")
    code, _out, err = run(capsys, "import", "meetings", str(bad), "--db", str(db))
    assert code == 2 and "bad.ics: not an iCalendar file" in err
