"""Visual regressions of the main screens (pytest-textual-snapshot).

Update after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import app_on_copy, settle


@pytest.fixture
def demo_path(demo_file) -> Path:
    return demo_file(120, 42)


make_app = app_on_copy


@pytest.fixture
def snap_compare(snap_compare):
    """The plugin's comparison, with every text cursor held still before the picture is taken.

    A blinking cursor is drawn or not depending on how long the run took, so a slow machine
    would see a different picture.
    """

    def compare(app, *, run_before=None, **options):
        async def steady(pilot) -> None:
            if run_before is not None:
                await run_before(pilot)
            for widget in pilot.app.screen.query("Input, TextArea"):
                widget.cursor_blink = False
            await pilot.pause()

        return snap_compare(app, run_before=steady, **options)

    return compare


def test_dashboard(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=settle)


def test_accounts(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def open_accounts(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(
        make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=open_accounts
    )


def test_accounts_narrow_with_filter(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def filtered(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", "m", "o")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(80, 24), run_before=filtered)


def test_accounts_folded_with_a_group_unfolded(
    snap_compare, demo_path: Path, tmp_path: Path
) -> None:
    async def unfold(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        table = pilot.app.screen.query_one("#accounts")
        table.cursor_row = next(i for i in range(table.row_count) if table.row_at(i).members)
        await pilot.press("right")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=unfold)


def test_group_overview(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def open_group(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", *"Alpine Controls", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(
        make_app(demo_path, tmp_path), terminal_size=(120, 45), run_before=open_group
    )


def test_account(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def open_account(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("f", "down", "enter")
        await settle(pilot)

    assert snap_compare(
        make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=open_account
    )


async def _account_tab(pilot, key: str) -> None:
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)


def test_account_team_tab(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def team(pilot) -> None:
        await _account_tab(pilot, "t")

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=team)


def test_account_contacts_tab(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def contacts(pilot) -> None:
        await _account_tab(pilot, "c")

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=contacts)


def test_account_form_narrow(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def form(pilot) -> None:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(80, 24), run_before=form)


def test_pipeline_board(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def board(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(120, 35), run_before=board)


def test_pipeline_board_narrow(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def board(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(80, 24), run_before=board)


def test_agenda(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def agenda(pilot) -> None:
        await pilot.press("4")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=agenda)


def test_account_plan_tab(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def plan(pilot) -> None:
        await _account_tab(pilot, "l")

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=plan)


def test_account_wallet_tab(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def wallet(pilot) -> None:
        await _account_tab(pilot, "w")

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(100, 30), run_before=wallet)


def test_at_risk(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def risk(pilot) -> None:
        await pilot.press("6")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(120, 35), run_before=risk)


def test_review(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    """The queue and the first account's card, all of it on one 120x35 screen."""

    async def weekly(pilot) -> None:
        await pilot.press("5")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(120, 35), run_before=weekly)


def test_keys_over_the_board_narrow(snap_compare, demo_path: Path, tmp_path: Path) -> None:
    async def keys(pilot) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(demo_path, tmp_path), terminal_size=(80, 24), run_before=keys)
