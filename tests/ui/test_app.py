"""The TUI driven as a person would, with Textual's Pilot, on a real database."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import HelpPanel, Input, Static

from kam.app import KamApp
from kam.db import open_database
from kam.dialogs.form import FormScreen
from kam.screens.account import AccountScreen
from kam.screens.accounts import AccountsScreen
from kam.screens.dashboard import DashboardScreen
from kam.screens.keys import KeysScreen
from kam.services.accounts import account_edit
from kam.services.accounts import listing as account_service
from kam.services.accounts.listing import AccountListQuery
from kam.services.classify import pareto
from kam.services.pipeline import deals
from kam.services.unit import reads
from kam.services.wallet.revenue import add_revenue
from kam.widgets.keybar import KeyBar
from kam.widgets.kpi import KpiTile
from kam.widgets.lazy_table import LazyTable
from kam.widgets.title_bar import TitleBar
from tests.support import (
    MONDAY,
    TODAY,
    accounts_db,
    app_on_copy,
    burst,
    damaged,
    finish_start_up,
    monday_app,
    open_account,
    read_db,
    settle,
    shown,
)

SECTIONS = {"This screen", "Here", "Everywhere"}


@pytest.fixture
def demo_path(demo_file) -> Path:
    return demo_file(300, 7)


@pytest.fixture
def app(demo_path: Path, tmp_path: Path) -> KamApp:
    return app_on_copy(demo_path, tmp_path)


def count(app: KamApp, text: str) -> int:
    with app.database.read() as session:
        return account_service.count_accounts(session, AccountListQuery(text=text))


async def test_dashboard_shows_portfolio_figures(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        tile = app.screen.query_one("#kpi-accounts", KpiTile)
        assert "300" in str(tile.render())


async def test_filter_narrows_the_account_list_as_you_type(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        table = app.screen.query_one(LazyTable)
        listed = count(app, "")  # groups folded: fewer rows than accounts
        assert table.row_count == listed < 300
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"steel")
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == "steel"
        expected = count(app, "steel")
        assert 0 < expected < 300
        assert table.row_count == expected
        assert all(
            "steel" in (table.row_at(i).name.lower())
            or "steel" in (table.row_at(i).industry or "").lower()
            for i in range(min(expected, 20))
        )
        # Escape leaves the filter box; a second escape clears the filter.
        await pilot.press("escape")
        assert app.focused is table
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == listed


async def test_filter_finds_chinese_names(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).insert_text_at_cursor("有限公司")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == count(app, "有限公司") > 0
        assert "有限公司" in table.row_at(0).name


async def test_a_keystroke_keeps_the_last_count_up_and_only_a_slow_load_says_loading(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_count = account_service.count_accounts

    @reads
    def slow_count(session, query):
        release.wait(30)
        return real_count(session, query)

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        status = app.screen.query_one("#accounts-status", Static)
        before = str(status.render())
        assert before.startswith(f"{count(app, '')} groups and accounts")
        monkeypatch.setattr(account_service, "count_accounts", slow_count)
        try:
            await pilot.press("slash", "x")
            assert str(status.render()) == before  # no flash of "Loading…"
            for _ in range(200):  # the read is held back: after a moment the line says so
                if str(status.render()) == "Loading…":
                    break
                await pilot.pause(0.05)
            assert str(status.render()) == "Loading…"
        finally:
            release.set()
        await settle(pilot)
        assert str(status.render()).startswith(f"{count(app, 'x'):,} accounts · matching “x”")


async def test_sorting_by_name_and_reversing(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        top_by_revenue = table.row_at(0)
        second = table.row_at(1)
        assert top_by_revenue.revenue_minor >= second.revenue_minor
        await pilot.press("s")  # next sort key: name
        await settle(pilot)
        names = [table.row_at(i).name.casefold() for i in range(10)]
        assert names == sorted(names)
        await pilot.press("r")
        await settle(pilot)
        reversed_names = [table.row_at(i).name.casefold() for i in range(10)]
        assert reversed_names == sorted(reversed_names, reverse=True)


async def test_open_an_account_and_come_back(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        await pilot.press("down", "down")
        chosen = table.cursor_value
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account_id == chosen.id
        assert app.screen.sub_title == chosen.name
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        assert table.cursor_row == 2


async def test_the_first_account_opened_finds_its_statements_compiled(app: KamApp) -> None:
    """Once the app has started, the account at the top of the list opens without compiling
    a statement: the start-up read it ahead."""
    from sqlalchemy import event
    from sqlalchemy.engine.interfaces import CacheStats

    compiled: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if context.cache_hit is CacheStats.CACHE_MISS:
            compiled.append(statement)

    event.listen(app.database.engine, "before_cursor_execute", note)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(0.6)  # the start-up's reading ahead begins half a second in
        await settle(pilot)
        with app.database.read() as session:
            top = account_service.list_accounts(session, AccountListQuery(), 0, 1)[0]
        compiled.clear()
        app.open_account(top.id)
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account_id == top.id
        assert compiled == []


async def test_a_failing_read_ahead_at_start_up_leaves_the_rest_of_it_done(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from kam.services import workspace

    def broken(session, as_of) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(workspace, "warm_up", broken)
    gc.unfreeze()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await finish_start_up(pilot)
        assert gc.get_freeze_count() > 0  # its last step ran
        assert isinstance(app.screen, DashboardScreen)
    gc.unfreeze()


async def test_start_up_work_waits_while_the_person_types(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start-up's background work goes on only while no key was pressed for a moment
    and nothing the person asked for is loading."""
    import kam.app

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app._is_quiet()
        monkeypatch.setattr(kam.app, "QUIET_S", 3600.0)
        await pilot.press("2")
        await settle(pilot)
        assert not app._is_quiet()  # a key pressed within the hour
        monkeypatch.setattr(kam.app, "QUIET_S", 0.0)
        assert app._is_quiet()
        app.screen.query_one(LazyTable).reload()  # nothing typed, but the list is loading
        assert not app._is_quiet()
        await settle(pilot)
        assert app._is_quiet()


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_an_account_s_first_frame_shows_the_text_it_settles_on(
    app: KamApp, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account screen is laid out right the first time: the first frame written has the
    text of the screen once settled (no second layout re-wrapping the panels to make room for
    a scrollbar; the scrollbar itself, in the last column kept for it, comes with the next
    frame). Watches the frames Textual writes (`App._display`, not public API)."""
    from textual._compositor import LayoutUpdate
    from textual.app import App

    def text(update: LayoutUpdate) -> list[str]:
        return [
            "".join(segment.text for strip in line for segment in strip)[:-1]
            for line in update.strips
        ]

    frames: list[list[str]] = []
    display = App._display

    def watch(self, screen, update) -> None:
        if isinstance(screen, AccountScreen) and isinstance(update, LayoutUpdate):
            frames.append(text(update))
        display(self, screen, update)

    monkeypatch.setattr(App, "_display", watch)
    with app.database.read() as session:
        top = account_service.list_accounts(session, AccountListQuery(), 0, 1)[0]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.open_account(top.id)
        await settle(pilot)
        await pilot.pause(0.1)
        settled = text(app.screen._compositor.render_full_update())
        assert any(top.name in line for line in settled)
        assert frames[0] == settled


async def test_scrolling_far_loads_later_pages(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == count(app, "") - 1
        assert table.cursor_value is not None  # the last page was fetched on demand


async def test_question_mark_toggles_the_keys_panel(app: KamApp) -> None:
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query(HelpPanel)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query(HelpPanel)


async def test_dashboard_stacks_its_panels_when_the_keys_panel_takes_room(app: KamApp) -> None:
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        programme = app.screen.query_one("#programme")
        assert programme.has_class("-wide")  # indicators and Pareto curve side by side
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen.query(HelpPanel) and not programme.has_class("-wide")
        await pilot.press("question_mark")
        await settle(pilot)
        assert programme.has_class("-wide")


async def test_question_mark_on_a_narrow_terminal_lists_the_keys_over_the_screen(
    app: KamApp,
) -> None:
    """At 80 columns the side panel would leave the screen's tables a few columns each."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        accounts = app.screen
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen) and not app.screen.query(HelpPanel)
        listed = shown(app.screen.query_one(Static))
        titles = [line.strip() for line in listed.splitlines() if line.strip() in SECTIONS]
        assert titles == ["This screen", "Here", "Everywhere"]
        for key, what in (("/", "Filter"), ("s", "Sort"), ("⏎", "Open"), ("2", "Accounts")):
            assert any(line.split()[:1] == [key] and what in line for line in listed.splitlines())
        assert listed.index("Filter") < listed.index("Focus Next")  # the bar's keys first
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is accounts
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen is accounts
        # In the key bar's order: the account screen's own actions before its ways around.
        await pilot.press("f", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.query_one(KeyBar).keys[:4] == ["e", "d", "tab", "esc"]
        await pilot.press("question_mark")
        await pilot.pause()
        listed = shown(app.screen.query_one(Static))
        firsts = [line.split()[0] for line in listed.splitlines()[1:5]]
        assert firsts == ["e", "d", "tab", "esc"]
        # Then the screen's other keys in the order it defines them: the tabs together (the
        # Plan tab's `l` among them, though another binding uses `l` first), inherited last.
        own = listed.split("Here")[0].splitlines()
        keys = [line.split()[0] for line in own[1:] if line.strip()]
        jumps = ["o", "t", "c", "r", "p", "l", "w", "k", "v", "h"]
        start = keys.index("o")
        assert keys[start : start + len(jumps)] == jumps
        assert keys[-1] == "^c"  # Textual's copy, inherited


async def test_command_palette_jumps_to_an_account(app: KamApp) -> None:
    with app.database.read() as session:
        target = account_service.list_accounts(session, AccountListQuery(), 5, 1)[0]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*target.name)
        for _ in range(20):  # hits arrive from a worker thread
            await pilot.pause(0.1)
            if app.screen.query("CommandList Option"):
                break
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.sub_title == target.name


