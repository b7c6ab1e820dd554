"""The key bar at the foot of every screen: the keys the focused widget and its screen answer to.

One widget drawing one line, where Textual's Footer mounts a widget per key and mounts them all
again whenever focus moves; on screens with twenty keys that was most of the time it took to open
them. A click on a key presses it.
"""

from __future__ import annotations

from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    ALLOW_SELECT = False

    def __init__(
        self, *, last: tuple[str, ...] = (), id: str | None = None, classes: str | None = None
    ) -> None:
        """`last`: keys the screen shows after its own actions (its ways out and around, which
        every screen has), so on a narrow terminal they are the ones left out."""
        super().__init__(id=id, classes=classes)
        self._last = last
        # (key, display, description, enabled), in the order the footer shows them
        self._keys: list[tuple[str, str, str, bool]] = []
        self._palette: tuple[str, str, str, bool] | None = None
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        app = self.app
        own, later, apps = [], [], []
        seen: set[str] = set()
        palette = None
        for key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
            entry = (key, app.get_key_display(binding), binding.description, enabled)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = entry
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            (apps if node is app else later if key in self._last else own).append(entry)
        keys = own + later + apps
        if keys != self._keys or palette != self._palette:
            self._keys, self._palette = keys, palette
            self.refresh()

    @property
    def entries(self) -> list[tuple[str, str, bool]]:
        """(key as shown, description, enabled) of each key, the palette's last."""
        shown = [*self._keys, *([self._palette] if self._palette else [])]
        return [(display, text, enabled) for _key, display, text, enabled in shown]

    @property
    def keys(self) -> list[str]:
        """The keys shown, as their display names (the palette's last)."""
        shown = [display for _key, display, _d, _e in self._keys]
        return shown + ([self._palette[1]] if self._palette else [])

    def render(self) -> RenderResult:
        key_style = self.get_visual_style("keybar--key")
        text_style = self.get_visual_style("keybar--description")
        width = self.size.width
        palette = self._piece(self._palette, key_style, text_style) if self._palette else None
        room = width - (palette[0].cell_length + 1 if palette else 0)
        parts: list[Content] = []
        spans: list[tuple[int, int, str]] = []
        used = 0
        for entry in self._keys:
            piece, key = self._piece(entry, key_style, text_style)
            if used + piece.cell_length > room:
                break
            parts.append(piece)
            spans.append((used, used + piece.cell_length, key))
            used += piece.cell_length
        line = Content("").join(parts)
        if palette is not None and width > palette[0].cell_length:
            gap = max(0, width - used - palette[0].cell_length)
            spans.append((used + gap, width, palette[1]))
            line = Content.assemble(line, " " * gap, palette[0])
        self._spans = spans
        return line

    @staticmethod
    def _piece(entry, key_style, text_style) -> tuple[Content, str]:
        key, display, description, enabled = entry
        piece = Content.assemble((f" {display} ", key_style), (f"{description} ", text_style))
        if not enabled:
            piece = piece.stylize("dim")
        return piece, key

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
