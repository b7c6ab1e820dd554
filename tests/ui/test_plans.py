"""The agenda and an account's Plan tab, driven from the keyboard with Pilot on a real file."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from kam.db import open_database
from kam.dialogs.form import ConfirmScreen, FormScreen
from kam.models import PlanItem
from kam.screens.account import AccountScreen
from kam.screens.agenda import AgendaScreen
from kam.services.accounts import account_edit
from kam.services.classify import pareto
from kam.services.contact_plan import plan_items
from kam.services.people import contacts, team
from kam.services.wallet.revenue import add_revenue
from kam.widgets.lazy_table import LazyTable
from tests.support import (
    MONDAY,
    USER,
    build,
    choose,
    error_text,
    monday_app,
    open_account,
    read_db,
    settle,
    shown,
    type_into,
)

TODAY = MONDAY


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Acme (a diamond key account, Ann's) with a fortnightly visit due three days ago and a
    call due Thursday; Bolt's call (Bo's) due next week."""

    def fill(session) -> None:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        acme = account_edit.create_account(session, "Acme 北京", owner_id=ann)
        bolt = account_edit.create_account(session, "Bolt AB", owner_id=bo)
        add_revenue(session, acme.id, date(2026, 6, 1), 900_000_00)
        add_revenue(session, bolt.id, date(2026, 6, 1), 1_000_00)
        wang = contacts.create_contact(session, acme.id, {"name": "王丽", "title": "CFO"}, USER)
        for account, raw in (
            (acme.id, {"kind": "visit", "cadence": "every 2 weeks", "next_due": "2026-11-20",
                       "owner_id": str(ann), "contact_id": str(wang.id)}),
            (acme.id, {"kind": "call", "cadence": "monthly", "next_due": "2026-11-26",
                       "owner_id": str(ann)}),
            (bolt.id, {"kind": "call", "cadence": "quarterly", "next_due": "2026-12-01",
                       "owner_id": str(bo)}),
        ):  # fmt: skip
            plan_items.create_item(session, account, raw, USER, TODAY)
        pareto.refresh(session, TODAY)

    return build(tmp_path / "kam.db", fill)


def items(path: Path) -> dict[str, PlanItem]:
    """Recurring items by account and kind, one-offs by their note."""
    database = open_database(f"sqlite:///{path}")
    with database.read() as session:
        found = {}
        for item in session.exec(select(PlanItem)).all():
            name = session.get(account_edit.Account, item.account_id).name
            found[f"{name} {item.kind.value}" if item.rule else item.note] = item
            session.expunge(item)
    database.dispose()
    return found


