"""What a new user met in the first week, each kept fixed: crashes, lost input, misleading
words and figures. Each test fails on the code before its fix."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select
from textual.widgets import Input, Select, Static

from kam.app import KamApp
from kam.db import open_database
from kam.dialogs.form import FormScreen
from kam.errors import InputErrors
from kam.models import ActionItem, Opportunity, PlanItem
from kam.screens.account import AccountScreen
from kam.services import settings as settings_service
from kam.services.accounts import account_edit, listing
from kam.services.accounts.listing import AccountListQuery
from kam.services.classify import pareto
from kam.services.contact_plan import activities, agenda, plan_items
from kam.services.people import contacts, team
from kam.services.pipeline import deals
from kam.services.review import meeting, weeks
from kam.services.values.parsing import parse_date, relative_date
from kam.services.wallet.revenue import add_revenue
from kam.widgets.lazy_table import LazyTable
from tests.support import open_account, run, settle, shown, type_into

TODAY = date(2026, 11, 23)  # a Monday
USER = "Ann Lee"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Acme (Ann's, a key account) with a deal in negotiation and a monthly call due in two
    weeks; Bolt (no owner, smaller)."""
    path = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        ann = team.create_member(session, {"name": USER}).id
        team.create_member(session, {"name": "Bo Berg"})
        acme = account_edit.create_account(session, "Acme 北京", owner_id=ann)
        bolt = account_edit.create_account(session, "Bolt AB")
        add_revenue(session, acme.id, date(2026, 6, 1), 900_000_00)
        add_revenue(session, bolt.id, date(2026, 6, 1), 1_000_00)
        deals.create_deal(
            session,
            acme.id,
            {"title": "Retrofit", "amount_minor": "30000", "stage": "negotiation"},
            USER,
            TODAY,
        )
        plan_items.create_item(
            session,
            acme.id,
            {"kind": "call", "cadence": "monthly", "next_due": "2026-12-07", "owner_id": str(ann)},
            USER,
            TODAY,
        )
        pareto.refresh(session, TODAY)
    database.dispose()
    return path


def make_app(path: Path) -> KamApp:
    return KamApp(open_database(f"sqlite:///{path}"), as_of=TODAY, user=USER)


def read(path: Path, query):
    database = open_database(f"sqlite:///{path}")
    try:
        with database.read() as session:
            return query(session)
    finally:
        database.dispose()


def deal(path: Path, title: str) -> Opportunity:
    def query(session):
        found = session.exec(select(Opportunity).where(Opportunity.title == title)).one()
        session.expunge(found)
        return found

    return read(path, query)


# --- 1. winning a deal from the account's Pipeline tab -------------------------------------


async def test_won_from_the_account_pipeline_tab_saves_and_the_app_carries_on(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "p")
        await pilot.press("W")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form_title == "Mark Retrofit (Acme 北京) won"  # the account is named
        # The closing date is a value, today's, not a placeholder that looks like one.
        assert form.query_one("#field-closed_on", Input).value == TODAY.isoformat()
        await type_into(pilot, "#field-close_reason", "Best total cost")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert "won" in shown(screen.query_one("#deal-card", Static))
    found = deal(db_path, "Retrofit")
    assert (found.stage, found.closed_on) == ("won", TODAY)


# --- 2. the accounts filter under every sort -------------------------------------------------


@pytest.mark.parametrize("sort", sorted(listing.SORT_COLUMNS))
def test_the_accounts_filter_works_under_every_sort(database, sort: str) -> None:
    with database.write() as session:
        for name in ("Acme 北京", "Acme Steel", "Bolt AB"):
            account = account_edit.create_account(session, name)
            add_revenue(session, account.id, date(2026, 6, 1), 1_000_00)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        for descending in (True, False):
            query = AccountListQuery(text="acme", sort=sort, descending=descending)
            matches = listing.count_accounts(session, query)
            rows = listing.list_accounts(session, query, 0, 50, matches=matches)
            assert sorted(r.name for r in rows) == ["Acme Steel", "Acme 北京"]


# --- 3. a review action has a real due date and reaches the agenda ---------------------------


