"""A regional manager's view: R chooses a region, and the dashboard, the pipeline, the review
queue and the at-risk list show its accounts, its indicators beside the portfolio's."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from kam.app import KamApp
from kam.dialogs.regions import RegionScreen
from kam.screens.dashboard import DashboardScreen
from kam.services.accounts import regions
from kam.services.health import stored as health
from kam.services.unit import Intent
from kam.widgets.kpi import KpiTile
from kam.widgets.lazy_table import LazyTable
from tests.support import app_on_copy, settle, shown


@pytest.fixture
def app(demo_file, tmp_path: Path) -> KamApp:
    return app_on_copy(demo_file(300, 7), tmp_path)


async def _choose(pilot, app: KamApp, name: str) -> None:
    await pilot.press("R")
    await settle(pilot)
    assert isinstance(app.screen, RegionScreen)
    listing = app.screen.query_one(OptionList)
    wanted = next(
        i for i in range(listing.option_count) if listing.get_option_at_index(i).id == name
    )
    listing.highlighted = wanted
    await pilot.press("enter")
    await settle(pilot)


async def test_a_region_chosen_on_the_dashboard_holds_on_every_screen(app: KamApp) -> None:
    europe = Intent(regions.scope, "Europe").run(app.database)
    mine = set(Intent(regions.account_ids, europe).run(app.database))
    at_risk = Intent(health.count_at_risk, region=europe).run(app.database)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await _choose(pilot, app, "Europe")
        assert app.region == europe and app.screen.sub_title == "Portfolio · Europe"
        tile = str(app.screen.query_one("#kpi-accounts", KpiTile).render())
        assert f"{len(mine):,}" in tile
        headline = shown(app.screen.query_one("#headline", Static))
        assert "Europe beside the portfolio" in headline and "retention" in headline

        await pilot.click("#kpi-key")  # the tile opens the region's key accounts
        await settle(pilot)
        status = shown(app.screen.query_one("#accounts-status", Static))
        assert "key accounts, in Europe only" in status
        await pilot.press("1")
        await settle(pilot)

        await pilot.press("6")
        await settle(pilot)
        assert app.screen.sub_title == "At risk · Europe"
        table = app.screen.query_one("#risk", LazyTable)
        assert table.row_count == at_risk
        assert f"{at_risk:,} at risk" in shown(app.screen.query_one("#risk-summary", Static))

        await pilot.press("5")
        await settle(pilot)
        assert app.screen.sub_title.endswith("· Europe")
        queue = app.screen.query_one("#review-queue", LazyTable)
        listed = [queue.row_at(i) for i in range(min(queue.row_count, 10))]
        assert listed and {r.account_id for r in listed if r is not None} <= mine

        await pilot.press("1")
        await settle(pilot)
        await _choose(pilot, app, "\0")  # the whole portfolio again
        assert app.region is None and app.screen.sub_title == "Portfolio"
        assert "300" in str(app.screen.query_one("#kpi-accounts", KpiTile).render())
