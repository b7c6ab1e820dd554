"""The pipeline: a board with a column per open stage, a sortable table of the same deals, and
the forecast by owner, quarter, key accounts and stage.

Every list is lazy (a page of cards at a time, fetched in workers) and every total comes from
`services.pipeline.forecast`, the same figures as an account's Pipeline tab and
`kam report pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.strip import Strip
from textual.widgets import ContentSwitcher, Input, Select, Static

from kam.dialogs import deals as deal_forms
from kam.dialogs.form import ConfirmScreen
from kam.models.enums import OPEN_STAGES, AccountClass, OpportunityStage, ValueTier
from kam.screens import deal_views
from kam.screens.base import KamScreen
from kam.services.pipeline import board, deals, forecast, lists
from kam.services.pipeline.filters import DealFilter, DealRow, Quarter
from kam.services.pipeline.forecast import Forecast
from kam.services.pipeline.stages import stage_words
from kam.services.unit import Intent
from kam.services.values.formatting import fit, money, money_short
from kam.widgets.keybar import KeyBar
from kam.widgets.lazy_table import Column, LazyTable
from kam.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from kam.db import Database

TABLE_COLUMNS = [
    Column("account", "Account", 16, grow=3),
    Column("title", "Deal", 16, grow=3),
    Column("stage", "Stage", 11),
    Column("amount", "Amount", 10, right=True),
    Column("probability", "Prob", 4, right=True, optional=True),
    Column("weighted", "Weighted", 10, right=True, optional=True),
    Column("close", "Close", 10),
    Column("days", "Days", 4, right=True),
    Column("flags", "Flags", 5),
    Column("owner", "Owner", 14, grow=1, optional=True),
]
SORT_CYCLE = ["amount", "weighted", "close", "stage", "days", "account", "title", "owner"]
STATE_CYCLE = ["open", "won", "lost", "all"]
KEY_CHOICES = {"key": True, "rest": False}
FLAG_STYLES = {
    True: Style.parse(deal_views.OVERDUE_STYLE),
    False: Style.parse(deal_views.STALE_STYLE),
}
TEXT_DELAY = 0.15  # seconds of typing pause before the filter applies


class DealSource:
    """Deals for a lazy list: one short read per page, in the worker's thread."""

    def __init__(
        self,
        database: Database,
        query: DealFilter,
        as_of: date,
        prepare: Callable[[], None],
        sort: str = "amount",
        descending: bool = True,
    ) -> None:
        self.database, self.query, self.as_of = database, query, as_of
        self.prepare, self.sort, self.descending = prepare, sort, descending

    def count(self) -> int:
        if _reads_classification(self.query):
            self.prepare()  # bring the stored classification up to date first
        return Intent(lists.count_deals, self.query).run(self.database)

    def fetch(self, offset: int, limit: int) -> Sequence[DealRow]:
        page = Intent(
            lists.list_deals,
            self.query,
            self.as_of,
            offset,
            limit,
            sort=self.sort,
            descending=self.descending,
        )
        return page.run(self.database)


