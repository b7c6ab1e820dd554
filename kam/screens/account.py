"""One account: its profile, its standing in the portfolio, and its revenue."""

from __future__ import annotations

import uuid
from datetime import date

from rich.table import Table
from rich.text import Text
from sqlmodel import Session
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Static

from kam.config import ClassificationSettings
from kam.screens.base import KamScreen
from kam.services import accounts as account_service
from kam.services import settings as settings_service
from kam.services.accounts import AccountDetail
from kam.services.formatting import money, percent
from kam.widgets.badges import STATUS_STYLES, class_badge, tier_badge


def _words(value: object) -> str:
    if value is None or value == "":
        return "—"
    return str(getattr(value, "value", value)).replace("_", " ")


Loaded = tuple[AccountDetail, ClassificationSettings]


def load_account(session: Session, account_id: uuid.UUID, today: date) -> Loaded:
    """Everything the account screen shows, read in one session."""
    return (
        account_service.account_detail(session, account_id, today),
        settings_service.classification_settings(session),
    )


class AccountScreen(KamScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, account_id: uuid.UUID, loaded: Loaded | None = None) -> None:
        """`loaded`, when the opener read the data already, lets the first paint show it."""
        super().__init__()
        self.account_id = account_id
        self._preloaded = loaded

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="account-body"):
            with Horizontal(id="account-top"):
                yield Static("Loading…", id="profile", classes="panel")
                yield Static(id="standing", classes="panel")
            yield Static(id="revenue-years", classes="panel")
            yield Static(id="revenue-categories", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        account_id, today = self.account_id, self.kam.today

        def query(session):
            return (
                account_service.account_detail(session, account_id, today),
                settings_service.classification_settings(session),
            )

        self.load(query, self._show, group="account")

    def _show(self, loaded: tuple[AccountDetail, ClassificationSettings]) -> None:
        detail, settings = loaded
        account = detail.account
        self.sub_title = account.name
        profile = Table.grid(padding=(0, 2))
        profile.add_column(style="dim", no_wrap=True)
        profile.add_column(overflow="fold")
        profile.add_row("Account", Text(account.name, style="bold"))
        for label, value in [
            ("Industry", account.industry),
            ("Region", account.region),
            ("Owner", detail.owner),
            ("Stage", account.relationship_stage),
            ("Horizon", account.relationship_horizon),
            ("Type", account.relationship_type),
            ("Buys on", account.buying_factor),
            ("Customer since", account.customer_since),
        ]:
            profile.add_row(label, _words(value))
        profile.add_row("Status", Text(_words(account.status), style=STATUS_STYLES[account.status]))
        flags = [
            name
            for name, on in (("strategic", account.strategic), ("emerging", account.emerging))
            if on
        ]
        profile.add_row("Flags", ", ".join(flags) or "—")
        if account.notes:
            profile.add_row("Notes", account.notes)
        self.query_one("#profile", Static).update(profile)
        self.query_one("#profile", Static).border_title = "Profile"

        standing = Table.grid(padding=(0, 2))
        standing.add_column(style="dim", no_wrap=True)
        standing.add_column()
        c = detail.classification
        if c is not None:
            standing.add_row("Class", class_badge(c.account_class, account.strategic))
            tier = tier_badge(c.tier, settings.label(c.tier))
            if account.tier_override:
                tier.append(
                    f"  set by hand: {account.tier_override_reason or 'no reason given'}", "dim"
                )
            standing.add_row("Tier", tier)
            standing.add_row("Rank", f"{c.rank:,}" if c.rank else "no revenue in the window")
            standing.add_row(f"Revenue {settings.window}", money(c.revenue_minor))
            standing.add_row(f"Cost {settings.window}", money(c.cost_minor))
            margin = (c.revenue_minor - c.cost_minor) / c.revenue_minor if c.revenue_minor else None
            standing.add_row("Margin", percent(margin) or "—")
            standing.add_row("Share of revenue", percent(c.share, 2))
            standing.add_row("Cumulative share", percent(c.cumulative_share) or "—")
        standing.add_row(
            "Team", ", ".join(f"{t.member} ({_words(t.role)})" for t in detail.team) or "none"
        )
        standing.add_row("Contacts", str(detail.contacts))
        standing.add_row(
            "Open deals",
            f"{detail.open_opportunities} · weighted {money(detail.weighted_pipeline_minor)}",
        )
        overdue = detail.overdue_plan_items
        standing.add_row(
            "Overdue contacts", Text(str(overdue), style="bold red" if overdue else "")
        )
        for move in detail.tier_moves[:3]:
            standing.add_row(
                "Moved",
                f"{move.changed_at} {_words(move.field)}: {move.from_value} → {move.to_value}",
            )
        panel = self.query_one("#standing", Static)
        panel.update(standing)
        panel.border_title = "Standing"

        years = Table(expand=True, box=None)
        years.add_column("Year")
        years.add_column("Revenue", justify="right")
        years.add_column("Cost", justify="right")
        years.add_column("Margin", justify="right")
        years.add_column("Growth", justify="right")
        previous = None
        for year, revenue, cost in detail.revenue_by_year:
            growth = (revenue - previous) / previous if previous else None
            years.add_row(
                str(year),
                money(revenue),
                money(cost),
                percent((revenue - cost) / revenue if revenue else None),
                percent(growth),
            )
            previous = revenue
        if not detail.revenue_by_year:
            years.add_row("—", "no revenue recorded", "", "", "")
        panel = self.query_one("#revenue-years", Static)
        panel.update(years)
        panel.border_title = "Revenue by year"

        all_years = sorted({y for by_year in detail.revenue_by_category.values() for y in by_year})
        categories = Table(expand=True, box=None)
        categories.add_column("Category", no_wrap=True)
        for year in all_years:
            categories.add_column(str(year), justify="right")
        for category in sorted(detail.revenue_by_category):
            values = detail.revenue_by_category[category]
            categories.add_row(
                category, *(money(values[y]) if y in values else "—" for y in all_years)
            )
        panel = self.query_one("#revenue-categories", Static)
        panel.update(categories)
        panel.border_title = "Revenue by category"
