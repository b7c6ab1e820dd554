"""Every key the screen underneath answers to, over it: `?` on a terminal too narrow for the
side panel, which would squeeze the screen's own tables to a few columns."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kam.widgets.keybar import KeyBar

KeyRow = tuple[str, str, bool]  # (key as shown, what it does, whether it can be used now)


def key_sections(screen: Screen) -> list[tuple[str, list[KeyRow]]]:
    """The keys `screen` answers to now, hidden ones included: the screen's own, those of the
    part of it that has focus, then the ones that work everywhere; in each, the keys the key
    bar shows come first, in its order."""
    app = screen.app
    bars = screen.query(KeyBar)
    in_bar = {key: n for n, key in enumerate(bars.first().keys)} if bars else {}
    sections: dict[str, list[tuple[int, KeyRow]]] = {
        "This screen": [],
        "Here": [],  # the part of the screen that has focus
        "Everywhere": [],
    }
    seen: set[tuple[str, str]] = set()
    defined: dict[object, dict[str, int]] = {}
    for _key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
        if not binding.description:
            continue
        where = "Everywhere" if node is app else "This screen" if node is screen else "Here"
        if (where, binding.action) in seen:
            continue  # one action under two keys: the first is enough
        seen.add((where, binding.action))
        display = app.get_key_display(binding)
        # The key bar's keys first, in its order; the others after them, in the order their
        # part of the screen defines them (its own before those it inherits).
        if binding.show and display in in_bar:
            place = in_bar[display]
        else:
            order = defined.get(node)
            if order is None:
                order = defined[node] = _definition_order(node)
            place = len(in_bar) + order.get(binding.action, len(order))
        sections[where].append((place, (display, binding.description, enabled)))
    return [
        (title, [row for _place, row in sorted(rows, key=lambda r: r[0])])
        for title, rows in sections.items()
        if rows
    ]


def _definition_order(node: object) -> dict[str, int]:
    """Each action's place among the bindings `node`'s class and its bases define, the class's
    own first: the active bindings come keyed by key, so an action bound to a key that an
    earlier binding also uses would otherwise take that binding's place."""
    order: dict[str, int] = {}
    for cls in type(node).__mro__:
        for binding in cls.__dict__.get("BINDINGS", ()):
            if isinstance(binding, Binding):
                order.setdefault(binding.action, len(order))
    return order


class KeysScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    KeysScreen {
        align: center middle;
    }
    KeysScreen > VerticalScroll {
        width: 100%;
        max-width: 72;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-align: left;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[KeyRow]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False, expand=True)
        table.add_column("key", justify="right", no_wrap=True, style="bold")
        table.add_column("does", ratio=1)
        for n, (title, rows) in enumerate(self._sections):
            if n:
                table.add_row("", "")
            table.add_row("", Text(title, style="bold underline"))
            for key, description, enabled in rows:
                style = "" if enabled else "dim"
                table.add_row(Text(key, style=style), Text(description, style=style))
        box = VerticalScroll(Static(table))
        box.border_title = "Keys · esc or ? to close"
        yield box
