"""The pipeline driven from the keyboard with Pilot, on a real SQLite file: creating deals,
moving them across the board, winning and losing them, the table view and filters, and an
account's Pipeline tab."""

from __future__ import annotations

import io
import uuid
from datetime import date
from pathlib import Path

from rich.console import Console
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from kam.db import open_database
from kam.dialogs.form import FormScreen
from kam.models import Opportunity
from kam.models.enums import OpportunityStage
from kam.screens.account import AccountScreen
from kam.screens.pipeline import CardList, PipelineScreen
from kam.services.people import team
from kam.services.pipeline import deals as pipeline
from kam.services.pipeline import forecast
from kam.services.pipeline.filters import DealFilter
from kam.widgets.lazy_table import LazyTable
from tests.support import (
    MONDAY,
    TODAY,
    USER,
    burst,
    choose,
    error_text,
    make_app,
    monday_app,
    open_account,
    read_db,
    settle,
    shown,
    type_into,
)


def deals(path: Path) -> dict[str, Opportunity]:
    database = open_database(f"sqlite:///{path}")
    with database.read() as session:
        found = {d.title: d for d in session.exec(select(Opportunity)).all()}
        for deal in found.values():
            session.expunge(deal)
    database.dispose()
    return found


def add_deal(path: Path, account: str, title: str, amount: str, **fields) -> uuid.UUID:
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        account_id = pipeline.account_by_name(session, account)
        raw = {"title": title, "amount_minor": amount, "stage": "prospecting", **fields}
        deal = pipeline.create_deal(session, account_id, raw, USER, TODAY).id
    database.dispose()
    return deal


def column(app, stage: str) -> CardList:
    return app.screen.query_one(f"#col-{stage}", CardList)


def head(app, stage: str) -> str:
    screen = app.screen
    index = [c.stage.value for c in screen.query(CardList)].index(stage)
    return shown(list(screen.query(".stage-head").results(Static))[index])


