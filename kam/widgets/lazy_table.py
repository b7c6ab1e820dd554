"""A virtual table for lists that can reach 100k rows.

Only the rows on screen are fetched, a page at a time, in worker threads; the widget keeps a
small cache of pages and renders with Textual's line API, so opening, scrolling and filtering
cost the same at 100 rows as at 100,000. Wide (Chinese) characters count as two cells, so
columns stay aligned.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kam.services.values.formatting import fit


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False
    grow: int = 0  # takes this share of spare room on wide terminals
    optional: bool = False  # left out, last first, when the terminal is too narrow


class RowSource(Protocol):
    """Where rows come from. Both methods run in a worker thread, never on the UI thread."""

    def count(self) -> int: ...

    def fetch(self, offset: int, limit: int) -> Sequence[Any]: ...


Cell = tuple[str, Style | None]
CellRenderer = Callable[[Any], Sequence[Cell]]


class LazyTable(ScrollView, can_focus=True):
    PAGE_SIZE = 100
    MAX_PAGES = 30
    ROW_HEIGHT = 1  # lines per row; a subclass drawing taller rows overrides `row_line`
    SHOW_HEADER = True

    DEFAULT_CSS = """
    LazyTable {
        height: 1fr;
        background: $surface;
    }
    LazyTable > .lazy-table--header {
        text-style: bold;
        background: $panel;
        color: $text;
    }
    LazyTable > .lazy-table--cursor {
        background: $accent 35%;
    }
    LazyTable:focus > .lazy-table--cursor {
        background: $accent 60%;
    }
    LazyTable > .lazy-table--pending {
        color: $text-muted;
    }
    """
    COMPONENT_CLASSES = {"lazy-table--header", "lazy-table--cursor", "lazy-table--pending"}

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class _TableMessage(Message):
        table: LazyTable

        @property
        def control(self) -> LazyTable:  # lets handlers pick a table with @on(..., "#id")
            return self.table

    class Loaded(_TableMessage):
        """The row count for the current source is known."""

        def __init__(self, table: LazyTable, row_count: int) -> None:
            super().__init__()
            self.table = table
            self.row_count = row_count

    class Selected(_TableMessage):
        def __init__(self, table: LazyTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

    class HeaderClicked(_TableMessage):
        def __init__(self, table: LazyTable, column: Column) -> None:
            super().__init__()
            self.table = table
            self.column = column

    class LoadFailed(_TableMessage):
        def __init__(self, table: LazyTable, error: str) -> None:
            super().__init__()
            self.table = table
            self.error = error

    def __init__(
        self,
        columns: Sequence[Column],
        cells: CellRenderer,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = list(columns)
        self._cells = cells
        self._source: RowSource | None = None
        self._pages: OrderedDict[int, Sequence[Any]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self.row_count = 0
        self.is_loading = True
        self._header_marks: dict[str, str] = {}  # e.g. a sort arrow per column key
        self._visible = list(range(len(self.columns)))
        self._shown: dict[int, Sequence[Any]] = {}
        self._widths = [c.width for c in self.columns]

    @property
    def header_marks(self) -> dict[str, str]:
        return self._header_marks

    @header_marks.setter
    def header_marks(self, marks: dict[str, str]) -> None:
        """Marks after column labels (a sort arrow); a marked column is never left out."""
        if marks == self._header_marks:
            return  # the same marks: nothing to lay out or paint again
        self._header_marks = dict(marks)
        if self.is_mounted:
            self._update_virtual_size()

    # --- data --------------------------------------------------------------------------

    @property
    def source(self) -> RowSource | None:
        return self._source

    def set_source(self, source: RowSource, *, keep_cursor: bool = False) -> None:
        """Show rows from `source`, from the top (or where the cursor is, when the rows are
        the same ones refreshed); earlier loads still running are ignored."""
        if keep_cursor and self._source is not None:
            self._source = source
            self.reload()
            return
        self._source = source
        self._remember_shown()
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self.is_loading = True
        self._start_count(self._generation)

    def show_loaded(
        self, source: RowSource, total: int, page: int, rows: Sequence[Any], cursor: int = 0
    ) -> None:
        """Show rows the caller read already (the row count and the page holding `cursor`),
        as `set_source` would after its first fetch; further pages load as usual."""
        self._source = source
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        self._counted(self._generation, total, page, rows, cursor)

    def reload(self, cursor: int | None = None) -> None:
        """Fetch again (data changed), keeping the cursor where it is or moving it to
        `cursor`."""
        if self._source is None:
            return
        cursor = self.cursor_row if cursor is None else cursor
        self._remember_shown()
        self._generation += 1
        self._pages.clear()
        self._pending.clear()
        # Until the count is in, no page is asked for: the source's rows may be changing
        # (a group unfolds), and a page read meanwhile would be stored as current.
        self.is_loading = True
        self._start_count(self._generation, keep_cursor=cursor)

    def row_at(self, index: int) -> Any | None:
        page = self._pages.get(index // self.PAGE_SIZE)
        if page is None and self.is_loading:
            page = self._shown.get(index // self.PAGE_SIZE)
        if page is None:
            return None
        offset = index % self.PAGE_SIZE
        return page[offset] if offset < len(page) else None

    @property
    def cursor_value(self) -> Any | None:
        return self.row_at(self.cursor_row) if self.row_count else None

    def _start_count(self, generation: int, keep_cursor: int = 0) -> None:
        source = self._source
        first_page = max(0, keep_cursor) // self.PAGE_SIZE

        def work() -> None:
            try:
                assert source is not None
                total = source.count()
                rows = source.fetch(first_page * self.PAGE_SIZE, self.PAGE_SIZE) if total else []
            except Exception as exc:  # shown to the user, never a traceback
                self.app.call_from_thread(self._failed, generation, exc)
                return
            self.app.call_from_thread(
                self._counted, generation, total, first_page, rows, keep_cursor
            )

        self.run_worker(
            work, thread=True, group="lazy-table-count", exclusive=True, exit_on_error=False
        )

    def _counted(
        self, generation: int, total: int, first_page: int, rows: Sequence[Any], cursor: int
    ) -> None:
        if generation != self._generation:
            return
        self.row_count = total
        self.is_loading = False
        self._shown.clear()
        self._store(first_page, rows)
        self._update_virtual_size()
        if cursor == 0:
            self.scroll_to(y=0, animate=False)
        self.cursor_row = min(cursor, max(0, total - 1))
        self.refresh()
        self.post_message(self.Loaded(self, total))

    def _request_page(self, page: int) -> None:
        if page in self._pending or self._source is None:
            return
        self._pending.add(page)
        source, generation = self._source, self._generation

        def work() -> None:
            try:
                rows = source.fetch(page * self.PAGE_SIZE, self.PAGE_SIZE)
            except Exception as exc:
                self.app.call_from_thread(self._failed, generation, exc)
                return
            self.app.call_from_thread(self._page_loaded, generation, page, rows)

        self.run_worker(work, thread=True, group="lazy-table-page", exit_on_error=False)

    def _page_loaded(self, generation: int, page: int, rows: Sequence[Any]) -> None:
        if generation != self._generation:
            return
        self._pending.discard(page)
        self._store(page, rows)
        self.refresh()

    def _remember_shown(self) -> None:
        """Keep the rows on screen while the next source counts, so the table does not
        flash empty (or fetch pages for the old row count) on every keystroke."""
        if not self._shown:
            self._shown = dict(self._pages)

    def _store(self, page: int, rows: Sequence[Any]) -> None:
        self._pages[page] = rows
        self._pages.move_to_end(page)
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)

    def _failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        self.is_loading = False
        self._pending.clear()
        self.post_message(
            self.LoadFailed(self, str(exc).splitlines()[0] if str(exc) else repr(exc))
        )

    # --- geometry ------------------------------------------------------------------------

    def on_resize(self, _event: events.Resize) -> None:
        self._update_virtual_size()

    def _update_virtual_size(self) -> None:
        # Room left once the vertical scrollbar (if the rows need one) takes its share, so
        # the columns never need a horizontal scrollbar at all.
        needs_scrollbar = self.row_count * self.ROW_HEIGHT + self._header_lines > self.size.height
        available = self.size.width - (
            self.styles.scrollbar_size_vertical if needs_scrollbar else 0
        )
        visible = list(range(len(self.columns)))

        def natural() -> int:
            return sum(self.columns[i].width for i in visible) + len(visible) - 1

        optional = [
            i for i, c in enumerate(self.columns) if c.optional and c.key not in self._header_marks
        ]
        while natural() > available and optional:
            visible.remove(optional.pop())
        spare = max(0, available - natural())
        grow_total = sum(self.columns[i].grow for i in visible)
        self._visible = visible
        self._widths = [
            self.columns[i].width
            + (spare * self.columns[i].grow // grow_total if grow_total else 0)
            for i in visible
        ]
        width = sum(self._widths) + len(visible) - 1 if visible else available
        self.virtual_size = Size(width, self.row_count * self.ROW_HEIGHT + self._header_lines)
        self.refresh()

    @property
    def _header_lines(self) -> int:
        return 1 if self.SHOW_HEADER else 0

    @property
    def _body_lines(self) -> int:
        return max(1, self.scrollable_content_region.height - self._header_lines)

    @property
    def _body_height(self) -> int:
        """Whole rows that fit on screen."""
        return max(1, self._body_lines // self.ROW_HEIGHT)

    # --- rendering -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y < self._header_lines:
            strip = self._header_strip()
        else:
            index, line = divmod(scroll_y + y - self._header_lines, self.ROW_HEIGHT)
            if index >= self.row_count:
                return Strip.blank(width, base)
            row = self.row_at(index)
            if row is None:
                if not self.is_loading:  # the count worker brings the first page itself
                    self._request_page(index // self.PAGE_SIZE)
                style = self.get_component_rich_style("lazy-table--pending")
                strip = Strip([Segment(fit("…" if line == 0 else "", width), style)])
            else:
                strip = self.row_line(row, index, line, width)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def row_line(self, row: Any, index: int, line: int, width: int) -> Strip:
        """Line `line` of row number `index` (a one-line row here)."""
        return self._row_strip(row, index == self.cursor_row, index)

    def _header_strip(self) -> Strip:
        style = self.get_component_rich_style("lazy-table--header")
        segments = []
        for position, (i, width) in enumerate(zip(self._visible, self._widths, strict=True)):
            column = self.columns[i]
            label = column.label + self._header_marks.get(column.key, "")
            if position:
                segments.append(Segment(" ", style))
            segments.append(Segment(fit(label, width, right=column.right), style))
        return Strip(segments)

    def cells_of(self, row: Any, index: int) -> Sequence[Cell]:
        """The cells of row number `index`; a subclass may look at the rows around it."""
        return self._cells(row)

    def _row_strip(self, row: Any, is_cursor: bool, index: int) -> Strip:
        cells = self.cells_of(row, index)
        # Every segment starts from the widget's own style (the theme's text and background),
        # so rows follow a light theme, and filters such as NO_COLOR's monochrome one always
        # get a style to work on.
        base = self.rich_style
        overlay = Style()
        if is_cursor:
            cursor = self.get_component_rich_style("lazy-table--cursor")
            overlay = Style(bgcolor=cursor.bgcolor, bold=True)
        segments = []
        for position, (i, width) in enumerate(zip(self._visible, self._widths, strict=True)):
            text, style = cells[i]
            cell_style = base + (style or Style()) + overlay
            if position:
                segments.append(Segment(" ", base + overlay))
            segments.append(Segment(fit(text, width, right=self.columns[i].right), cell_style))
        return Strip(segments)

    # --- keys and mouse ------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        # Scrolled by whole rows, so a row of several lines (a board card) is never shown
        # cut, its first lines (the account, the deal) above the top edge.
        height = self.ROW_HEIGHT
        top_row = -(-round(self.scroll_offset.y) // height)  # the first row shown whole
        shown = self._body_height
        if new < top_row:
            self.scroll_to(y=new * height, animate=False)
        elif new >= top_row + shown:
            self.scroll_to(y=(new - shown + 1) * height, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.row_count:
            self.cursor_row = max(0, min(self.row_count - 1, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._body_height)

    def action_jump(self, where: int) -> None:
        if self.row_count:
            self.cursor_row = self.row_count - 1 if where < 0 else 0

    def action_select(self) -> None:
        row = self.cursor_value
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y < self._header_lines:
            x = offset.x + round(self.scroll_offset.x)
            for i, width in zip(self._visible, self._widths, strict=True):
                if x < width + 1:
                    self.post_message(self.HeaderClicked(self, self.columns[i]))
                    return
                x -= width + 1
            return
        index = (round(self.scroll_offset.y) + offset.y - self._header_lines) // self.ROW_HEIGHT
        if 0 <= index < self.row_count:
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.cursor_row = index
