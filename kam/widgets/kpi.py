"""A KPI tile: a figure, its name in the border, and a line of context."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class KpiTile(Static, can_focus=True):
    """Enter or a click opens what the figure counts (the parent handles `Chosen`)."""

    DEFAULT_CSS = """
    KpiTile {
        width: 1fr;
        height: 4;
        border: round $primary;
        padding: 0 1;
        content-align: center middle;
    }
    KpiTile:focus {
        border: round $accent;
        background: $accent 15%;
    }
    """
    BINDINGS = [Binding("enter", "choose", "Open")]

    class Chosen(Message):
        def __init__(self, tile: KpiTile) -> None:
            super().__init__()
            self.tile = tile

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__("…", id=id)
        self.border_title = title

    def action_choose(self) -> None:
        self.post_message(self.Chosen(self))

    def on_click(self) -> None:
        self.action_choose()

    def show(self, figure: str, context: str) -> None:
        self.update(Text.assemble((figure, "bold"), "\n", (context, "dim")))
