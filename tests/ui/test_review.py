"""The weekly review driven from the keyboard: review two accounts, add an action, quit, open
kam again and find everything as it was left."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from kam.app import KamApp
from kam.db import open_database
from kam.dialogs.form import FormScreen
from kam.screens.review import ReviewScreen
from kam.services.contact_plan import agenda
from kam.services.review import cards, weeks
from kam.widgets.lazy_table import LazyTable
from tests.support import TODAY, copy_of, settle


@pytest.fixture
def demo(demo_file) -> Path:
    return demo_file(150, 8)


def lead(path: Path) -> str:
    """A team lead of the demo team (a team member, so the review names its reviewer)."""
    from kam.demo import demo_user

    database = open_database(f"sqlite:///{path}")
    with database.read() as session:
        name = demo_user(session)
    database.dispose()
    return name


def app_on(path: Path) -> KamApp:
    return KamApp(open_database(f"sqlite:///{path}"), as_of=TODAY, user=lead(path))


def app_on_copy_of(demo: Path, folder: Path) -> KamApp:
    return app_on(copy_of(demo, folder))


async def open_first_account_plan(pilot) -> None:
    """From the start: the accounts list (every account), its first account, the Account
    plan tab."""
    await settle(pilot)
    for key in ("2", "f", "enter", "v"):
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def test_review_two_accounts_quit_and_find_everything(demo: Path, tmp_path: Path) -> None:
    db = tmp_path / "kam.db"
    db.write_bytes(demo.read_bytes())
    app = app_on(db)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        queue = screen.query_one("#review-queue", LazyTable)
        assert queue.row_count > 2
        first = queue.cursor_value
        await pilot.press("e")
        await type_text(pilot, "Pricing talk went well")
        await pilot.press("escape")  # leaves the note: saved at once
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-title", Input).value = "Send the new price list"
        form.query_one("#field-due_on", Input).value = "2026-11-27"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("m")
        await settle(pilot)

        await pilot.press("right_square_bracket")
        await settle(pilot)
        second = queue.cursor_value
        assert second.account_id != first.account_id
        assert screen.card is not None and screen.card.account_id == second.account_id
        assert screen.query_one("#review-note", TextArea).text == ""
        await pilot.press("e")
        await type_text(pilot, "Second account fine")
        await pilot.pause(review_delay())  # saved while typing, without leaving the box
        await settle(pilot)
        await pilot.press("escape")
        await pilot.press("m")
        await settle(pilot)
    week = weeks.iso_week(TODAY)

    again = app_on(db)
    async with again.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = again.screen
        queue = screen.query_one("#review-queue", LazyTable)
        rows = {queue.row_at(i).account_id: queue.row_at(i) for i in range(queue.row_count)}
        assert rows[first.account_id].reviewed and rows[second.account_id].reviewed
        await settle(pilot)
        card = screen.card
        assert card is not None and card.account_id == first.account_id
        assert screen.query_one("#review-note", TextArea).text == "Pricing talk went well"
        assert [a.title for a in card.actions if a.week == week] == ["Send the new price list"]
        assert card.review.reviewed_on == TODAY and card.review.reviewer == lead(db)
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        second_card = cards.review_card(session, second.account_id, TODAY)
        due = agenda.list_agenda(session, agenda.AgendaQuery(until=TODAY.replace(day=30)), 0, 500)
    database.dispose()
    assert second_card.review.note == "Second account fine"
    assert any(r.note == "Review action: Send the new price list" for r in due)


def review_delay() -> float:
    from kam.screens.review import NOTE_SAVE_DELAY

    return NOTE_SAVE_DELAY + 0.4


async def test_the_account_plan_tab_keeps_strategy_and_objectives(demo: Path, tmp_path: Path):
    from kam.screens.account import AccountScreen

    app = app_on_copy_of(demo, tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_first_account_plan(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-strategy", TextArea).load_text("Sole service partner by 2029")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-title", Input).value = "Service share"
        form.query_one("#field-target", Input).value = "40%"
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = str(app.screen.query_one("#account-plan").render())
        assert "Sole service partner by 2029" in text
        assert "Service share" in text and "40%" in text


async def test_the_plan_tab_shows_its_own_keys_first_at_80_columns(demo: Path, tmp_path: Path):
    from kam.widgets.keybar import KeyBar

    app = app_on_copy_of(demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_account_plan(pilot)
        bar = app.screen.query_one(KeyBar)
        entries = bar.entries
        # the tab's actions, then the ways around, then the app's keys
        assert [display for display, _, _ in entries[:5]] == ["e", "u", "n", "tab", "esc"]
        assert ("u", "Update objective", False) in entries  # no objective yet: dimmed
        line = str(bar.render())
        assert "New objective" in line and "Update objective" in line
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#field-title", Input).value = "Service share"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("u", "Update objective", True) in bar.entries