def test_a_review_action_typed_without_a_date_is_due_in_the_team_s_span(database) -> None:
    with database.write() as session:
        ann = team.create_member(session, {"name": USER})
        acme = account_edit.create_account(session, "Acme", owner_id=ann.id)
        week = weeks.iso_week(TODAY)
        meeting.add_action(
            session, acme.id, week, {"title": "Call back", "owner": USER}, USER, TODAY
        )
        settings_service.save(session, weeks.ReviewSettings(action_due_days=3), by="lead")
        meeting.add_action(
            session, acme.id, week, {"title": "Send prices", "owner": USER}, USER, TODAY
        )
    with database.read() as session:
        due = {a.title: a.due_on for a in session.exec(select(ActionItem)).all()}
        on_agenda = agenda.list_agenda(
            session, agenda.AgendaQuery(until=TODAY + timedelta(days=30), owner_id=ann.id), 0, 50
        )
    assert due == {"Call back": TODAY + timedelta(days=7), "Send prices": TODAY + timedelta(days=3)}
    assert {r.note for r in on_agenda} >= {"Review action: Call back", "Review action: Send prices"}


# --- 5. NO_COLOR, and a crash: one line, a log, a non-zero exit --------------------------------


async def test_the_accounts_list_paints_under_no_color(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 2
        # Every segment of a row has a style for the monochrome filter to work on.
        assert all(seg.style is not None for seg in table.render_line(1))
        await pilot.pause()
        assert app.is_running


class _Broken(KamApp):
    def on_ready(self) -> None:
        raise RuntimeError("something nobody expected\nsecond line")


def test_a_crash_exits_non_zero_with_one_line_and_the_traceback_in_a_log(
    db_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app = _Broken(open_database(f"sqlite:///{db_path}"), as_of=TODAY, user=USER)
    app.run(headless=True, size=(80, 24))
    assert app.return_code == 1 and app.crash is not None
    _error, log = app.crash
    err = capfd.readouterr().err
    assert err.strip().splitlines() == [
        f"kam stopped on an unexpected error (RuntimeError: something nobody expected); "
        f"the details are in {log}"
    ]
    assert "Traceback" not in err
    assert log is not None and log.parent.stat().st_mode & 0o777 == 0o700
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert "Traceback" in text and "something nobody expected" in text and "on_ready" in text


def test_the_app_without_a_terminal_says_so_in_one_line(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(db_path))  # pytest's stdin is no terminal
    assert (code, out) == (2, "")
    assert (
        err
        == "kam needs a terminal; reports are `kam report ...`, data goes out with `kam export`\n"
    )


# --- 10. focus after a failed save, the theme kept, rows in the theme's colours ---------------


async def test_a_failed_save_puts_the_focus_on_the_first_field_in_error(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_account(pilot, "Acme", "p")
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        # Errors in the amount and the next step's date, none in the title above them.
        await type_into(pilot, "#field-title", "Service")
        await type_into(pilot, "#field-next_step_due", "soonish")
        await type_into(pilot, "#field-amount_minor", "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.focused is form.query_one("#field-amount_minor")


async def test_the_chosen_theme_is_kept_and_the_lists_follow_it(db_path: Path) -> None:
    from kam.config import config_file

    app = make_app(db_path)
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
    again = make_app(db_path)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "textual-light"


# --- 12 and 16. who carries an account ---------------------------------------------------------


def test_the_owner_is_the_account_lead_and_one_person_alone_is_single_threaded(database) -> None:
    with database.write() as session:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        owned = account_edit.create_account(session, "Owned", owner_id=ann).id
        nobody = account_edit.create_account(session, "Nobody's").id
        pair = account_edit.create_account(session, "Pair", owner_id=ann).id
        team.add_to_team(session, pair, {"member_id": str(bo), "role": "technical"}, USER)
    with database.read() as session:
        assert team.threading(session, nobody).reason == "no account lead on our side"
        alone = team.threading(session, owned)
        assert alone.single_threaded
        assert alone.reason == "Ann Lee alone carries this account on our side"
        both = team.threading(session, pair)
        assert not both.single_threaded and both.carriers == ("Ann Lee", "Bo Berg")


async def test_the_team_tab_names_the_owner_as_lead_and_the_lone_carrier(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "t")
        said = shown(screen.query_one("#threading", Static))
        await pilot.press("o")
        await settle(pilot)
        standing = shown(screen.query_one("#standing")).splitlines()
    assert "Account lead: Ann Lee, the owner, until someone else is named" in said
    assert "Account lead Ann Lee (the owner)" in [" ".join(line.split()) for line in standing]
    assert "⚠ Single-threaded: Ann Lee alone carries this account on our side" in said
    assert "More than one" not in said


# --- 13. a second contact on the same day does not push the plan item on ---------------------


async def test_logging_a_contact_selects_the_plan_item_only_when_it_is_due(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_account(pilot, "Acme", "l")
        await pilot.press("l")  # the monthly call under the cursor is due in two weeks
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#field-plan_item_id", Select).is_blank()
        assert form.query_one("#field-occurred_on", Input).value == TODAY.isoformat()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

    def item(session):
        return session.exec(select(PlanItem)).one().next_due

    assert read(db_path, item) == date(2026, 12, 7)  # not moved on


# --- 17. dates as people type them --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-23"),
        ("Tomorrow", "2026-11-24"),
        ("yesterday", "2026-11-22"),
        ("+3d", "2026-11-26"),
        ("+2w", "2026-12-07"),
        ("-1w", "2026-11-16"),
        ("+1m", "2026-12-23"),
        ("+1y", "2027-11-23"),
        ("in 10 days", "2026-12-03"),
        ("monday", "2026-11-23"),  # today is a Monday: the next one is today
        ("next monday", "2026-11-30"),  # after today
        ("next fri", "2026-11-27"),
        ("next week", "2026-11-30"),
        ("next month", "2026-12-01"),
        ("end of month", "2026-11-30"),
        ("end of next month", "2026-12-31"),
        ("end of quarter", "2026-12-31"),
        ("end of year", "2026-12-31"),
    ],
)
def test_relative_dates(text: str, expected: str) -> None:
    assert relative_date(text, TODAY) == date.fromisoformat(expected)
    assert parse_date(text, as_of=TODAY) == date.fromisoformat(expected)


def test_relative_words_need_a_reference_date_and_nonsense_is_still_refused() -> None:
    assert relative_date("next blursday", TODAY) is None
    assert parse_date("2026-03-05", as_of=TODAY) == date(2026, 3, 5)  # the usual forms still
    with pytest.raises(Exception, match="not a date"):
        parse_date("soonish", as_of=TODAY)


async def test_snooze_takes_next_monday_and_shows_the_date_as_it_is_typed(db_path: Path) -> None:
    app = make_app(db_path)
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

    assert read(db_path, item) == date(2026, 12, 7)


# --- 18. small things -----------------------------------------------------------------------


def test_a_customer_since_in_the_future_and_an_address_without_a_domain_are_refused(
    database,
) -> None:
    with database.write() as session:
        with pytest.raises(InputErrors) as caught:
            account_edit.read_account_form(
                session, {"name": "Future", "customer_since": "2030-01-01"}, as_of=TODAY
            )
        assert caught.value.errors == {"customer_since": "cannot be later than 2026-11-23"}
        acme = account_edit.create_account(session, "Acme").id
        for address in ("dana@example", "dana@.com", "dana@example.", "@example.com"):
            with pytest.raises(InputErrors) as caught:
                contacts.create_contact(session, acme, {"name": "Dana", "email": address}, USER)
            assert caught.value.errors == {"email": "an e-mail address looks like name@example.com"}
        contacts.create_contact(session, acme, {"name": "Dana", "email": "dana@example.com"}, USER)


def test_demo_help_names_its_own_file_and_describes_every_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kam.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "demo.db in the user data folder, never $KAM_DATABASE" in out
    assert "kam.db" not in out
    for described in (
        "--accounts N how many accounts",
        "--seed S the random seed",
        "--as-of DATE the day the portfolio is seen from",
    ):
        assert described in out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "agenda", "--help"])
    assert "--days N what falls due within N days" in " ".join(capsys.readouterr().out.split())


def _ids(session, model) -> list[uuid.UUID]:
    return list(session.connection().execute(sa.select(model.__table__.c.id)).scalars())


# --- 4. keys go where the focus is when they are pressed --------------------------------------


def burst(app: KamApp, *keys: str) -> None:
    """Keys as a fast typist (or a paste of keys) sends them: all queued at once, before any
    is handled, which is what Pilot's press (one key, then wait) never does."""
    from textual import events

    names = {"/": "slash", " ": "space", "\t": "tab"}
    for key in keys:
        name = names.get(key, key)
        character = key if len(key) == 1 else None
        app.post_message(events.Key(name, character))


async def test_a_filter_typed_at_once_after_a_board_move_goes_into_the_filter(
    db_path: Path,
) -> None:
    from kam.screens.pipeline import PipelineScreen

    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PipelineScreen)
        screen.query_one("#col-negotiation").focus()
        await pilot.pause()
        burst(app, "shift+left", "/", "A", "c", "m", "e")
        await settle(pilot)
        assert app.screen is screen  # no deal form opened by the `e` of "Acme"
        assert screen.query_one("#deal-text", Input).value == "Acme"
        assert app.focused is screen.query_one("#deal-text")
    assert deal(db_path, "Retrofit").stage == "proposal"  # and the move was made


