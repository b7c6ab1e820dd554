"""Contact plans: cadences (month ends, leap days, daylight-saving changes), policies,
logging activities that move the plan on, overdue and silence, the agenda, the calendar file."""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, timedelta

import pytest
from icalendar import Calendar

from kam.db import Database
from kam.errors import InputError, InputErrors
from kam.files.ics import agenda_calendar
from kam.models import Account, AccountClassification, PlanItem
from kam.models.enums import AccountStatus, ActivityKind
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.classify import pareto
from kam.services.contact_plan import activities, agenda, cadence, plan_items, policies
from kam.services.contact_plan.agenda import AgendaQuery
from kam.services.people import contacts, team
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY

TODAY = MONDAY
ME = "Ann Lee"


# --- cadences -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("Quarterly", "FREQ=MONTHLY;INTERVAL=3"),
        ("first Monday of the month", "FREQ=MONTHLY;BYDAY=1MO"),
        ("last friday of every 3 months", "FREQ=MONTHLY;BYDAY=-1FR;INTERVAL=3"),
        ("yearly on 24 Dec", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24"),
        ("FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=TU"),
        ("", ""),
    ],
)
def test_cadences_are_read_from_words_or_rules(typed: str, rule: str) -> None:
    assert cadence.parse_cadence(typed) == rule


@pytest.mark.parametrize(
    "typed", ["sometimes", "every 0 weeks", "FREQ=FOO", "FREQ=HOURLY", "FREQ=DAILY;COUNT=3"]
)
def test_a_cadence_that_is_not_a_rule_is_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(InputError):
        cadence.parse_cadence(typed)


def test_monthly_cadences_keep_to_month_ends() -> None:
    dates = cadence.dates_between("FREQ=MONTHLY", date(2026, 1, 31), date(2026, 1, 1),
                                  date(2026, 5, 31))  # fmt: skip
    assert dates == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                     date(2026, 5, 31)]  # fmt: skip
    # the 30th stays the 30th where it exists
    assert cadence.next_after("FREQ=MONTHLY", date(2026, 1, 30), date(2026, 2, 28)) == date(
        2026, 3, 30
    )
    # quarterly from 31 August: 30 November, 28 February, 31 May
    assert cadence.dates_between(
        "FREQ=MONTHLY;INTERVAL=3", date(2026, 8, 31), date(2026, 9, 1), date(2027, 6, 1)
    ) == [date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 31)]


