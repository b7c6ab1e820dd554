"""The Wallet and Health tabs and the At-risk view, driven from the keyboard with Pilot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from kam.db import open_database
from kam.dialogs.form import FormScreen
from kam.screens.account import AccountScreen
from kam.screens.risk import RiskScreen
from kam.services.accounts import account_edit
from kam.services.classify import pareto
from kam.services.contact_plan import activities
from kam.services.health import stored
from kam.services.people import contacts, team
from kam.services.wallet import share_of_wallet
from kam.services.wallet.revenue import add_revenue
from kam.widgets.lazy_table import LazyTable
from tests.support import (
    TODAY,
    USER,
    build,
    error_text,
    make_app,
    open_account,
    settle,
    shown,
    type_into,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Acme grows 10% with a customer growing 30%; Fading stopped buying this year; small
    accounts make the two key accounts."""

    def fill(session) -> None:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        acme = account_edit.create_account(session, "Acme 北京", owner_id=ann)
        fading = account_edit.create_account(session, "Fading GmbH", owner_id=bo)
        for month in range(1, 13):
            add_revenue(session, acme.id, date(2025, month, 10), 100_000_00, category="Equipment")
            add_revenue(session, fading.id, date(2025, month, 10), 80_000_00)
        for month in range(1, 11):
            add_revenue(session, acme.id, date(2026, month, 10), 110_000_00, category="Equipment")
        for i in range(12):
            small = account_edit.create_account(session, f"Small {i}")
            add_revenue(session, small.id, date(2026, 6, 1), 1_000_00)
        for raw in ({"name": "王丽", "buying_role": "decision_maker"},
                    {"name": "Tom Ek", "buying_role": "champion"}):  # fmt: skip
            contacts.create_contact(session, acme.id, raw, USER)
        team.add_to_team(session, acme.id, {"member_id": ann, "role": "account_lead"}, USER)
        activities.log_activity(
            session,
            acme.id,
            {"kind": "visit", "occurred_on": "2026-11-18", "member_ids": [str(ann), str(bo)]},
            USER,
            TODAY,
        )
        share_of_wallet.create_estimate(
            session, acme.id, {"category": "Equipment", "period": "2025", "spend": "4,000,000"}
        )
        pareto.refresh(session, TODAY)

    return build(tmp_path / "kam.db", fill)


def cell_text(table: DataTable, row: str, column: str) -> str:
    return str(table.get_cell(row, column))