async def show_pipeline(pilot) -> PipelineScreen:
    await pilot.press("3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PipelineScreen)
    return pilot.app.screen


async def test_create_a_deal_and_move_it_across_the_board(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await show_pipeline(pilot)
        assert "No deals yet" in shown(app.screen.query_one("#pipeline-totals", Static))
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"acme 北京")  # the account by its name, any case
        await type_into(pilot, "#field-title", "Line upgrade")
        await type_into(pilot, "#field-amount_minor", "12,500")
        await type_into(pilot, "#field-expected_close", "5 Mar 2027")
        await choose(pilot, "#field-owner_id", "Li")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        first = column(app, "prospecting")
        assert first.row_count == 1 and first.cursor_value.title == "Line upgrade"
        assert "1" in head(app, "prospecting") and "12.5k" in head(app, "prospecting")

        first.focus()
        await pilot.press("shift+right")
        await settle(pilot)
        await pilot.press("shift+right")
        await settle(pilot)
        target = column(app, "needs_analysis")
        assert app.focused is target  # the cursor follows the card
        assert target.cursor_value.title == "Line upgrade"
        assert column(app, "prospecting").row_count == 0
        await pilot.press("shift+left")
        await settle(pilot)
        assert column(app, "qualification").cursor_value.title == "Line upgrade"

    deal = deals(db_path)["Line upgrade"]
    assert (deal.stage, deal.probability, deal.amount_minor) == ("qualification", 20, 1_250_000)
    assert deal.expected_close == date(2027, 3, 5)
    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        path = pipeline.stage_path(session, deal.id)
    database.dispose()
    assert [(s.to_stage.value, s.changed_by) for s in path] == [
        ("prospecting", USER),
        ("qualification", USER),
        ("needs_analysis", USER),
        ("qualification", USER),
    ]


async def test_win_one_deal_and_lose_another_each_with_a_reason(db_path: Path) -> None:
    add_deal(db_path, "Acme 北京", "Retrofit", "30000", stage="negotiation")
    add_deal(db_path, "Bolt AB", "Pilot", "4000", stage="negotiation")
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await show_pipeline(pilot)
        last = column(app, "negotiation")
        last.focus()
        await pilot.pause()
        assert last.cursor_value.title == "Retrofit"  # largest first
        await pilot.press("shift+right")  # closing takes a reason: not a move
        await settle(pilot)
        assert deals(db_path)["Retrofit"].stage == "negotiation"

        await pilot.press("W")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "why the deal was won" in error_text(pilot, "close_reason")
        assert deals(db_path)["Retrofit"].stage == "negotiation"  # nothing saved
        await type_into(pilot, "#field-close_reason", "Best total cost")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        assert last.row_count == 1 and last.cursor_value.title == "Pilot"

        await pilot.press("L")
        await settle(pilot)
        await type_into(pilot, "#field-close_reason", "Chose a local supplier")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert last.row_count == 0
        totals = shown(app.screen.query_one("#pipeline-totals", Static))
        assert "won 2026 30,000" in totals

    found = deals(db_path)
    assert (found["Retrofit"].stage, found["Retrofit"].close_reason) == ("won", "Best total cost")
    assert found["Retrofit"].closed_on == TODAY and found["Retrofit"].probability == 100
    assert (found["Pilot"].stage, found["Pilot"].probability) == ("lost", 0)
    assert found["Pilot"].close_reason == "Chose a local supplier"


async def test_bad_deal_input_is_named_beside_its_field_and_nothing_is_saved(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_pipeline(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Nobody Ltd")
        await type_into(pilot, "#field-title", "Deal")
        await type_into(pilot, "#field-amount_minor", "-5")
        await type_into(pilot, "#field-probability_override", "150")
        await type_into(pilot, "#field-expected_close", "31/31/2026")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "no account is named" in error_text(pilot, "account")
        assert "negative" in error_text(pilot, "amount_minor")
        assert "0 to 100" in error_text(pilot, "probability_override")
        assert "not a date" in error_text(pilot, "expected_close")
        await type_into(pilot, "#field-amount_minor", "1.2k")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "shorthand" in error_text(pilot, "amount_minor")
    assert deals(db_path) == {}


async def test_table_view_sorts_and_the_owner_filter_narrows_every_view(db_path: Path) -> None:
    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        li = next(m.id for m in team.members(session) if m.name == "Li Wei")
    database.dispose()
    add_deal(db_path, "Acme 北京", "Big", "50000", owner_id=str(li))
    add_deal(db_path, "Bolt AB", "Small", "1000", expected_close="2026-12-01")
    add_deal(db_path, "Bolt AB", "Middle", "9000", stage="proposal", expected_close="2027-01-10")
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await show_pipeline(pilot)
        await pilot.press("v")
        await settle(pilot)
        table = screen.query_one("#deal-list", LazyTable)
        assert app.focused is table
        titles = [table.row_at(i).title for i in range(table.row_count)]
        assert titles == ["Big", "Middle", "Small"]  # by amount, largest first
        await pilot.press("s", "s")  # amount -> weighted -> expected close
        await settle(pilot)
        assert [table.row_at(i).title for i in range(table.row_count)] == [
            "Small",
            "Middle",
            "Big",  # no close date: last
        ]
        await choose(pilot, "#f-owner", "Li")
        await settle(pilot)
        assert table.row_count == 1 and table.row_at(0).title == "Big"
        assert column(app, "prospecting").row_count == 1
        assert column(app, "proposal").row_count == 0
        assert "1 open" in shown(screen.query_one("#pipeline-totals", Static))
        await pilot.press("f")
        await settle(pilot)
        body = shown(screen.query_one("#forecast-body", Static))
        assert "Li Wei" in body and "Bo Berg" not in body


async def test_the_account_pipeline_tab_adds_moves_and_totals_the_accounts_deals(
    db_path: Path,
) -> None:
    add_deal(db_path, "Acme 北京", "Retrofit", "30000", stage="proposal")
    add_deal(db_path, "Bolt AB", "Elsewhere", "9999")
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await show_pipeline(pilot)
        board = column(app, "proposal")
        board.focus()
        await pilot.press("enter")  # opens the deal's account on its Pipeline tab
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen) and screen.tab == "pipeline"
        await pilot.press("n")
        await settle(pilot)
        assert not screen.query("#field-account")  # the account is known
        await type_into(pilot, "#field-title", "Service")
        await type_into(pilot, "#field-amount_minor", "10000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        table = screen.query_one("#deal-table", DataTable)
        assert table.row_count == 2
        summary = shown(screen.query_one("#deal-summary", Static))
        # 30,000 x 50% + 10,000 x 10%: the same figure as the forecast service
        assert "2 open · 40,000 · weighted 16,000" in summary
        await pilot.press("shift+right")  # the new deal is selected: it moves
        await settle(pilot)
        assert "weighted 17,000" in shown(screen.query_one("#deal-summary", Static))
        card = shown(screen.query_one("#deal-card", Static))
        assert "Stage path" in card and "qualification" in card
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)  # back on the board, refreshed
        assert column(app, "qualification").cursor_value.title == "Service"
        assert column(app, "proposal").row_count == 1
    found = deals(db_path)
    assert found["Service"].stage == OpportunityStage.qualification
    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        total = forecast.forecast(
            session, DealFilter(account_id=found["Service"].account_id), TODAY
        ).total
    database.dispose()
    assert total.weighted_minor == 1_700_000


async def test_stage_settings_change_the_probability_deals_follow(db_path: Path) -> None:
    add_deal(db_path, "Acme 北京", "Retrofit", "30000", stage="proposal")
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await show_pipeline(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_into(pilot, "#field-p_proposal", "140")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "0 to 100" in error_text(pilot, "p_proposal")
        await type_into(pilot, "#field-p_proposal", "60")
        await type_into(pilot, "#field-stale_proposal", "10")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        assert column(app, "proposal").cursor_value.probability == 60
        assert "w 18.0k" in head(app, "proposal")  # weighted 30,000 x 60%
    assert deals(db_path)["Retrofit"].probability == 60


async def test_the_account_name_completes_as_it_is_typed(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_pipeline(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"bol")
        await settle(pilot)
        await pilot.press("right")  # takes the completion
        assert app.screen.query_one("#field-account").value == "Bolt AB"
        await type_into(pilot, "#field-title", "Spare parts")
        await type_into(pilot, "#field-amount_minor", "900")
        await pilot.press("ctrl+s")
        await settle(pilot)
    deal = deals(db_path)["Spare parts"]
    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        assert pipeline.account_by_name(session, "Bolt AB") == deal.account_id
    database.dispose()


async def test_forecast_view_keeps_every_heading_whole_at_80_columns(db_path: Path) -> None:
    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        long = team.create_member(session, {"name": "Maximilian Alexander Konstantinopoulos"})
    database.dispose()
    add_deal(db_path, "Acme 北京", "Big", "5000000", owner_id=str(long.id), stage="proposal")
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await show_pipeline(pilot)
        await pilot.press("f")
        await settle(pilot)
        static = screen.query_one("#forecast-body", Static)
        width = static.content_region.width
        assert width <= 80
        console = Console(width=width, file=io.StringIO(), record=True)
        console.print(static.content)  # as wide as it is on screen
        body = console.export_text()
        heading = next(line for line in body.splitlines() if "Owner" in line)
        for name in ("Open", "Amount", "Weighted", "Won 2026", "Forecast", "Stale", "Overdue"):
            assert name in heading
        owner = next(line for line in body.splitlines() if "Maximilian" in line)
        assert "…" in owner and "Konstantinopoulos" not in body  # cut, not wrapped
        assert all(len(line) <= width for line in body.splitlines())


def deal(path: Path, title: str) -> Opportunity:
    def query(session):
        found = session.exec(select(Opportunity).where(Opportunity.title == title)).one()
        session.expunge(found)
        return found

    return read_db(path, query)


async def test_won_from_the_account_pipeline_tab_saves_and_the_app_carries_on(
    acme_db: Path,
) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "p")
        await pilot.press("W")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.form_title == "Mark Retrofit (Acme 北京) won"  # the account is named
        # The closing date is a value, today's, not a placeholder that looks like one.
        assert form.query_one("#field-closed_on", Input).value == MONDAY.isoformat()
        await type_into(pilot, "#field-close_reason", "Best total cost")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert "won" in shown(screen.query_one("#deal-card", Static))
    found = deal(acme_db, "Retrofit")
    assert (found.stage, found.closed_on) == ("won", MONDAY)


async def test_a_filter_typed_at_once_after_a_board_move_goes_into_the_filter(
    acme_db: Path,
) -> None:
    from kam.screens.pipeline import PipelineScreen

    app = monday_app(acme_db)
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
    assert deal(acme_db, "Retrofit").stage == "proposal"  # and the move was made


async def test_the_board_names_its_marks_and_scrolls_by_whole_cards(acme_db: Path) -> None:
    from kam.screens.pipeline import CardList

    database = open_database(f"sqlite:///{acme_db}")
    with database.write() as session:
        acme = pipeline.account_by_name(session, "Acme 北京")
        for n in range(12):
            pipeline.create_deal(
                session,
                acme,
                {"title": f"Deal {n}", "amount_minor": str(1000 + n), "stage": "proposal",
                 "expected_close": "2026-11-01"},
                USER,
                date(2026, 10, 1),
            )  # fmt: skip
    database.dispose()
    app = monday_app(acme_db)
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


async def test_a_save_typed_at_once_after_the_amount_saves_the_amount(db_path: Path) -> None:
    """Keys sent together (a fast typist, a paste) end with ctrl+s: the save waits for the
    digits before it to be in the field."""
    app = make_app(db_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await open_account(pilot, "acme", tab="p")
        await pilot.press("n")
        await settle(pilot)
        burst(app, *"Rush", "tab", "tab", *"12000", "ctrl+s")
        await settle(pilot)
        await settle(pilot)
    assert deals(db_path)["Rush"].amount_minor == 12_000_00
