"""A row of tab titles over a bar marking the one in view, drawn by one widget.

Textual's tabs mount a widget per title, a bar, two containers and a pane per tab; on the
account screen that was half of the widgets a new screen built and styled before its first
paint. This strip draws the same two lines itself, and the screen builds a tab's pane only
when it is first shown. Where the titles do not fit, the strip shows the part around the tab
in view, with a mark (MORE_LEFT, MORE_RIGHT) at an edge beyond which more titles lie.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

BAR, HALF_LEFT, HALF_RIGHT = "━", "╺", "╸"
MORE_LEFT, MORE_RIGHT = "‹", "›"  # more titles beyond this edge


class TabStrip(Widget, can_focus=True):
    DEFAULT_CSS = """
    TabStrip {
        height: 2;
        width: 1fr;
    }
    TabStrip > .tab-strip--tab {
        color: $foreground 50%;
    }
    TabStrip > .tab-strip--active {
        color: $foreground;
    }
    TabStrip > .tab-strip--hover {
        color: $foreground;
        background: $foreground 10%;
    }
    TabStrip:focus > .tab-strip--active {
        text-style: $block-cursor-text-style;
        color: $block-cursor-foreground;
        background: $block-cursor-background;
    }
    TabStrip > .tab-strip--bar {
        color: $block-cursor-background;
        background: $foreground 10%;
    }
    TabStrip:focus > .tab-strip--bar {
        background: $foreground 30%;
    }
    """
    COMPONENT_CLASSES = {
        "tab-strip--tab",
        "tab-strip--active",
        "tab-strip--hover",
        "tab-strip--bar",
    }
    BINDINGS = [
        Binding("left", "step(-1)", "Previous tab", show=False),
        Binding("right", "step(1)", "Next tab", show=False),
    ]

    active: reactive[str] = reactive("")

    class Activated(Message):
        """A tab came into view (not sent for the tab the strip starts on)."""

        def __init__(self, strip: TabStrip, tab: str) -> None:
            super().__init__()
            self.strip = strip
            self.tab = tab

        @property
        def control(self) -> TabStrip:
            return self.strip

    def __init__(
        self,
        tabs: Sequence[tuple[str, str]],
        active: str,
        *,
        short: dict[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        """`tabs`: (id, title) pairs, in order; `short`: shorter titles for some tabs, used
        when the full ones do not fit even closer together."""
        super().__init__(id=id)
        self.tabs = list(tabs)
        self.short = dict(short or {})
        self.set_reactive(TabStrip.active, active)
        self._hover: str | None = None  # the tab under the mouse

    # --- geometry -------------------------------------------------------------------------

    def _layout(self) -> tuple[list[tuple[str, str]], int]:
        """The titles and the spaces around each that fit the width: full titles with a
        space either side, else a space after each, else the short titles; the last that
        fits none scrolls."""
        width = self.size.width
        short = [(tab, self.short.get(tab, title)) for tab, title in self.tabs]
        for titles, pad in ((self.tabs, 2), (self.tabs, 1), (short, 1)):
            if sum(len(title) + pad for _tab, title in titles) <= width:
                return titles, pad
        return short, 1

    def _spans(self) -> list[tuple[str, int, int]]:
        """(id, first cell, cells) of each tab: its title and the spaces around it."""
        titles, pad = self._layout()
        spans, x = [], 0
        for tab, title in titles:
            spans.append((tab, x, len(title) + pad))
            x += len(title) + pad
        return spans

    def _offset(self) -> int:
        """The first cell shown: 0 while the tab in view fits, else that tab at the end."""
        width = self.size.width
        for tab, start, cells in self._spans():
            if tab == self.active:
                return max(0, start + cells - width)
        return 0

    # --- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        offset = self._offset()
        base = self.rich_style
        if y == 0:
            plain = self.get_component_rich_style("tab-strip--tab")
            active = self.get_component_rich_style("tab-strip--active")
            hover = self.get_component_rich_style("tab-strip--hover")
            titles, pad = self._layout()
            lead = " " if pad == 2 else ""
            segments = [
                Segment(
                    f"{lead}{title} ",
                    active if tab == self.active else hover if tab == self._hover else plain,
                )
                for tab, title in titles
            ]
            line = Strip(segments).crop_extend(offset, offset + width, base)
            # Marks where titles lie beyond an edge, so a person knows there are more tabs.
            if offset > 0 and width > 1:
                line = Strip.join([Strip([Segment(MORE_LEFT, plain)]), line.crop(1, width)])
            _last, start, cells = self._spans()[-1]
            if start + cells > offset + width and width > 1:
                line = Strip.join([line.crop(0, width - 1), Strip([Segment(MORE_RIGHT, plain)])])
            return line
        elif y == 1:
            strip = Strip(self._bar(offset + width))
        else:
            return Strip.blank(width, base)
        return strip.crop_extend(offset, offset + width, base)

    def _bar(self, width: int) -> list[Segment]:
        styles = self.get_component_rich_style("tab-strip--bar")
        # The bar's own colours are its two inks; the paper is the strip's background.
        paper = Style(bgcolor=self.rich_style.bgcolor)
        lit = paper + Style.from_color(styles.color)
        dim = paper + Style.from_color(styles.bgcolor)
        start = end = 0
        lead = 1 if self._layout()[1] == 2 else 0
        for tab, first, cells in self._spans():
            if tab == self.active:  # under the title, not its spaces
                start, end = first + lead, first + cells - 1
        segments = [Segment(BAR * max(0, start - 1), dim)]
        if start > 0:
            segments.append(Segment(HALF_RIGHT, dim))
        segments.append(Segment(BAR * (end - start), lit))
        if end < width:
            segments.append(Segment(HALF_LEFT + BAR * max(0, width - end - 1), dim))
        return segments

    def watch_active(self, tab: str) -> None:
        self.refresh()
        if self.is_mounted:
            self.post_message(self.Activated(self, tab))

    # --- keys and mouse -------------------------------------------------------------------

    def action_step(self, step: int) -> None:
        ids = [tab for tab, _ in self.tabs]
        self.active = ids[(ids.index(self.active) + step) % len(ids)]

    def _tab_at(self, x: int) -> str | None:
        """The tab whose title covers cell `x` of the strip as shown."""
        x += self._offset()
        for tab, start, cells in self._spans():
            if start <= x < start + cells:
                return tab
        return None

    def on_click(self, event: events.Click) -> None:
        tab = self._tab_at(event.x)
        if tab is not None:
            self.active = tab

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._tab_at(event.x) if event.y == 0 else None)

    def on_leave(self) -> None:
        self._set_hover(None)

    def _set_hover(self, tab: str | None) -> None:
        if tab != self._hover:
            self._hover = tab
            self.refresh()