def test_yearly_cadences_keep_to_leap_days() -> None:
    dates = cadence.dates_between("FREQ=YEARLY", date(2024, 2, 29), date(2024, 1, 1),
                                  date(2028, 12, 31))  # fmt: skip
    assert dates == [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28),
                     date(2028, 2, 29)]  # fmt: skip
    assert cadence.next_after(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", date(2024, 2, 29), date(2024, 3, 1)
    ) == date(2028, 2, 29)


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Asia/Shanghai"])
def test_daylight_saving_changes_move_no_date(zone: str) -> None:
    """Weekly across the March and November clock changes, seen from three time zones."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        weekly = cadence.dates_between(
            "FREQ=WEEKLY", date(2026, 3, 2), date(2026, 3, 1), date(2026, 4, 6)
        )
        assert [d.weekday() for d in weekly] == [0] * 6  # every Monday, none shifted
        assert weekly[-1] == date(2026, 4, 6)
        assert cadence.next_after("FREQ=DAILY", date(2026, 10, 20), date(2026, 11, 1)) == date(
            2026, 11, 2
        )
        assert cadence.first_on_or_after(
            "FREQ=MONTHLY;BYDAY=1MO", date(2026, 1, 5), date(2026, 3, 3)
        ) == date(2026, 4, 6)
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_cadences_read_back_in_words() -> None:
    for typed in ("every 2 weeks", "quarterly", "first Monday of the month", "yearly on 24 Dec"):
        assert cadence.describe(cadence.parse_cadence(typed)) == typed


# --- plans and activities ---------------------------------------------------------------------


@pytest.fixture
def acme(database: Database) -> dict[str, uuid.UUID]:
    """A diamond key account with an owner and a contact."""
    with database.write() as session:
        ann = team.create_member(session, {"name": ME}).id
        account = account_edit.create_account(session, "Acme", owner_id=ann)
        add_revenue(session, account.id, date(2026, 6, 1), 1_000_000_00)
        contact = contacts.create_contact(session, account.id, {"name": "Wang Li"}, ME)
        pareto.refresh(session, TODAY)
    return {"account": account.id, "ann": ann, "contact": contact.id}


def _item(database: Database, account_id: uuid.UUID, **raw) -> uuid.UUID:
    with database.write() as session:
        return plan_items.create_item(session, account_id, {"kind": "visit", **raw}, ME, TODAY).id


def _get(database: Database, item_id: uuid.UUID) -> PlanItem:
    with database.read() as session:
        item = session.get(PlanItem, item_id)
        session.expunge(item)
        return item


def _log(database: Database, account_id: uuid.UUID, **raw):
    with database.write() as session:
        return activities.log_activity(session, account_id, {"kind": "visit", **raw}, ME, TODAY)


def test_logging_an_activity_moves_its_plan_item_to_the_next_date(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    item = _item(database, acme["account"], cadence="every 2 weeks", next_due="2026-11-16")
    _log(database, acme["account"], plan_item_id=str(item), occurred_on="2026-11-20")
    assert _get(database, item).next_due == date(2026, 11, 30)  # the schedule's next date
    # done early: the date it was due counts as done
    _log(database, acme["account"], plan_item_id=str(item), occurred_on="2026-11-23")
    assert _get(database, item).next_due == date(2026, 12, 14)


def test_a_one_off_is_done_once_logged_and_a_follow_up_lands_on_the_agenda(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    once = _item(database, acme["account"], cadence="", next_due="2026-11-25")
    _log(
        database, acme["account"], plan_item_id=str(once), summary="Agreed a trial\nmore",
        follow_up_on="2026-12-02", contact_ids=[str(acme["contact"])],
    )  # fmt: skip
    assert not _get(database, once).active
    with database.read() as session:
        rows = agenda.list_agenda(session, AgendaQuery(until=date(2026, 12, 31)), 0, 10)
        last = activities.contacts_last_contact(session, acme["account"])
    assert [(r.kind, r.next_due, r.note, r.contact) for r in rows] == [
        (ActivityKind.visit, date(2026, 12, 2), "follow-up: Agreed a trial", "Wang Li")
    ]
    assert last == {acme["contact"]: TODAY}


def test_bad_activity_and_plan_input_is_named_and_nothing_is_saved(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(InputErrors) as caught:
        _log(
            database, acme["account"], occurred_on="2026-12-25", follow_up_on="next year",
            member_ids=[str(uuid.uuid4())],
        )  # fmt: skip
    assert set(caught.value.errors) == {"occurred_on", "follow_up_on", "member_ids"}
    with pytest.raises(InputErrors) as caught:
        _item(database, acme["account"], cadence="now and then", next_due="31/31/2026",
              owner_id=str(uuid.uuid4()))  # fmt: skip
    assert set(caught.value.errors) == {"cadence", "next_due", "owner_id"}
    with database.read() as session:
        assert activities.account_activities(session, acme["account"]) == []
        assert plan_items.account_plan(session, acme["account"]) == []


def test_applying_a_policy_replaces_another_policy_and_keeps_hand_made_items(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    mine = _item(database, acme["account"], cadence="yearly on 24 Dec", kind="greeting")
    with database.write() as session:
        made = policies.apply_policy(session, acme["account"], "gold", ME, TODAY)
    assert sorted((i.kind.value, i.rule) for i in made) == [
        ("business_review", "FREQ=MONTHLY;INTERVAL=6"),
        ("visit", "FREQ=MONTHLY"),
    ]
    assert all(i.owner_id == acme["ann"] for i in made)
    with database.write() as session:
        policies.apply_policy(session, acme["account"], "diamond", ME, TODAY)
        policies.apply_policy(session, acme["account"], "diamond", ME, TODAY)  # twice: no copies
        rows = plan_items.account_plan(session, acme["account"])
    active = sorted((r.kind.value, r.cadence, r.policy) for r in rows if r.active)
    assert active == [
        ("business_review", "quarterly", "diamond"),
        ("executive_meeting", "every month", "diamond"),
        ("greeting", "yearly on 24 Dec", None),
        ("visit", "every 2 weeks", "diamond"),
    ]
    assert next(r for r in rows if r.id == mine).active
    visit = next(r for r in rows if r.active and r.kind == ActivityKind.visit)
    assert visit.next_due == TODAY + timedelta(days=14)


def test_policies_are_settings_and_a_valuable_silent_account_gets_win_back(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        texts = dict(settings_service.load(session, policies.Policies).texts)
        with pytest.raises(InputErrors) as caught:
            policies.save_policies(session, by="lead", raw={f"policy_{k}": v for k, v in texts.items()}
                                | {"policy_gold": "visit: whenever\nlunch: monthly"})  # fmt: skip
        assert "line 1" in caught.value.errors["policy_gold"]
        assert "line 2" in caught.value.errors["policy_gold"]
        policies.save_policies(session, by="lead", raw={f"policy_{k}": v for k, v in texts.items()}
                            | {"policy_diamond": "visit: weekly"})  # fmt: skip
        account = session.get(Account, acme["account"])
        cls = session.get(AccountClassification, acme["account"])
        assert policies.suggested_policy(account, cls) == cls.tier.value == "diamond"
        assert settings_service.load(session, policies.Policies).allowed_silence("diamond") == 7
        account.status = AccountStatus.silent
        assert policies.suggested_policy(account, cls) == policies.WIN_BACK
        made = policies.apply_policy(session, acme["account"], policies.WIN_BACK, ME, TODAY)
    assert sorted((i.kind.value, i.next_due) for i in made) == [
        ("call", TODAY + timedelta(days=7)),
        ("executive_meeting", TODAY + timedelta(days=21)),
        ("offer", TODAY + timedelta(days=42)),
    ]


def test_a_key_account_silent_longer_than_its_policy_allows_is_flagged(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    def warning() -> str | None:
        with database.read() as session:
            account = session.get(Account, acme["account"])
            cls = session.get(AccountClassification, acme["account"])
            last = activities.last_contact(session, acme["account"])
            return policies.silence_warning(session, account, cls, last, TODAY)

    assert "no contact logged yet" in (warning() or "")
    _log(database, acme["account"], occurred_on=str(TODAY - timedelta(days=15)))
    assert "no contact for 15 days" in (warning() or "")  # diamond: every 14 days
    _log(database, acme["account"], occurred_on=str(TODAY - timedelta(days=3)))
    assert warning() is None


def test_the_agenda_sorts_sections_and_scopes_to_one_person(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        bo = team.create_member(session, {"name": "Bo"}).id
    days = {"overdue": -3, "today": 0, "this week": 4, "next week": 9, "later": 30}
    for name, offset in days.items():
        owner = bo if name == "today" else acme["ann"]
        _item(database, acme["account"], cadence="monthly", owner_id=str(owner),
              next_due=str(TODAY + timedelta(days=offset)), note=name)  # fmt: skip
    with database.read() as session:
        horizon = AgendaQuery(until=agenda.week_end(TODAY) + timedelta(days=7))
        counts = agenda.agenda_sections(session, horizon, TODAY)
        rows = agenda.list_agenda(session, horizon, 0, 100)
        mine = agenda.list_agenda(session, AgendaQuery(horizon.until, acme["ann"]), 0, 100)
    assert counts == {"overdue": 1, "today": 1, "this week": 1, "next week": 1, "later": 0}
    assert [r.note for r in rows] == ["overdue", "today", "this week", "next week"]
    assert [agenda.section_of(r.next_due, TODAY) for r in rows] == [r.note for r in rows]
    assert [r.note for r in mine] == ["overdue", "this week", "next week"]


def test_the_agenda_filters_by_any_part_of_the_account_name(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        other = account_edit.create_account(session, "北京华东精密机械").id
    _item(database, acme["account"], next_due=str(TODAY), note="acme")
    _item(database, other, next_due=str(TODAY), note="beijing")
    until = TODAY + timedelta(days=1)
    for text, notes in (("cm", ["acme"]), ("ACME", ["acme"]), ("华东精密", ["beijing"]),
                        ("精密", ["beijing"]), ("acme 北", []), ("", ["acme", "beijing"])):  # fmt: skip
        q = AgendaQuery(until, text=text)
        with database.read() as session:
            rows = agenda.list_agenda(session, q, 0, 10)
            assert agenda.count_agenda(session, q) == len(rows)
        assert sorted(r.note for r in rows) == notes, text


def test_snoozing_moves_one_date_and_the_schedule_goes_on(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    item = _item(database, acme["account"], cadence="every week", next_due="2026-11-23")
    with pytest.raises(InputErrors), database.write() as session:
        plan_items.snooze(session, item, {"until": "2026-11-01"}, ME, TODAY)
    with database.write() as session:
        plan_items.snooze(session, item, {"until": "26 Nov 2026"}, ME, TODAY)
    assert _get(database, item).next_due == date(2026, 11, 26)
    _log(database, acme["account"], plan_item_id=str(item), occurred_on="2026-11-23")
    assert _get(database, item).next_due == date(2026, 11, 30)  # back on Mondays


def test_the_calendar_file_parses_back_with_its_recurrence_rules(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    _item(database, acme["account"], cadence="monthly", next_due="2026-01-31",
          contact_id=str(acme["contact"]))  # fmt: skip
    snoozed = _item(database, acme["account"], cadence="every week", next_due="2026-11-23")
    with database.write() as session:
        plan_items.snooze(session, snoozed, {"until": "2026-11-25"}, ME, TODAY)
    _item(database, acme["account"], cadence="", next_due="2026-12-01", kind="offer")
    with database.read() as session:
        data = agenda_calendar(agenda.upcoming_items(session, None), "test")
    parsed = Calendar.from_ical(data)
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    assert len(events) == 4  # the snoozed date is its own event, its series goes on
    monthly = next(e for e in events.values() if "RRULE" in e and "Wang Li" in str(e["summary"]))
    assert monthly.decoded("dtstart") == date(2026, 1, 31)
    assert monthly["rrule"]["FREQ"] == ["MONTHLY"]
    assert monthly["rrule"]["BYMONTHDAY"] == [-1]  # each month's end, as RFC 5545 says it
    assert "BYSETPOS" not in monthly["rrule"]
    series = events[f"{snoozed}-series@kam"]
    # the snoozed item was written twice: its events say so, so a calendar replaces them
    assert series["sequence"] == events[f"{snoozed}@kam"]["sequence"] == 1
    assert monthly["sequence"] == 0 and monthly.decoded("last-modified").tzinfo is not None
    assert series.decoded("dtstart") == date(2026, 11, 30)
    assert events[f"{snoozed}@kam"].decoded("dtstart") == date(2026, 11, 25)
    assert "RRULE" not in events[f"{snoozed}@kam"]
    offer = next(e for e in events.values() if str(e["summary"]).startswith("Offer"))
    assert "RRULE" not in offer and offer.decoded("dtend") == date(2026, 12, 2)


def test_a_calendar_of_no_plan_items_is_still_a_calendar(database: Database) -> None:
    with database.read() as session:
        data = agenda_calendar(agenda.upcoming_items(session, None), "empty")
    parsed = Calendar.from_ical(data)
    assert list(parsed.walk("VEVENT")) == []
    assert [c.name for c in parsed.subcomponents] == ["VTIMEZONE"]  # at least one component
    assert b"BEGIN:VTIMEZONE\r\nTZID:UTC" in data


def test_a_valuable_account_marked_lost_gets_the_win_back_plan(
    database: Database, acme: dict[str, uuid.UUID]
) -> None:
    with database.read() as session:
        base = account_edit.open_account_form(session, acme["account"])
    raw = {k: getattr(v, "value", v) for k, v in base.values.items()} | {"status": "lost"}
    with database.write() as session:
        account_edit.update_account(session, acme["account"], base, raw, ME, TODAY)
        rows = plan_items.account_plan(session, acme["account"])
    assert sorted((r.kind.value, r.policy, r.next_due) for r in rows) == [
        ("call", "win_back", TODAY + timedelta(days=7)),
        ("executive_meeting", "win_back", TODAY + timedelta(days=21)),
        ("offer", "win_back", TODAY + timedelta(days=42)),
    ]
