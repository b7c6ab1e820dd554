"""The portfolio at a glance: who the key accounts are and how much they bring."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from kam.models.enums import AccountClass, ValueTier
from kam.screens.base import KamScreen
from kam.services import portfolio
from kam.services import settings as settings_service
from kam.services.formatting import money, money_short, percent
from kam.widgets.badges import class_badge, tier_badge
from kam.widgets.kpi import KpiTile


class DashboardScreen(KamScreen):
    BINDINGS = [Binding("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard-body"):
            with Horizontal(id="kpis"):
                yield KpiTile("Accounts", id="kpi-accounts")
                yield KpiTile("Key accounts", id="kpi-key")
                yield KpiTile("Key revenue", id="kpi-key-share")
                yield KpiTile("Revenue", id="kpi-revenue")
            with Horizontal(id="breakdowns"):
                yield Static(id="by-class", classes="panel")
                yield Static(id="by-tier", classes="panel")
            yield Static(id="top-accounts", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Portfolio"
        self.query_one("#top-accounts", Static).update("Loading the portfolio…")
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        today = self.kam.today

        def query(session):
            return (
                portfolio.dashboard(session, today),
                settings_service.classification_settings(session),
            )

        self.load(query, self._show, group="dashboard")

    def _show(self, loaded) -> None:
        data, settings = loaded
        self.query_one("#kpi-accounts", KpiTile).show(
            f"{data.accounts:,}", f"{data.ranked_accounts:,} buying"
        )
        self.query_one("#kpi-key", KpiTile).show(
            f"{data.key_accounts:,}",
            percent(data.key_accounts / data.accounts if data.accounts else 0) + " of all",
        )
        self.query_one("#kpi-key-share", KpiTile).show(
            percent(data.key_revenue_share), "of revenue"
        )
        self.query_one("#kpi-revenue", KpiTile).show(
            money_short(data.revenue_minor), f"last {data.window}"
        )

        by_class = Table(
            title="By class",
            caption="core: top 5% · major: next 20%",
            expand=True,
            box=None,
            pad_edge=False,
            title_justify="left",
            caption_justify="left",
        )
        by_class.add_column("Class", no_wrap=True)
        by_class.add_column("Count", justify="right")
        by_class.add_column("Revenue", justify="right")
        by_class.add_column("Share", justify="right")
        for figure in data.by_class:
            cls = AccountClass(figure.key)
            by_class.add_row(
                class_badge(cls),
                f"{figure.accounts:,}",
                money_short(figure.revenue_minor),
                percent(figure.share),
            )
        self.query_one("#by-class", Static).update(by_class)

        by_tier = Table(
            title="By tier", expand=True, box=None, pad_edge=False, title_justify="left"
        )
        by_tier.add_column("Tier", no_wrap=True)
        by_tier.add_column("Count", justify="right")
        by_tier.add_column("Share", justify="right")
        for figure in data.by_tier:
            tier = ValueTier(figure.key)
            by_tier.add_row(
                tier_badge(tier, settings.label(tier)),
                f"{figure.accounts:,}",
                percent(figure.share),
            )
        self.query_one("#by-tier", Static).update(by_tier)

        top = Table(title="Top accounts", expand=True, box=None, title_justify="left")
        top.add_column("#", justify="right", width=3)
        top.add_column("Account", ratio=1, no_wrap=True, overflow="ellipsis")
        top.add_column("Tier", no_wrap=True)
        top.add_column("Revenue", justify="right")
        top.add_column("Share", justify="right")
        top.add_column("Cum.", justify="right")
        for rank, account in enumerate(data.top, start=1):
            top.add_row(
                str(rank),
                account.name,
                tier_badge(account.tier, settings.label(account.tier)),
                money(account.revenue_minor),
                percent(account.share),
                percent(account.cumulative_share),
            )
        if not data.top:
            top.add_row("", "No revenue yet: import revenue or run `kam demo`.", "", "", "", "")
        self.query_one("#top-accounts", Static).update(top)