async def show_agenda(pilot) -> AgendaScreen:
    await pilot.press("4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AgendaScreen)
    return screen


async def test_log_the_overdue_visit_from_the_agenda(db_path: Path) -> None:
    app = monday_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await show_agenda(pilot)
        table = screen.query_one("#agenda", LazyTable)
        counts = shown(screen.query_one("#agenda-counts", Static))
        assert "Ann Lee:" in counts and "Overdue 1" in counts and "This week 1" in counts
        assert [table.row_at(i).kind.value for i in range(table.row_count)] == ["visit", "call"]
        assert table.cells_of(table.row_at(0), 0)[0][0] == "3d overdue"

        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        form = app.screen
        assert form.raw()["plan_item_id"] == str(table.row_at(0).id)  # filled in from the row
        assert form.raw()["contact_ids"] != []  # 王丽, the item's contact
        await type_into(pilot, "#field-occurred_on", "31/31/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a date" in error_text(pilot, "occurred_on")
        await type_into(pilot, "#field-occurred_on", "2026-11-23")
        await type_into(pilot, "#field-summary", "Walked the new line; they want a trial")
        await choose(pilot, "#field-sentiment", "pos")
        await type_into(pilot, "#field-follow_up_on", "2026-12-03")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AgendaScreen)
        # the follow-up is on the agenda (3 Dec), the visit moved to its next date (4 Dec)
        kinds = [(table.row_at(i).kind.value, table.row_at(i).note) for i in range(table.row_count)]
        assert kinds == [
            ("call", ""),
            ("visit", "follow-up: Walked the new line; they want a trial"),
            ("visit", ""),
        ]

        await pilot.press("a")  # the whole team: Bolt's call next week too
        await settle(pilot)
        assert table.row_count == 4
        assert "Whole team" in shown(screen.query_one("#agenda-counts", Static))

    found = items(db_path)
    assert found["Acme 北京 visit"].next_due == date(2026, 12, 4)  # fortnightly from Nov 20
    follow_up = found["follow-up: Walked the new line; they want a trial"]
    assert (follow_up.next_due, follow_up.rule, follow_up.active) == (date(2026, 12, 3), "", True)


async def test_snooze_and_open_the_account_plan_tab(db_path: Path) -> None:
    app = monday_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await show_agenda(pilot)
        await pilot.press("s")
        await settle(pilot)
        await type_into(pilot, "#field-until", "2026-11-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "from today" in error_text(pilot, "until")
        await type_into(pilot, "#field-until", "25 Nov 2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = screen.query_one("#agenda", LazyTable)
        assert table.row_at(0).next_due == date(2026, 11, 25)
        assert table.row_at(0).kind.value == "visit"

        await pilot.press("enter")  # the account, on its Plan tab
        await settle(pilot)
        account = app.screen
        assert isinstance(account, AccountScreen) and account.tab == "plan"
        plan = account.query_one("#plan-table", DataTable)
        assert plan.row_count == 2
        summary = shown(account.query_one("#plan-summary", Static))
        assert "none logged yet" in summary and "diamond policy" in summary
        await pilot.press("a")  # apply the diamond policy offered: it asks first
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmScreen) and plan.row_count == 2
        asked = shown(question.query_one("#confirm-question", Static))
        assert "Apply the diamond policy to Acme 北京? It adds:" in asked
        assert "Items made by hand stay." in asked
        await pilot.press("y")
        await settle(pilot)
        assert plan.row_count == 5  # its three items beside the two made by hand
        await pilot.press("l")
        await settle(pilot)
        await type_into(pilot, "#field-summary", "Quarterly review held")
        await pilot.press("ctrl+s")
        await settle(pilot)
        log = account.query_one("#activity-table", DataTable)
        assert log.row_count == 1
        assert f"{TODAY} (today)" in shown(account.query_one("#plan-summary", Static))


async def test_a_cadence_typed_wrong_is_named_and_nothing_is_saved(db_path: Path) -> None:
    app = monday_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_agenda(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#field-cadence", "now and then")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a cadence" in error_text(pilot, "cadence")
        await type_into(pilot, "#field-cadence", "first Monday of the month")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
    made = [i for i in items(db_path).values() if i.rule == "FREQ=MONTHLY;BYDAY=1MO"]
    assert len(made) == 1 and made[0].next_due == date(2026, 12, 7)
    assert made[0].next_due - timedelta(days=made[0].next_due.weekday()) == made[0].next_due
    assert isinstance(made[0].id, uuid.UUID)


async def test_the_agenda_filter_shows_what_is_typed_and_names_an_empty_match(
    db_path: Path,
) -> None:
    app = monday_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_agenda(pilot)
        await pilot.press("slash", *"北京")
        await settle(pilot)
        box = screen.query_one("#agenda-filter")
        assert box.content_region.height == 1 and "北京" in str(box.render_line(0).text)
        table = screen.query_one("#agenda", LazyTable)
        assert [table.row_at(i).account for i in range(table.row_count)] == ["Acme 北京"] * 2
        await pilot.press(*"xyz")
        await settle(pilot)
        counts = shown(screen.query_one("#agenda-counts", Static))
        assert table.row_count == 0
        assert "nothing for “北京xyz”" in counts and "all caught up" not in counts


async def test_logging_a_contact_selects_the_plan_item_only_when_it_is_due(
    acme_db: Path,
) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_account(pilot, "Acme", "l")
        await pilot.press("l")  # the monthly call under the cursor is due in two weeks
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#field-plan_item_id", Select).is_blank()
        assert form.query_one("#field-occurred_on", Input).value == MONDAY.isoformat()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

    def item(session):
        return session.exec(select(PlanItem)).one().next_due

    assert read_db(acme_db, item) == date(2026, 12, 7)  # not moved on


async def test_snooze_takes_next_monday_and_shows_the_date_as_it_is_typed(acme_db: Path) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_account(pilot, "Acme", "l")
        await pilot.press("s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        hint = form.query_one("#hint-until", Static)
        assert not hint.display  # nothing typed, nothing shown
        await type_into(pilot, "#field-until", "next monday")
        await pilot.pause()
        assert hint.display and shown(hint).strip() == "→ Mon 2026-11-30"
        await type_into(pilot, "#field-until", "next blursday")
        await pilot.pause()
        assert shown(hint).strip() == "not a date yet"
        await type_into(pilot, "#field-until", "+2w")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

    def item(session):
        return session.exec(select(PlanItem)).one().next_due

    assert read_db(acme_db, item) == date(2026, 12, 7)
