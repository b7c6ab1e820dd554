"""The portfolio at a glance: who the key accounts are and how much they bring."""

from __future__ import annotations

import uuid

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kam.dialogs.form import ConfirmScreen
from kam.models.enums import AccountClass, ValueTier
from kam.screens.base import KamScreen
from kam.services.accounts.listing import AccountListQuery
from kam.services.classify import pareto
from kam.services.classify.pareto import ClassificationSettings
from kam.services.portfolio import indicators, overview
from kam.services.unit import Intent
from kam.services.values.formatting import money, money_short, percent
from kam.widgets.badges import class_badge, tier_badge
from kam.widgets.keybar import KeyBar
from kam.widgets.kpi import KpiTile
from kam.widgets.title_bar import TitleBar

WIDE = 120  # columns from which the indicators and the Pareto curve sit side by side


class DashboardBody(VerticalScroll):
    """The dashboard's panels. Lays them out by its own width, which the keys panel (`?`)
    narrows without the screen's size changing."""

    def on_resize(self) -> None:
        # Side by side where there is room; one above the other on a narrow terminal.
        self.query_one("#programme").set_class(self.size.width >= WIDE, "-wide")


class DashboardScreen(KamScreen):
    _headline_inputs: indicators.Inputs | None = None  # what the ones shown came from
    _settings: ClassificationSettings | None = None  # as the figures shown were worked out
    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("g", "classify_by", "By group/account"),
        Binding("R", "app.choose_region", "Region"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with DashboardBody(id="dashboard-body"):
            with Horizontal(id="kpis"):
                yield KpiTile("Accounts", id="kpi-accounts")
                yield KpiTile("Key accounts", id="kpi-key")
                yield KpiTile("Key revenue", id="kpi-key-share")
                yield KpiTile("Revenue", id="kpi-revenue")
            with Horizontal(id="breakdowns"):
                yield Static(id="by-class", classes="panel")
                yield Static(id="by-tier", classes="panel")
            with Vertical(id="programme"):
                yield Static("Working out the headline indicators…", id="headline", classes="panel")
                yield Static(id="pareto", classes="panel")
            yield _panel_table("top-accounts", "Top accounts")
            yield _panel_table("tier-moves", "Moves this quarter")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Portfolio"
        top = self.query_one("#top-accounts", DataTable)
        top.add_columns("#", "Account", "Tier", "Revenue", "Share", "Cum.")
        top.add_row("", "Loading the portfolio…", "", "", "", "")
        self.query_one("#tier-moves", DataTable).add_columns("", "Account", "Move", "When")
        # The first figures come with the ScreenResume that follows the mount.

    # --- what is behind a figure ---------------------------------------------------------------

    @on(KpiTile.Chosen)
    async def _tile_chosen(self, event: KpiTile.Chosen) -> None:
        """Each tile opens the accounts it counts, in the order its figure reads."""
        region = self.kam.region  # a region's tiles count its accounts
        queries = {
            "kpi-accounts": AccountListQuery(region=region),
            "kpi-key": AccountListQuery(key_only=True, region=region),
            "kpi-key-share": AccountListQuery(key_only=True, region=region),
            "kpi-revenue": AccountListQuery(sort="revenue", region=region),
        }
        query = queries.get(event.tile.id or "")
        if query is not None:
            await self.kam.show_accounts(query)

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key:  # the account on that row (a placeholder row has none)
            self.kam.open_account(uuid.UUID(key.split(":")[0]))

    def on_screen_resume(self) -> None:
        self._refresh(headline=False)

    def data_changed(self) -> None:
        self._refresh(headline=False)

    def action_refresh(self) -> None:
        self._refresh(headline=True)

    def action_classify_by(self) -> None:
        """Rank groups on their members together, or every account on its own: a team
        setting, so everyone's lists and reports follow."""
        by_group = self._settings is not None and self._settings.by_group
        if by_group:
            question = (
                "Classify every account on its own revenue again? Members of a group then "
                "take their own class and tier. This is the team's setting: everyone's lists "
                "and reports follow."
            )
        else:
            question = (
                "Classify by group? A group is then ranked on its members' revenue together "
                "and every member takes the group's class and tier. This is the team's "
                "setting: everyone's lists and reports follow."
            )
        wanted = "account" if by_group else "group"

        def answered(sure: bool | None) -> None:
            if sure:
                self.load(
                    Intent(pareto.classify_by, wanted, self.kam.user),
                    lambda _: (
                        self.notify(f"Classified by {wanted}", timeout=3),
                        self._refresh(headline=True),
                    ),
                    group="write",
                    classified=False,
                )

        yes = "By account" if by_group else "By group"
        self.app.push_screen(ConfirmScreen(question, yes=yes, no="Cancel"), answered)

    def _refresh(self, *, headline: bool) -> None:
        """The portfolio figures; the headline indicators (heavier: seconds at 100k accounts)
        again only when asked for or when what they are worked out from moved since (revenue,
        the classification, the wallet estimates, the date)."""

        region = self.kam.region

        def show(loaded) -> None:
            self._show(loaded)
            # Only now: at 100k accounts they take seconds of the same interpreter, and
            # started beside the figures above they would hold back the first screen.
            if region is None:
                self._load_headline(force=headline)
            else:
                self._headline_inputs = None  # the portfolio's are to be shown again later
                self.load(
                    Intent(indicators.by_region, self.kam.as_of, region=region),
                    self._show_region,
                    group="headline",
                )

        self.show_region_in_title("Portfolio")
        self.load(
            Intent(overview.portfolio_page, self.kam.as_of, region),
            show,
            group="dashboard",
            ahead="dashboard" if region is None else None,
        )

    def _show_region(
        self, loaded: tuple[indicators.QuarterFigures, list[indicators.RegionFigures]]
    ) -> None:
        """A region's indicators beside the whole portfolio's."""
        whole, rows = loaded
        table = Table(
            title=f"{rows[0].name if rows else 'The region'} beside the portfolio",
            expand=False,
            box=None,
            pad_edge=False,
            title_justify="left",
        )
        table.add_column("", no_wrap=True)
        table.add_column(rows[0].name if rows else "Region", justify="right")
        table.add_column("Portfolio", justify="right")
        region = rows[0] if rows else None

        def growth(value: float | None) -> Text | str:
            if value is None:
                return "–"
            return Text(f"{value:+.1%}", "green" if value >= 0 else "red")

        mine = region.figures if region is not None else None
        table.add_row("Share of revenue", percent(region.revenue_share) if region else "–", "100%")
        table.add_row(
            "Key share of revenue",
            percent(mine.key_share) if mine else "–",
            percent(whole.key_share),
        )
        table.add_row(
            "Key-account retention",
            percent(mine.retention) if mine else "–",
            percent(whole.retention),
        )
        table.add_row(
            "Key revenue growth",
            growth(mine.key_growth if mine else None),
            growth(whole.key_growth),
        )
        owner = region.owner if region is not None else None
        table.caption = f"12 months to {self.kam.as_of:%d %b %Y} · owner: {owner or 'nobody'}"
        table.caption_justify = "left"
        self.query_one("#headline", Static).update(table)

    def _load_headline(self, *, force: bool) -> None:
        if not force and any(
            w.node is self and w.group == "headline" and not w.is_finished for w in self.workers
        ):
            return  # being worked out already (seconds at 100k accounts): not twice at once
        as_of = self.kam.as_of
        shown = None if force else self._headline_inputs
        self.load(
            Intent(indicators.current_headline, as_of, shown=shown, fresh=force),
            self._headline,
            group="headline",
        )

    def _headline(self, loaded: tuple[indicators.Inputs, indicators.Headline, bool] | None) -> None:
        if loaded is None:
            return  # nothing moved since they were shown
        inputs, data, worked_out = loaded
        self._headline_inputs = inputs
        if worked_out:  # kept for the next start; a cache, so a failure to write is let be
            self.load(
                Intent(indicators.store_headline, inputs, data),
                lambda _: None,
                group="headline-store",
                classified=False,
                failed=lambda _exc: None,
            )
        table = Table(
            title="Key-account programme, 12 months to each quarter's end",
            expand=False,
            box=None,
            pad_edge=False,
            title_justify="left",
        )
        table.add_column("", no_wrap=True)
        for q in data.quarters:
            table.add_column(q.label + ("*" if q is data.current else ""), justify="right")
        table.add_row("Key share of revenue", *[percent(q.key_share) for q in data.quarters])
        table.add_row("Key-account retention", *[percent(q.retention) for q in data.quarters])
        table.add_row(
            "Key revenue growth",
            *[
                Text(f"{q.key_growth:+.1%}", "green" if q.key_growth >= 0 else "red")
                if q.key_growth is not None
                else "–"
                for q in data.quarters
            ],
        )
        wallet = "  ".join(f"{y} {percent(share)}" for y, share, _ in data.wallet if share)
        table.caption = f"Avg share of wallet: {wallet or 'no estimates'} · * to date"
        table.caption_justify = "left"
        self.query_one("#headline", Static).update(table)
        chart = Text("Pareto curve (revenue ↑, accounts →)\n", "bold")
        chart.append("\n".join(indicators.pareto_chart(data.pareto, width=30, height=6)))
        self.query_one("#pareto", Static).update(chart)

    def _show(self, loaded) -> None:
        data, settings, moves = loaded
        self._settings = settings
        self.query_one("#top-accounts", DataTable).border_title = (
            "Top groups and accounts (a group with its members' revenue)"
            if settings.by_group
            else "Top accounts"
        )
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
            caption=pareto.classified_by_words(settings),
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

        top = self.query_one("#top-accounts", DataTable)
        top.clear()
        for rank, account in enumerate(data.top, start=1):
            top.add_row(
                str(rank),
                account.name,
                tier_badge(account.tier, settings.label(account.tier)),
                Text(money(account.revenue_minor), justify="right"),
                Text(percent(account.share), justify="right"),
                Text(percent(account.cumulative_share), justify="right"),
                key=str(account.id),
            )
        if not data.top:
            top.add_row("", "No revenue yet: import revenue or run `kam demo`.", "", "", "", "")
        _fill_moves(self.query_one("#tier-moves", DataTable), moves, settings)


def _panel_table(id: str, title: str) -> DataTable:
    """A short list on the dashboard: rows to move through and open, in a titled panel."""
    table = DataTable(id=id, classes="panel dashboard-list", cursor_type="row", zebra_stripes=True)
    table.border_title = title
    return table


def _fill_moves(table: DataTable, moves: overview.Moves, settings) -> None:
    table.border_title = (
        f"Moves since {moves.since:%d %b %Y}: ▲ {moves.up:,} up  ▼ {moves.down:,} down"
    )
    table.clear()
    for number, move in enumerate(moves.latest):
        parts = []
        if move.field in ("account_class", "both"):
            parts.append(f"{move.from_value or '—'} → {move.to_value}")
        if move.tier_to is not None:
            parts.append(f"{_tier(settings, move.tier_from)} → {_tier(settings, move.tier_to)}")
        table.add_row(
            Text("▲", "green") if move.up else Text("▼", "red"),
            move.name,
            " · ".join(parts),
            f"{move.on:%d %b}",
            key=f"{move.account_id}:{number}",  # an account may move twice in a quarter
        )
    if not moves.latest:
        table.add_row("", Text("No class or tier moves this quarter.", "dim"), "", "")


def _tier(settings, value: str | None) -> str:
    return settings.label(ValueTier(value)) if value in ValueTier.__members__ else (value or "—")
