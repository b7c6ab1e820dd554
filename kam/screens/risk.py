"""At risk: the watched accounts in red, falling fast, or amber with an alarm, worst first,
with the reasons in words. `enter` opens the account on its Health tab."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kam.models.enums import HealthBand
from kam.screens.base import KamScreen
from kam.services.accounts.regions import Scope
from kam.services.health import stored
from kam.services.health.stored import RiskRow
from kam.services.unit import Intent
from kam.widgets.badges import BAND_STYLES, health_cell
from kam.widgets.keybar import KeyBar
from kam.widgets.lazy_table import Column, LazyTable
from kam.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from kam.db import Database

COLUMNS = [
    Column("health", "Health", 6, right=True),
    Column("change", "4 wk", 5, right=True),
    Column("account", "Account", 20, grow=3),
    Column("tier", "Tier", 9, optional=True),
    Column("reasons", "Why", 30, grow=6),
    Column("owner", "Owner", 12, grow=1, optional=True),
]
FALLING = Style(color="red")
ORDERS = {"score": "worst first", "fall": "falling fastest first"}


class RiskSource:
    """The at-risk list a page at a time, in the order asked for, in SQL."""

    def __init__(self, database: Database, order: str, region: Scope | None = None) -> None:
        self.database, self.order, self.region = database, order, region

    def count(self) -> int:
        return Intent(stored.count_at_risk, region=self.region).run(self.database)

    def fetch(self, offset: int, limit: int) -> Sequence[Any]:
        return Intent(stored.at_risk, self.order, offset, limit, region=self.region).run(
            self.database
        )


class RiskScreen(KamScreen):
    AUTO_FOCUS = "#risk"
    BINDINGS = [
        Binding("o", "toggle_order", "Worst/falling"),
        Binding("r", "refresh", "Recompute"),
        Binding("R", "app.choose_region", "Region"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order = "score"
        self._left = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("Working out the health of the key accounts…", id="risk-summary")
        yield LazyTable(COLUMNS, self._cells, id="risk")
        yield Static("", id="risk-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "At risk"
        table = self.query_one("#risk", LazyTable)
        self.watch(table, "cursor_row", self._show_detail, init=False)
        self._load()

    def _show_detail(self, _row: int | None = None) -> None:
        """The highlighted account's reasons in full, however narrow the table."""
        row = self.query_one("#risk", LazyTable).cursor_value
        detail = Text()
        if isinstance(row, RiskRow):
            detail.append(row.name, "bold")
            detail.append(f"  {row.why_listed}\n", "dim")
            detail.append(row.reasons)
        self.query_one("#risk-detail", Static).update(detail)

    def on_screen_suspend(self) -> None:
        self._left = True

    def on_screen_resume(self) -> None:
        if self._left:  # something may have been logged or resolved meanwhile
            self._load(keep_cursor=True)
        self._left = False

    def _load(self, *, keep_cursor: bool = False, force: bool = False) -> None:
        order, kam, region = self.order, self.kam, self.kam.region
        self.show_region_in_title("At risk")

        def show(summary) -> None:
            self._show_summary(summary)
            self.query_one("#risk", LazyTable).set_source(
                RiskSource(kam.database, order, region), keep_cursor=keep_cursor
            )

        summary = Intent(stored.summary, region=region)
        if force:  # worked out afresh, then shown
            self.load(
                Intent(stored.refresh, kam.as_of, force=True),
                lambda _: self.load(summary, show, group="risk"),
                group="risk",
                health=True,
            )
        else:
            self.load(summary, show, group="risk", health=True)

    def _show_summary(self, summary: stored.HealthSummary) -> None:
        line = Text(f"{summary.at_risk:,} at risk", style="bold")
        line.append(f" of {summary.watched:,} watched accounts:  ")
        for band in ("red", "amber", "green"):
            line.append(f"● {summary.bands[band]:,} {band}  ", BAND_STYLES[HealthBand(band)])
        line.append(f"· {ORDERS[self.order]} · as of {self.kam.as_of}", "dim")
        self.query_one("#risk-summary", Static).update(line)

    def _cells(self, row: RiskRow) -> list[tuple[str, object]]:
        change = f"{row.change:+d}" if row.change else ""
        return [
            health_cell(row.score, row.band),
            (change, FALLING if row.change is not None and row.change < 0 else None),
            (row.name, None),
            (row.tier or "", None),
            (row.reasons, None),
            (row.owner or "", None),
        ]

    @on(LazyTable.Loaded, "#risk")
    def _loaded(self) -> None:
        self.call_after_refresh(self._show_detail)

    @on(LazyTable.Selected, "#risk")
    def _open(self, event: LazyTable.Selected) -> None:
        self.kam.open_account(event.row.account_id, "health")

    def action_toggle_order(self) -> None:
        self.order = "fall" if self.order == "score" else "score"
        self._load()

    def data_changed(self) -> None:
        self._load(keep_cursor=True)

    def action_refresh(self) -> None:
        self.query_one("#risk-summary", Static).update("Recomputing health…")
        self._load(keep_cursor=True, force=True)