async def test_keys_typed_while_a_form_opens_land_in_the_form_and_tab_moves_at_once(
    db_path: Path,
) -> None:
    app = make_app(db_path)
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


# --- 6. 1-6 always show their screen; a key that creates rows asks first --------------------


async def test_the_screen_keys_show_their_screen_whatever_was_opened_over_it(
    db_path: Path,
) -> None:
    from kam.screens.accounts import AccountsScreen
    from kam.screens.agenda import AgendaScreen

    acme = read(db_path, lambda s: deals.account_by_name(s, "Acme 北京"))
    app = make_app(db_path)
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


# --- 7. the dashboard opens what is behind its figures ----------------------------------------


@pytest.fixture
def moved_path(db_path: Path) -> Path:
    """Bolt outgrows Acme on TODAY: both move class and tier, a move of this quarter."""
    from datetime import UTC, datetime

    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        bolt = deals.account_by_name(session, "Bolt AB")
        add_revenue(session, bolt, date(2026, 11, 1), 2_000_000_00)
        pareto.refresh(session, TODAY, moved_at=datetime(2026, 11, 23, 9, tzinfo=UTC))
    database.dispose()
    return db_path


async def test_dashboard_tiles_and_lists_open_what_is_behind_them(moved_path: Path) -> None:
    from textual.widgets import DataTable

    from kam.screens.accounts import AccountsScreen
    from kam.screens.dashboard import DashboardScreen

    app = make_app(moved_path)
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


