"""A KPI tile: a figure, its name in the border, and a line of context."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KpiTile(Static):
    DEFAULT_CSS = """
    KpiTile {
        width: 1fr;
        height: 4;
        border: round $primary;
        padding: 0 1;
        content-align: center middle;
    }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__("…", id=id)
        self.border_title = title

    def show(self, figure: str, context: str) -> None:
        self.update(Text.assemble((figure, "bold"), "\n", (context, "dim")))
