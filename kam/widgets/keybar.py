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
        self._screens: list[tuple[str, str, str, bool]] = []  # the app's 1-6 (and q)
        self._help: tuple[str, str, str, bool] | None = None  # `?`: always shown
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
        palette = helper = None
        for key, (node, binding, enabled, _tooltip) in screen.active_bindings.items():
            entry = (key, app.get_key_display(binding), binding.description, enabled)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = entry
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if node is app and binding.action == "toggle_help":
                helper = entry
                continue
            (apps if node is app else later if key in self._last else own).append(entry)
        keys = own + later
        if (keys, apps, helper, palette) != (self._keys, self._screens, self._help, self._palette):
            self._keys, self._screens, self._help, self._palette = keys, apps, helper, palette
            self.refresh()

    @property
    def _all(self) -> list[tuple[str, str, str, bool]]:
        ends = [e for e in (self._help, self._palette) if e is not None]
        return [*self._keys, *self._screens, *ends]

    @property
    def entries(self) -> list[tuple[str, str, bool]]:
        """(key as shown, description, enabled) of each key, the palette's last."""
        return [(display, text, enabled) for _key, display, text, enabled in self._all]

    @property
    def keys(self) -> list[str]:
        """The keys shown, as their display names (the palette's last)."""
        return [display for _key, display, _d, _e in self._all]

    def render(self) -> RenderResult:
        """The screen's keys from the left, as many as fit; on the right `?` (which lists
        every key) and the palette, always; between them the app's screen keys, folded into
        one `1-6 Screens` where they do not fit one by one."""
        key_style = self.get_visual_style("keybar--key")
        text_style = self.get_visual_style("keybar--description")
        width = self.size.width
        right = [
            self._piece(entry, key_style, text_style)
            for entry in (self._help, self._palette)
            if entry is not None
        ]
        room = width - sum(piece.cell_length for piece, _key in right) - (1 if right else 0)
        screens = [self._piece(entry, key_style, text_style) for entry in self._screens]
        screens_cells = sum(piece.cell_length for piece, _key in screens)
        folded = self._folded_screens(key_style, text_style)
        parts: list[Content] = []
        spans: list[tuple[int, int, str]] = []
        used = 0

        def put(piece: Content, key: str) -> None:
            nonlocal used
            parts.append(piece)
            spans.append((used, used + piece.cell_length, key))
            used += piece.cell_length

        # The screen's own keys come first, as many as fit.
        for entry in self._keys:
            piece, key = self._piece(entry, key_style, text_style)
            if used + piece.cell_length > room:
                break
            put(piece, key)
        if screens and used + screens_cells <= room:
            for piece, key in screens:
                put(piece, key)
        elif folded and used + folded[0].cell_length <= room:
            put(*folded)
        line = Content("").join(parts)
        if right:
            tail = Content("").join(piece for piece, _key in right)
            if width > tail.cell_length:
                gap = max(0, width - used - tail.cell_length)
                x = used + gap
                for piece, key in right:
                    spans.append((x, x + piece.cell_length, key))
                    x += piece.cell_length
                line = Content.assemble(line, " " * gap, tail)
        self._spans = spans
        return line

    def _folded_screens(self, key_style, text_style) -> tuple[Content, str] | None:
        """`1-6 Screens` (and `q Quit`) as one piece; a click on it shows the dashboard."""
        digits = [e for e in self._screens if e[1].isdigit()]
        others = [e for e in self._screens if not e[1].isdigit()]
        if len(digits) < 2:
            return None
        piece = Content.assemble(
            (f" {digits[0][1]}-{digits[-1][1]} ", key_style), ("Screens ", text_style)
        )
        for entry in others:
            piece = Content.assemble(piece, self._piece(entry, key_style, text_style)[0])
        return piece, digits[0][0]

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