# --- 9. 80 columns and wide terminals ---------------------------------------------------------


def test_a_long_e_mail_breaks_after_its_at_sign_not_inside_a_name() -> None:
    import io

    from rich.console import Console

    from kam.widgets.pairs import Pairs

    pairs = Pairs()
    pairs.add_row("E-mail", "felix.walsh0@example.com")
    console = Console(width=22, file=io.StringIO(), record=True)
    console.print(pairs)
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert lines == ["E-mail  felix.walsh0@", "        example.com"]


async def test_at_80_columns_the_keys_to_every_key_and_the_deal_owner_stay_in_view(
    db_path: Path,
) -> None:
    from textual.widgets import DataTable

    from kam.widgets.keybar import KeyBar

    app = make_app(db_path)
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


async def test_the_board_names_its_marks_and_scrolls_by_whole_cards(db_path: Path) -> None:
    from kam.screens.pipeline import CardList

    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        acme = deals.account_by_name(session, "Acme 北京")
        for n in range(12):
            deals.create_deal(
                session,
                acme,
                {"title": f"Deal {n}", "amount_minor": str(1000 + n), "stage": "proposal",
                 "expected_close": "2026-11-01"},
                USER,
                date(2026, 10, 1),
            )  # fmt: skip
    database.dispose()
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        totals = shown(app.screen.query_one("#pipeline-totals", Static))
        assert "! 12 overdue" in totals  # the legend of a narrow card's `!`
        column = app.screen.query_one("#col-proposal", CardList)
        column.focus()
        for _ in range(10):
            await pilot.press("down")
        await pilot.pause()
        assert column.scroll_y > 0 and column.scroll_y % CardList.ROW_HEIGHT == 0


# --- 11. the Pareto report's `of ranked` adds up; ids in one form ----------------------------


