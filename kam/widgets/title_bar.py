"""The line at the top of every screen: an icon that opens the command palette, and the title
("kam — what this screen shows") centred, drawn by one widget.

Textual's header mounts four widgets and, each time a title is set, updates one of them in a
way that lays the whole screen out again; a screen that sets its title while it opens then
waits for another frame. This bar draws the same line and only repaints itself.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8  # the icon's cell, padded as Textual's header pads it
RIGHT_WIDTH = 10  # where Textual's header has its clock: what state the database is in
# (wider for a copy of the team database: "offline since 09:12 · 14 waiting")


class TitleBar(Widget):
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    TitleBar > .title-bar--icon-hover {
        background: $foreground 10%;
    }
    """
    COMPONENT_CLASSES = {"title-bar--icon-hover"}

    def __init__(self) -> None:
        super().__init__()
        self._icon_hover = False

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            for name in ("title", "sub_title"):
                self.watch(node, name, self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    @property
    def title_content(self) -> Content:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        width = self.size.width
        icon = Content(f" {ICON}").pad_right(max(0, ICON_WIDTH - 2))
        if self._icon_hover:
            icon = icon.stylize(self.get_visual_style("title-bar--icon-hover", partial=True))
        mark = getattr(self.app, "database_mark", "")
        room = max(RIGHT_WIDTH, min(len(mark) + 1, width // 3))
        mark = mark if len(mark) < room else mark[: room - 2] + "…"
        middle = max(0, width - ICON_WIDTH - room)
        title = self.title_content
        if title.cell_length > middle:
            title = title.truncate(middle, ellipsis=True)
        left = (middle - title.cell_length) // 2
        right = Content.styled(mark, "bold $text-warning") if mark else Content("")
        return Content.assemble(
            icon,
            " " * left,
            title,
            " " * (middle - left - title.cell_length + room - right.cell_length - 1),
            right,
            " ",
        )

    def _over_icon(self, x: int) -> bool:
        return self.app.ENABLE_COMMAND_PALETTE and 0 <= x < ICON_WIDTH

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._over_icon(event.x))

    def on_leave(self) -> None:
        self._set_hover(False)

    def _set_hover(self, hover: bool) -> None:
        if hover != self._icon_hover:
            self._icon_hover = hover
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        if self._over_icon(event.x):
            event.stop()
            await self.run_action("app.command_palette")
        elif getattr(self.app, "is_replica", False) and event.x >= self.size.width * 2 // 3:
            event.stop()  # the sync state: what waits to be decided
            await self.run_action("app.show('conflicts')")