class CardList(LazyTable):
    """A board column: three lines per deal (account, title, amount and days in stage)."""

    ROW_HEIGHT = 3
    SHOW_HEADER = False
    DEFAULT_CSS = """
    CardList > .card-list--alt {
        background: $boost;
    }
    CardList > .card-list--dim {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = LazyTable.COMPONENT_CLASSES | {"card-list--alt", "card-list--dim"}

    def __init__(self, stage: OpportunityStage) -> None:
        super().__init__([], lambda row: [], id=f"col-{stage.value}", classes="card-list")
        self.stage = stage

    def row_line(self, row: Any, index: int, line: int, width: int) -> Strip:
        deal: DealRow = row
        base = self.rich_style  # the theme's colours, light or dark
        if index == self.cursor_row:
            cursor = self.get_component_rich_style("lazy-table--cursor")
            base += Style(bgcolor=cursor.bgcolor)
        elif index % 2:
            base += self.get_component_rich_style("card-list--alt")
        if line == 0:
            return Strip([Segment(fit(deal.account, width), base + Style(bold=True))])
        if line == 1:
            return Strip([Segment(fit(deal.title, width), base)])
        left = f"{money_short(deal.amount_minor)} · {deal.days_in_stage}d"
        shown = [
            (word, mark, style)
            for word, mark, style, on_ in (
                ("overdue", "!", deal_views.OVERDUE_STYLE, deal.overdue),
                ("stale", "~", deal_views.STALE_STYLE, deal.stale),
            )
            if on_
        ]
        words = sum(len(word) + 1 for word, _, _ in shown)
        if len(left) + words > width:  # no room for the words: one mark each
            shown = [(mark, mark, style) for _, mark, style in shown]
        right = " ".join(word for word, _, _ in shown)
        room = max(0, width - len(right) - (1 if right else 0))
        dim = base + self.get_component_rich_style("card-list--dim")
        segments = [Segment(fit(left, room), dim)]
        for word, _, style in shown:
            segments.append(Segment(" ", base))
            segments.append(Segment(word, base + Style.parse(style)))
        return Strip(segments).adjust_cell_length(width, base)


class PipelineScreen(KamScreen):
    AUTO_FOCUS = "CardList"
    BINDINGS = [
        Binding("v", "toggle_table", "Board/table"),
        Binding("f", "toggle_forecast", "Forecast"),
        Binding("slash", "filter", "Filter"),
        Binding("n", "new_deal", "New"),
        Binding("e", "edit_deal", "Edit"),
        Binding("shift+right", "move(1)", "Stage →"),
        Binding("shift+left", "move(-1)", "← Stage"),
        Binding("W", "close_deal(True)", "Won"),
        Binding("L", "close_deal(False)", "Lost"),
        Binding("d", "remove_deal", "Remove", show=False),
        Binding("s", "next_sort", "Sort"),
        Binding("r", "reverse_sort", "Reverse", show=False),
        Binding("c", "next_state", "Open/closed"),
        Binding("S", "stage_settings", "Stages", show=False),
        Binding("left", "column(-1)", "Column left", show=False),
        Binding("right", "column(1)", "Column right", show=False),
        Binding("escape", "leave_filters", "Back to deals", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("R", "app.choose_region", "Region"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = DealFilter()
        self.state = "open"
        self.sort = "amount"
        self.descending = True
        self.view = "board"
        self.forecast: Forecast | None = None
        self._left = False  # another screen was shown over this one since it loaded
        self._text_timer: Any = None
        self._board_generation = 0
        self._totals_generation = 0

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar()
        this = Quarter.of(date.today())
        quarters = [(q.label, q.label) for q in (this.shifted(n) for n in range(-1, 5))]
        classes = [("key accounts", "key"), ("other accounts", "rest")] + [
            (c.value, c.value) for c in AccountClass
        ]
        with Horizontal(id="deal-filters"):
            yield Input(placeholder="/ account or deal", id="deal-text", compact=True)
            yield Select([], prompt="any owner", id="f-owner", compact=True)
            yield Select(classes, prompt="any class", id="f-class", compact=True)
            yield Select([], prompt="any tier", id="f-tier", compact=True)
            yield Select(quarters, prompt="any close", id="f-quarter", compact=True)
        yield Static("", id="pipeline-totals")
        with ContentSwitcher(initial="board", id="pipeline-views"), Horizontal(id="board"):
            for stage in OPEN_STAGES:
                with Vertical(classes="stage-column"):
                    yield Static(stage_words(stage).upper(), classes="stage-head")
                    yield CardList(stage)
            # The table and forecast views are built when first shown.
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Pipeline"
        self.load(
            Intent(board.filter_choices),
            self._choices_loaded,
            group="deal-choices",
            classified=False,
        )
        self._apply()

    def _choices_loaded(self, loaded: tuple[list[Any], dict[ValueTier, str]]) -> None:
        members, labels = loaded
        self.query_one("#f-owner", Select).set_options([(m.name, str(m.id)) for m in members])
        self.query_one("#f-tier", Select).set_options(
            [(labels.get(t, t.value), t.value) for t in ValueTier]
        )

    def on_screen_suspend(self) -> None:
        self._left = True

    def on_screen_resume(self) -> None:
        if self._left:  # back from an account: its deals may have changed
            self._apply(keep_cursors=True)
        self._left = False

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        self.call_after_refresh(self._show_heads)

    # --- data ----------------------------------------------------------------------------

    def _columns(self) -> list[CardList]:
        return list(self.query(CardList).results(CardList))

    def _apply(self, *, keep_cursors: bool = False) -> None:
        """Show the deals the filters ask for, in every view, and their totals. The board
        comes in two reads run side by side: the totals by stage (which hold each column's
        count) and the page of cards each column shows."""
        if self.query_state.region != self.kam.region:  # chosen with R, here or elsewhere
            self.query_state = replace(self.query_state, region=self.kam.region)
        self.show_region_in_title("Pipeline")
        f, as_of, view = self.query_state, self.kam.as_of, self.view
        size = CardList.PAGE_SIZE
        cursors = {c.stage: c.cursor_row if keep_cursors else 0 for c in self._columns()}

        # The cards and the totals (which hold each column's count) are read side by side;
        # the board is filled when both are in.
        self._board_generation += 1
        generation, arrived = self._board_generation, {}

        def arrive(part: str, value: Any) -> None:
            if generation != self._board_generation:
                return  # the filters changed meanwhile
            arrived[part] = value
            if len(arrived) == 2:
                self._fill_board(f, cursors, arrived["cards"], arrived["totals"])

        needs = _reads_classification(f) or view == "forecast"  # the key-account split
        self.load(
            Intent(board.board_pages, f, as_of, size, cursors),
            lambda v: arrive("cards", v),
            group="board-cards",
            classified=needs,
        )
        self._load_forecasts(f, view, lambda v: arrive("totals", v))
        if self.query("#deal-list"):
            self._apply_table(keep_cursor=keep_cursors)

    def _fill_board(
        self,
        f: DealFilter,
        cursors: dict[OpportunityStage, int],
        pages: dict,
        totals: tuple[Forecast, dict[str, Forecast]],
    ) -> None:
        stages = totals[0]
        database, prepare, as_of = self.kam.database, self.kam.ensure_classified, self.kam.as_of
        for column in self._columns():
            page, rows = pages[column.stage]
            column.show_loaded(
                DealSource(database, replace(f, stage=column.stage), as_of, prepare),
                stages.row(column.stage.value).open_deals,
                page,
                rows,
                cursors[column.stage],
            )
        self._totals_loaded(totals)

    def _load_totals(self) -> None:
        self._load_forecasts(self.query_state, self.view, self._totals_loaded)

    def _load_forecasts(
        self, f: DealFilter, view: str, then: Callable[[tuple[Forecast, dict]], None]
    ) -> None:
        """The totals by stage; in the forecast view also by owner, quarter, key accounts and
        region, each read in its own worker, side by side (each is a pass over the index of
        open deals), and handed on together."""
        as_of = self.kam.as_of
        groupings = ["stage", *(FORECAST_GROUPINGS if view == "forecast" else [])]
        needs = _reads_classification(f) or view == "forecast"  # the key-account split
        self._totals_generation += 1
        generation, arrived = self._totals_generation, {}

        def arrive(by: str, result: Forecast) -> None:
            if generation != self._totals_generation:
                return  # the filters or the view changed meanwhile
            arrived[by] = result
            if len(arrived) == len(groupings):
                then((arrived.pop("stage"), arrived))

        for by in groupings:
            self.load(
                Intent(forecast.forecast, f, as_of, by),
                lambda result, by=by: arrive(by, result),
                group=f"deal-totals-{by}",
                classified=needs,
            )

    def _totals_loaded(self, loaded: tuple[Forecast, dict[str, Forecast]]) -> None:
        stages, more = loaded
        self.forecast = stages
        short = self.size.width < 110
        line = deal_views.totals(
            stages.total, stages.won_period, short=short, marks=self.view == "board"
        )
        if not stages.total.open_deals and not stages.total.won_deals:
            line = Text("No deals match" if self._filtered else "No deals yet: n adds one")
        if self.view == "table" and self.state != "open":
            line = Text.assemble(line, (f"  · listing {self.state} deals (c)", "dim"))
        self.query_one("#pipeline-totals", Static).update(line)
        self._show_heads()
        if more:
            self._show_forecast(stages, more, short=short)

    def _show_heads(self) -> None:
        if self.forecast is None:
            return
        heads = self.query(".stage-head").results(Static)
        for head, stage in zip(heads, OPEN_STAGES, strict=True):
            width = max(8, head.content_region.width or head.size.width - 2)
            head.update(
                deal_views.column_header(stage_words(stage), self.forecast.row(stage.value), width)
            )

    @property
    def _filtered(self) -> bool:
        return replace(self.query_state, region=None) != DealFilter()

    def _show_forecast(self, stages: Forecast, more: dict[str, Forecast], *, short: bool) -> None:
        parts = []
        for by, title in (
            ("owner", "By owner"),
            ("quarter", "By quarter of expected close (won: quarter closed)"),
            ("key", "Key accounts and the rest"),
            ("region", "By region"),
            ("stage", "By stage"),
        ):
            result = stages if by == "stage" else more[by]
            if by == "owner":  # the team's top; the filter or the report shows anyone else
                result = result.head(OWNER_ROWS, "owners")
            parts += [forecast_table(result, title, short=short), Text("")]
        self.query_one("#forecast-body", Static).update(Group(*parts))

    def _cells(self, row: DealRow) -> list[tuple[str, object]]:
        flags = deal_views.flags(row)
        return [
            (row.account, None),
            (row.title, None),
            (stage_words(row.stage), None),
            (money(row.amount_minor), None),
            (f"{row.probability}%", None),
            (money(row.weighted_minor) if row.open else "", None),
            (str(row.closed_on or row.expected_close or ""), None),
            (str(row.days_in_stage) if row.open else "", None),
            (flags.plain, FLAG_STYLES[row.overdue]),
            (row.owner or "", None),
        ]

    # --- filters -------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#deal-text", Input).focus()

    @on(Input.Changed, "#deal-text")
    def _text_changed(self) -> None:
        if self._text_timer is not None:
            self._text_timer.stop()
        self._text_timer = self.set_timer(TEXT_DELAY, self._read_filters)

    @on(Input.Submitted, "#deal-text")
    def _text_done(self) -> None:
        self._read_filters()
        self._focus_deals()

    @on(Select.Changed)
    def _select_changed(self) -> None:
        self._read_filters()

    def _read_filters(self) -> None:
        def value(selector: str) -> str | None:
            box = self.query_one(selector, Select)
            return None if box.is_blank() else str(box.value)

        owner, group, tier, quarter = (
            value(s) for s in ("#f-owner", "#f-class", "#f-tier", "#f-quarter")
        )
        wanted = DealFilter(
            text=self.query_one("#deal-text", Input).value.strip(),
            owner_id=_uuid(owner),
            account_class=AccountClass(group) if group in AccountClass.__members__ else None,
            key=KEY_CHOICES.get(group or ""),
            tier=ValueTier(tier) if tier else None,
            quarter=Quarter.parse(quarter) if quarter else None,
            region=self.kam.region,
        )
        if wanted != self.query_state:
            self.query_state = wanted
            self._apply()

    def action_leave_filters(self) -> None:
        if isinstance(self.focused, Input | Select):
            self._focus_deals()

    def _focus_deals(self) -> None:
        if self.view == "board":
            self._columns()[0].focus()
        elif self.view == "table":
            self.query_one("#deal-list", LazyTable).focus()
        else:
            self.query_one("#forecast-view").focus()

    # --- views ---------------------------------------------------------------------------

    async def action_toggle_table(self) -> None:
        await self._show_view("board" if self.view == "table" else "table")

    async def action_toggle_forecast(self) -> None:
        await self._show_view("board" if self.view == "forecast" else "forecast")

    async def _show_view(self, view: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        if view == "table" and not self.query("#deal-list"):
            await switcher.mount(LazyTable(TABLE_COLUMNS, self._cells, id="deal-list"))
            self._apply_table()
        if view == "forecast" and not self.query("#forecast-view"):
            await switcher.mount(VerticalScroll(Static("", id="forecast-body"), id="forecast-view"))
        self.view = view
        switcher.current = {
            "board": "board", "table": "deal-list", "forecast": "forecast-view"
        }[view]  # fmt: skip
        self._focus_deals()
        self._load_totals()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"next_sort", "reverse_sort", "next_state"}:
            return self.view == "table"
        if action in {"move", "column"}:
            return self.view == "board"
        if action in {"edit_deal", "close_deal", "remove_deal"}:
            return self.view != "forecast"
        return True

    def action_column(self, step: int) -> None:
        columns = self._columns()
        focused = self.focused
        if focused not in columns:
            return
        index = columns.index(focused) + step  # type: ignore[arg-type]
        if 0 <= index < len(columns):
            target = columns[index]
            if target.row_count:
                target.cursor_row = min(target.cursor_row, target.row_count - 1)
            target.focus()

    def action_next_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.descending = self.sort not in {"close", "account", "title", "owner", "stage"}
        self._apply_table()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self._apply_table()

    def action_next_state(self) -> None:
        self.state = STATE_CYCLE[(STATE_CYCLE.index(self.state) + 1) % len(STATE_CYCLE)]
        self._apply_table()
        self._load_totals()
        self.notify(f"Listing {self.state} deals", timeout=2)

    @on(LazyTable.HeaderClicked, "#deal-list")
    def _header_clicked(self, event: LazyTable.HeaderClicked) -> None:
        key = event.column.key
        if key not in lists.SORTS:
            return
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = key, key not in {"close", "account", "title", "owner"}
        self._apply_table()

    def _apply_table(self, *, keep_cursor: bool = False) -> None:
        table = self.query_one("#deal-list", LazyTable)
        table.header_marks = {self.sort: " ▼" if self.descending else " ▲"}
        table.set_source(
            DealSource(
                self.kam.database,
                replace(self.query_state, state=self.state),
                self.kam.as_of,
                self.kam.ensure_classified,
                self.sort,
                self.descending,
            ),
            keep_cursor=keep_cursor,
        )

    # --- deals ---------------------------------------------------------------------------

    def selected(self) -> DealRow | None:
        focused = self.focused
        if isinstance(focused, LazyTable):
            value = focused.cursor_value
            return value if isinstance(value, DealRow) else None
        return None

    def _deal_or_hint(self) -> DealRow | None:
        deal = self.selected()
        if deal is None:
            self.notify("No deal selected", timeout=2)
        return deal

    @on(LazyTable.Selected)
    def _open(self, event: LazyTable.Selected) -> None:
        deal: DealRow = event.row
        self.kam.open_account(deal.account_id, "pipeline", deal_id=deal.id)

    def _saved(self, result: object) -> None:
        if result is not None:
            self.notify("Saved", timeout=2)
            self._apply(keep_cursors=True)

    def action_new_deal(self) -> None:
        deal_forms.new_deal(self, None, self._saved)

    def action_edit_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is not None:
            deal_forms.edit_deal(self, deal.id, self._saved)

    def action_close_deal(self, won: bool) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        if not deal.open:
            self.notify(f"{deal.title} is {deal.stage.value} already", severity="warning")
            return
        deal_forms.close_deal(self, deal.id, deal.title, deal.account, won, self._saved)

    def action_remove_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        user = self.kam.user

        def answered(sure: bool | None) -> None:
            if sure:
                self.load(
                    Intent(deals.remove_deal, deal.id, user),
                    lambda _: self._saved(True),
                    group="write",
                    classified=False,
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Remove the deal {deal.title} for good? A deal that did not happen is "
                "rather marked lost (L).",
                yes="Remove",
                no="Cancel",
            ),
            answered,
        )

    def action_move(self, step: int) -> None:
        """Move the card under the cursor one stage; the cursor follows it."""
        deal = self.selected()
        columns = self._columns()
        if deal is None or self.focused not in columns:
            return
        target_stage_index = OPEN_STAGES.index(deal.stage) + step
        user, as_of, f = self.kam.user, self.kam.as_of, self.query_state

        source = columns[OPEN_STAGES.index(deal.stage)]

        def done(result: tuple[deals.Moved, int | None]) -> None:
            moved, where = result
            source.reload()
            target = columns[target_stage_index]
            target.reload(cursor=where or 0)
            if self.focused is source:  # the focus follows the card unless the person moved it
                target.focus()
            self._load_totals()
            self.notify(f"{moved.title} → {stage_words(moved.stage)}", timeout=2)

        self.load(
            Intent(board.move_on_board, deal.id, step, user, as_of, f),
            done,
            group="write",
            classified=False,
        )

    def action_stage_settings(self) -> None:
        deal_forms.stage_settings(self, self._saved)

    def data_changed(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._apply(keep_cursors=True)


def _reads_classification(f: DealFilter) -> bool:
    """Filters by class, tier or key accounts read the stored classification."""
    return f.account_class is not None or f.tier is not None or f.key is not None


def _uuid(text: str | None):
    import uuid

    return uuid.UUID(text) if text else None


FORECAST_GROUPINGS = (
    "owner",
    "quarter",
    "key",
    "region",
)  # shown in the forecast view, with "stage"
OWNER_ROWS = 25  # owners listed by name in the forecast view, by forecast


def forecast_table(result: Forecast, title: str, *, short: bool) -> Table:
    cash = money_short if short else money
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        expand=False,
        collapse_padding=short,  # one space, not two, between columns where room is short
    )
    # The names give way (cut with an ellipsis), never the figures or their headings.
    table.add_column(
        result.by.capitalize(), overflow="ellipsis", no_wrap=True, max_width=13 if short else 24
    )
    for name in ("Open", "Amount", "Weighted", f"Won {result.won_period}", "Forecast"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    table.add_column("Stale", justify="right", style=deal_views.STALE_STYLE, min_width=5)
    table.add_column("Overdue", justify="right", style=deal_views.OVERDUE_STYLE, min_width=7)
    for row in [*result.rows, result.total]:
        table.add_row(
            Text(row.label, style="bold" if row is result.total else ""),
            f"{row.open_deals:,}",
            cash(row.amount_minor),
            cash(row.weighted_minor),
            cash(row.won_minor),
            cash(row.forecast_minor),
            str(row.stale or ""),
            str(row.overdue or ""),
            end_section=row is result.rows[-1] if result.rows else False,
        )
    return table