def test_the_pareto_classes_share_the_ranked_accounts_and_ids_have_dashes(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io
    import json

    database = open_database(db_url)
    with database.write() as session:
        for n in range(1, 21):
            account = account_edit.create_account(session, f"Buyer {n:02}")
            add_revenue(session, account.id, date(2026, 6, 1), n * 1_000_00)
        for n in range(5):
            account_edit.create_account(session, f"Silent {n}")  # no revenue: not ranked
        emerging = account_edit.create_account(session, "Promise", emerging=True)
        ids = {str(a) for a in _ids(session, account_edit.Account)}
        assert emerging.id
    database.dispose()
    code, out, _err = run(capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22")
    assert code == 0
    summary = out[out.index("Class     Accounts") :].splitlines()
    shares = [float(line.split()[2].rstrip("%")) for line in summary[2:6]]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    assert "6 accounts without revenue in the window count under Accounts" in out
    code, out, _err = run(
        capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22", "--format", "csv"
    )
    listed = {row["account_id"] for row in csv.DictReader(io.StringIO(out))}
    assert listed == ids  # dashed on SQLite as on PostgreSQL, as exports write them
    code, out, _err = run(
        capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22", "--format", "json"
    )
    assert {a["account_id"] for a in json.loads(out)["accounts"]} == ids


# --- 14. a running year is compared at its run rate, and says so ------------------------------


def test_a_running_year_grows_at_its_run_rate_like_the_wallet() -> None:
    from kam.services.wallet.revenue import revenue_years

    rows = revenue_years([(2025, 100_00, 0), (2026, 60_00, 10_00)], date(2026, 7, 2))
    last, running = rows
    assert not last.running and last.growth is None
    # 182 of 365 days gone, 60 so far: 120.3 at the run rate against 100, not 60 against 100.
    assert running.running and running.growth == pytest.approx(0.203, abs=0.001)
    assert running.margin == pytest.approx(5 / 6)
    over = revenue_years([(2025, 100_00, 0), (2026, 60_00, 0)], date(2027, 1, 5))[1]
    assert not over.running and over.growth == pytest.approx(-0.4)


async def test_the_revenue_tab_marks_the_running_year(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "r")
        years = shown(screen.query_one("#revenue-years", Static))
    assert "2026*" in years
    assert "* 2026 to 23 Nov: growth at its run rate" in years


# --- 15. no data is not good news ---------------------------------------------------------------


def test_an_account_without_revenue_is_never_green_however_well_the_rest_scores(
    database,
) -> None:
    from kam.models.enums import HealthBand
    from kam.services.health import score

    with database.write() as session:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        new = account_edit.create_account(session, "Newco", strategic=True, owner_id=ann).id
        team.add_to_team(session, new, {"member_id": str(bo), "role": "sales"}, USER)
        for name, role, attitude in (("Dee", "decision_maker", "supporter"),
                                     ("Cham", "influencer", "champion")):  # fmt: skip
            contacts.create_contact(
                session,
                new,
                {"name": name, "buying_role": role, "attitude": attitude, "owner_id": str(bo)},
                USER,
            )
        activities.log_activity(
            session, new, {"kind": "visit", "member_ids": [str(ann), str(bo)]}, USER, TODAY
        )
        pareto.refresh(session, TODAY)
    with database.read() as session:
        found = score.account_health(session, new, TODAY)
    assert found is not None
    assert found.band != HealthBand.green and found.capped_by == "no revenue to judge it by"
    assert found.reasons == "no revenue to judge it by"


def test_an_account_that_stopped_buying_is_not_an_upgrade(database) -> None:
    from datetime import UTC, datetime

    from kam.services.portfolio import overview

    with database.write() as session:
        costly = account_edit.create_account(session, "Costly").id
        for n in range(3):
            other = account_edit.create_account(session, f"Other {n}").id
            for year in (2025, 2026):  # the same in both windows: they do not move
                add_revenue(session, other, date(year, 6, 1), 1_000_00)
        # Cost more to serve than it brought: problem, a year ago.
        add_revenue(session, costly, date(2025, 1, 10), 100_00, cost_minor=500_00)
        pareto.refresh(session, date(2025, 11, 1), moved_at=datetime(2025, 11, 1, tzinfo=UTC))
        # A year on it has bought nothing and cost nothing within the window: general.
        pareto.refresh(session, TODAY, moved_at=datetime(2026, 11, 20, tzinfo=UTC))
    with database.read() as session:
        moves = overview.tier_moves(session, TODAY)
    mine = [m for m in moves.latest if m.name == "Costly"]
    assert mine and mine[0].tier_from == "problem" and mine[0].tier_to == "general"
    assert not mine[0].up and moves.up == 0 and moves.down >= 1
    assert (
        pareto.is_upgrade("tier", "problem", "general", "revenue 100 → 0; rank #4 → no purchases")
        is False
    )
    assert pareto.is_upgrade("tier", "gold", "diamond", "revenue 1 → 2; rank #2 → #1") is True


# --- 16. the customer's own annual revenue is shown and edited -----------------------------------


async def test_their_annual_revenue_is_edited_in_the_form_and_shown_on_the_overview(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(pilot, "Acme")
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-annual_revenue_minor", "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "cannot be negative" in str(
            app.screen.query_one("#error-annual_revenue_minor", Static).render()
        )
        await type_into(pilot, "#field-annual_revenue_minor", "250,000,000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        profile = [
            " ".join(line.split()) for line in shown(screen.query_one("#profile")).splitlines()
        ]
        assert "Their revenue 250.0M a year" in profile

    acme = read(db_path, lambda s: deals.account_by_name(s, "Acme 北京"))
    found = read(db_path, lambda s: s.get(account_edit.Account, acme).annual_revenue_minor)
    assert found == 250_000_000_00