async def test_wallet_estimates_are_entered_and_read_as_share_and_growth(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(110, 35)) as pilot:
        screen = await open_account(pilot, "acme", tab="w")
        table = screen.query_one("#wallet-table", DataTable)
        assert cell_text(table, "Equipment", "2025") == "30%"  # 1.2M of 4M

        # A new estimate for this year: the customer grows 30%, we grow 10%.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_into(pilot, "#field-period", "2026")
        await type_into(pilot, "#field-spend", "-5")
        await type_into(pilot, "#field-competitors", "Rival 150%")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # refused, nothing saved
        assert "negative" in error_text(pilot, "spend")
        assert "between 0% and 100%" in error_text(pilot, "competitors")
        await type_into(pilot, "#field-spend", "5,200,000")
        await type_into(pilot, "#field-competitors", "Rival 40%")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)

        table = screen.query_one("#wallet-table", DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["Category", "2025", "2026*"]
        # Ten months booked by 22 November: our growth is read at the year's run rate.
        run_rate = round(1_100_000_00 / (325 / 365))
        growth = f"{(run_rate / 1_200_000_00 - 1) * 100:+.0f}%"
        assert cell_text(table, "Equipment", "2026") == f"{run_rate / 5_200_000_00:.0%} {growth}"
        detail = shown(screen.query_one("#wallet-detail", Static))
        assert f"falling behind: we grow {growth}, they grow +30%" in detail
        assert "2026 competitors: Rival 40%" in detail

        # A category where they spend and we sell nothing shows as whitespace.
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#field-category", "Service")
        await type_into(pilot, "#field-period", "2026")
        await type_into(pilot, "#field-spend", "300,000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert cell_text(table, "Service", "2026").startswith("whitespace")
        assert "Whitespace in 2026: Service" in shown(screen.query_one("#wallet-note", Static))

    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        view = share_of_wallet.account_wallet(session, screen.account_id, TODAY)
    database.dispose()
    assert view.whitespace == ["Service"]


async def test_health_tab_records_a_complaint_and_a_score(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(110, 35)) as pilot:
        screen = await open_account(pilot, "acme", tab="k")
        signals = shown(screen.query_one("#signal-table", Static))
        assert "Single-threaded" in signals and "Satisfaction" in signals
        assert "decision maker and champion known" in signals
        before = screen.workspace.health.score

        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#field-summary", "Late parts")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await type_into(pilot, "#field-score", "12")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "0 to 10" in error_text(pilot, "score")
        await type_into(pilot, "#field-score", "4")
        await pilot.press("ctrl+s")
        await settle(pilot)

        complaints = screen.query_one("#complaint-table", DataTable)
        assert complaints.row_count == 1
        assert str(complaints.get_row_at(0)[2]) == "open"
        assert "4/10" in shown(screen.query_one("#survey-line", Static))
        assert screen.workspace.health.score < before

        complaints.focus()
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert str(complaints.get_row_at(0)[2]).startswith("resolved")


async def test_the_at_risk_view_lists_the_fading_account_with_its_reason(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RiskScreen)
        table = screen.query_one("#risk", LazyTable)
        rows = [table.row_at(i) for i in range(table.row_count)]
        fading = next(r for r in rows if r.name == "Fading GmbH")
        assert "revenue -91% in 12 months, year on year (880.0k → 80.0k)" in fading.reasons
        assert fading.why_listed.startswith("red")
        assert rows[0].score <= rows[-1].score  # worst first
        summary = shown(screen.query_one("#risk-summary", Static))
        assert "at risk" in summary and "watched accounts" in summary

        table.cursor_row = rows.index(fading)
        await pilot.press("enter")
        await settle(pilot)
        account = app.screen
        assert isinstance(account, AccountScreen) and account.tab == "health"
        summary = shown(account.query_one("#health-summary", Static))
        assert f"Health ● {fading.score} red" in summary
        assert "Segment E · silent" in summary

    database = open_database(f"sqlite:///{db_path}")
    with database.read() as session:
        assert stored.is_current(session, TODAY)  # the view brought it up to date
    database.dispose()


async def test_an_account_opens_with_its_wallet_and_health_in_the_first_paint(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read brings every tab's data: the screen is laid out once, not again when the
    wallet and health arrive."""
    first_shown: list[bool] = []
    show = AccountScreen._show

    def recording(self, ws):
        first_shown.append(ws.insight_loaded)
        return show(self, ws)

    monkeypatch.setattr(AccountScreen, "_show", recording)
    app = make_app(db_path)
    async with app.run_test(size=(120, 34)) as pilot:
        screen = await open_account(pilot, "Acme")
        assert first_shown == [True]
        standing = shown(screen.query_one("#standing", Static))
        assert "Health" in standing and "…" not in standing
        await pilot.press("ctrl+r")  # a reload reads them again, after the rest
        await settle(pilot)
        assert first_shown == [True, False] and screen.workspace.insight_loaded


async def test_the_health_tab_opens_at_its_signals_on_a_short_terminal(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_account(pilot, "Acme", tab="k")
        body = screen.query_one("#health-body")
        assert body.max_scroll_y > 0  # more than fits: the complaints are below the fold
        assert body.has_focus  # the tab scrolls: its list of complaints does not take the keys
        assert body.scroll_y == 0  # the signals in view, not scrolled away for the focus
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y  # down to the class and tier path
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("n")
        await settle(pilot)
        await type_into(pilot, "#field-summary", "Late parts")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("x")  # resolving a complaint: the first x picks it in the list
        await pilot.pause()
        assert screen.query_one("#complaint-table", DataTable).has_focus
        await pilot.press("escape")  # back to the scrolling tab, not out of the account
        await pilot.pause()
        assert app.screen is screen and body.has_focus