def title_line(app: KamApp) -> str:
    return app.screen.query_one(TitleBar).render().plain


async def test_the_title_bar_names_the_screen_and_follows_it(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert title_line(app).split() == ["⭘", "kam", "—", "Portfolio"]
        await pilot.press("2")
        await settle(pilot)
        assert title_line(app).split()[1:] == ["kam", "—", "Accounts"]
        await pilot.press("a")
        await settle(pilot)
        assert title_line(app).split()[1:] == ["kam", "—", "Archived", "accounts"]


async def test_the_title_bar_fits_a_long_wide_title_to_the_terminal(app: KamApp) -> None:
    async with app.run_test(size=(48, 20)) as pilot:
        await settle(pilot)
        app.screen.sub_title = "深圳精密制造有限公司" * 3
        await pilot.pause()
        bar = app.screen.query_one(TitleBar)
        line = bar.render()
        assert line.cell_length == 48
        assert line.plain.rstrip().endswith("…")
        assert line.plain.startswith(" ⭘ ")


async def test_the_title_bar_icon_opens_the_command_palette(app: KamApp) -> None:
    from textual.command import CommandPalette

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.click(TitleBar, offset=(50, 0))  # the title: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.click(TitleBar, offset=(1, 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_digits_typed_in_the_filter_do_not_switch_screens(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash", "1", "q")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        assert app.screen.query_one("#filter", Input).value == "1q"


async def test_a_broken_database_shows_a_message_not_a_traceback(app: KamApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        with app.database.write() as session:
            session.connection().exec_driver_sql("DROP TABLE account_classification")
        await pilot.press("2")
        await settle(pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("account_classification" in m or "database" in m for m in messages)


async def test_opening_a_vanished_account_says_so(app: KamApp) -> None:

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_account(uuid.uuid4())
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert any("no longer exists" in n.message for n in app._notifications)


async def test_key_bar_follows_focus_and_a_click_presses_the_key(app: KamApp) -> None:
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert bar.keys[:2] == ["⏎", "/"]  # the table's keys first, then the screen's
        assert bar.keys[-1] == "^p"
        assert "Filter" in str(bar.render())
        # Clicking "/ Filter" is pressing "/": the filter box takes focus.
        start = str(bar.render()).index("/") - 1
        await pilot.click(bar, offset=(start + 1, 0))
        await settle(pilot)
        assert isinstance(app.focused, Input)
        assert "⏎" not in bar.keys  # the table's keys went with its focus
        # Too narrow for all keys: the ones that fit, whole, and the palette on the right.
        await pilot.resize_terminal(40, 30)
        await settle(pilot)
        line = str(bar.render())
        assert len(line) <= 40 and line.rstrip().endswith("palette")


async def test_dashboard_figures_are_read_while_the_app_starts_then_the_headline(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The portfolio figures are read in a thread started before the screen exists, once; the
    heavy headline indicators only after the figures are on screen, not beside them."""
    import threading

    from kam.services.portfolio import indicators, overview

    events: list[tuple[str, str]] = []
    real_dashboard, real_headline = overview.dashboard, indicators.headline

    def dashboard(session, as_of, *args, **kwargs):
        events.append(("figures", threading.current_thread().name))
        return real_dashboard(session, as_of, *args, **kwargs)

    def headline(session, as_of):
        events.append(("headline", threading.current_thread().name))
        return real_headline(session, as_of)

    monkeypatch.setattr(overview, "dashboard", dashboard)
    monkeypatch.setattr(indicators, "headline", headline)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert [kind for kind, _ in events] == ["figures", "headline"]
        assert events[0][1] == "kam-read-ahead-dashboard"
        assert "300" in str(app.screen.query_one("#kpi-accounts", KpiTile).render())
        await pilot.press("r")  # a refresh reads afresh, in the screen's own worker
        await settle(pilot)
        assert [kind for kind, _ in events] == ["figures", "headline", "figures", "headline"]
        assert events[2][1] != "kam-read-ahead-dashboard"


async def test_dashboard_read_failing_at_start_is_a_message(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam.errors import KamError
    from kam.services.portfolio import overview

    def broken(session, as_of, *args, **kwargs):
        raise KamError("the portfolio could not be read")

    monkeypatch.setattr(overview, "dashboard", broken)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        messages = [n.message for n in app._notifications]
        assert any("the portfolio could not be read" in m for m in messages)


async def test_dashboard_works_out_the_headline_once_on_start_and_again_on_r(
    app: KamApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam.services.portfolio import indicators
    from kam.services.wallet import share_of_wallet

    calls = []
    real = indicators.headline

    def counted(session, as_of):
        calls.append(as_of)
        return real(session, as_of)

    monkeypatch.setattr(indicators, "headline", counted)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert len(calls) == 1  # the mount and the first resume do not both start it
        assert app.screen.query_one("#headline").content.columns  # the table, not "Working…"
        await pilot.press("2", "1")  # back on the dashboard, nothing moved: not again
        await settle(pilot)
        assert len(calls) == 1
        await pilot.press("r")
        await settle(pilot)
        assert len(calls) == 2
        # A wallet estimate moves the share of wallet without touching revenue: shown again.
        with app.database.read() as session:
            top = account_service.list_accounts(session, AccountListQuery(), 0, 1)[0]
        with app.database.write() as session:
            share_of_wallet.create_estimate(
                session, top.id, {"category": "Gearboxes", "period": "2026", "spend": "1"}
            )
        await pilot.press("2", "1")
        await settle(pilot)
        assert len(calls) == 3
    # The next start finds them stored, worked out from the same data: shown, not redone.
    again = KamApp(app.database, as_of=TODAY)
    async with again.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert len(calls) == 3
        assert again.screen.query_one("#headline").content.columns


async def test_the_accounts_list_paints_under_no_color(
    acme_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = monday_app(acme_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 2
        # Every segment of a row has a style for the monochrome filter to work on.
        assert all(seg.style is not None for seg in table.render_line(1))
        await pilot.pause()
        assert app.is_running


async def test_the_chosen_theme_is_kept_and_the_lists_follow_it(acme_db: Path) -> None:
    from kam.config import config_file

    app = monday_app(acme_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        app.theme = "textual-light"
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        background = table.rich_style.bgcolor
        assert background is not None and background.triplet is not None
        assert sum(background.triplet) > 600  # a light background
        line = table.render_line(2)  # a row that is not the cursor's
        assert {seg.style.bgcolor for seg in line if seg.text.strip()} == {background}
    assert 'theme = "textual-light"' in config_file().read_text()
    again = monday_app(acme_db)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"


async def test_keys_typed_while_a_form_opens_land_in_the_form_and_tab_moves_at_once(
    acme_db: Path,
) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        burst(app, "e", "Z", "e", "d", "tab", "M", "i", "n", "e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)  # one form: the `e` of "Zed" did not edit again
        assert form.query_one("#field-name", Input).value == "Zed"
        assert form.query_one("#field-industry", Input).value == "Mine"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)


async def test_the_screen_keys_show_their_screen_whatever_was_opened_over_it(
    acme_db: Path,
) -> None:
    from kam.screens.accounts import AccountsScreen
    from kam.screens.agenda import AgendaScreen

    acme = read_db(acme_db, lambda s: deals.account_by_name(s, "Acme 北京"))
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        app.open_account(acme)  # as the palette does
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, AgendaScreen)
        assert len(app.screen_stack) == 1


@pytest.fixture
def moved_path(acme_db: Path) -> Path:
    """Bolt outgrows Acme on MONDAY: both move class and tier, a move of this quarter."""
    from datetime import UTC, datetime

    database = open_database(f"sqlite:///{acme_db}")
    with database.write() as session:
        bolt = deals.account_by_name(session, "Bolt AB")
        add_revenue(session, bolt, date(2026, 11, 1), 2_000_000_00)
        pareto.refresh(session, MONDAY, moved_at=datetime(2026, 11, 23, 9, tzinfo=UTC))
    database.dispose()
    return acme_db


async def test_dashboard_tiles_and_lists_open_what_is_behind_them(moved_path: Path) -> None:
    from textual.widgets import DataTable

    from kam.screens.accounts import AccountsScreen
    from kam.screens.dashboard import DashboardScreen

    app = monday_app(moved_path)
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        dashboard.query_one("#kpi-key").focus()
        await pilot.press("enter")
        await settle(pilot)
        listed = app.screen
        assert isinstance(listed, AccountsScreen) and listed.query_state.key_only
        table = listed.query_one(LazyTable)
        assert [table.row_at(i).name for i in range(table.row_count)] == ["Bolt AB"]
        assert "key accounts only (esc shows all)" in shown(listed.query_one("#accounts-status"))
        await pilot.press("escape")  # the rest of the portfolio again
        await settle(pilot)
        assert table.row_count == 2 and not listed.query_state.key_only

        await pilot.press("1")
        await settle(pilot)
        top = dashboard.query_one("#top-accounts", DataTable)
        top.focus()
        await pilot.press("enter")  # the first of the top accounts
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.workspace.detail.account.name == "Bolt AB"

        await pilot.press("1")
        await settle(pilot)
        moves = dashboard.query_one("#tier-moves", DataTable)
        assert moves.row_count >= 2  # Bolt up, Acme down
        moves.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.workspace.detail.account.name in {"Acme 北京", "Bolt AB"}


async def test_at_80_columns_the_keys_to_every_key_and_the_deal_owner_stay_in_view(
    acme_db: Path,
) -> None:
    from textual.widgets import DataTable

    from kam.widgets.keybar import KeyBar

    app = monday_app(acme_db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_account(pilot, "Acme", "p")
        bar = str(screen.query_one(KeyBar).render())
        assert "? Keys" in bar  # whatever else gives way
        table = screen.query_one("#deal-table", DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert "Owner" in labels and "Weighted" not in labels
        assert table.virtual_size.width <= table.size.width  # no column cut at the edge
        await pilot.resize_terminal(200, 40)
        await settle(pilot)
        assert "Weighted" in [str(c.label) for c in table.columns.values()]
        assert "1-6 Screens  q Quit" in str(screen.query_one(KeyBar).render())


async def test_a_damaged_database_is_found_at_start_and_nothing_more_is_written(
    tmp_path: Path,
) -> None:
    from kam.app import KamApp
    from kam.errors import ReadOnlyError
    from tests.support import finish_start_up

    db = damaged(tmp_path / "kam.db")
    app = KamApp(open_database(f"sqlite:///{db}"), as_of=date(2026, 11, 22))
    async with app.run_test(size=(100, 30)) as pilot:
        await finish_start_up(pilot)
        assert app.database_mark == "damaged"
        assert "damaged" in str(app.screen.query_one("TitleBar").render())
        shown = [n for n in app._notifications if n.title == "Database damaged"]
        assert shown and "is damaged (" in shown[0].message and "kam restore" in shown[0].message
        refused = pytest.raises(ReadOnlyError, match="is damaged: nothing was saved")
        with refused, app.database.write() as session:
            account_edit.create_account(session, "New Co")
        assert not app.database.stores_derived
    app.database.dispose()


async def test_a_read_only_database_is_browsed_with_a_banner_and_edits_are_refused(
    tmp_path: Path,
) -> None:
    from kam.app import KamApp
    from kam.dialogs.form import FormScreen
    from tests.support import finish_start_up, settle

    db = accounts_db(tmp_path / "kam.db", "Acme 北京", "Zed GmbH")
    before = db.read_bytes()
    app = KamApp(open_database(f"sqlite:///{db}", read_only=True), as_of=date(2026, 11, 22))
    async with app.run_test(size=(100, 30)) as pilot:
        await finish_start_up(pilot)
        assert app.database_mark == "read-only"
        assert "read-only" in str(app.screen.query_one("TitleBar").render())
        banner = [n for n in app._notifications if n.title == "Read-only"]
        assert banner and banner[0].message.startswith("kam.db opened read-only. You can browse")
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#accounts")
        assert table.row_count == 2
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")  # edit the account: no form opens
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
        refused = [n for n in app._notifications if n.title == "Read-only"]
        assert refused[-1].message == (
            "kam.db opened read-only: you can browse and report, not change anything"
        )
    app.database.dispose()
    assert db.read_bytes() == before
