"""What every kam screen shares: loading data in a worker and showing errors as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.actions import SkipAction
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import TextArea

from kam.services.unit import Intent

if TYPE_CHECKING:
    from kam.app import KamApp

T = TypeVar("T")


class DataMixin:
    """Database work off the UI thread, for screens and modal screens alike."""

    @property
    def kam(self) -> KamApp:
        return self.app  # type: ignore[attr-defined,no-any-return]

    def load(
        self,
        intent: Intent[T],
        then: Callable[[T], Any],
        *,
        group: str,
        failed: Callable[[BaseException], Any] | None = None,
        classified: bool = True,
        health: bool = False,
        ahead: str | None = None,
    ) -> None:
        """Run `intent` in a thread, in the unit of work its service declares; hand its
        result to `then` on the UI thread. A failure goes to `failed`, else becomes a
        notification, never a traceback. A write commits only if the service returns.
        `classified` first brings the stored classification up to date (for what shows it),
        `health` the stored health too.
        `ahead` names a read the app may have started already (`KamApp.read_ahead`) of the
        same intent: its result is taken instead of reading again."""
        kam = self.kam
        on_error = failed or kam.show_error
        early = kam.take_read_ahead(ahead) if ahead else None

        def work() -> None:
            try:
                if early is not None:
                    result = early.result()
                    kam.call_from_thread(then, result)
                    return
                if health:
                    kam.ensure_health()
                elif classified:
                    kam.ensure_classified()
                result = intent.run(kam.database)
            except Exception as exc:
                kam.call_from_thread(on_error, exc)
                return
            kam.call_from_thread(then, result)

        self.run_worker(  # type: ignore[attr-defined]
            work, thread=True, group=group, exclusive=True, exit_on_error=False
        )

    def open_when_loaded(
        self,
        intent: Intent[T],
        build: Callable[[T], Screen | None],
        done: Callable[[Any], Any] | None = None,
        *,
        group: str = "open-screen",
    ) -> None:
        """Read what a screen (a form, a dialog) needs in a worker, then show the screen
        `build` makes of it. Keys typed meanwhile wait for that screen."""
        kam = self.kam
        kam.hold_keys()

        def show(loaded: T) -> None:
            screen = build(loaded)
            if screen is None:
                kam.drop_held_keys()
                return
            kam.push_screen(screen, done)

        def failed(exc: BaseException) -> None:
            kam.drop_held_keys()
            kam.show_error(exc)

        self.load(intent, show, group=group, failed=failed, classified=False)

    def _shown(self) -> None:
        """Once this screen is current and focused, keys typed while it opened reach it."""
        self.call_after_refresh(self.kam.release_keys)  # type: ignore[attr-defined]


class KamScreen(DataMixin, Screen):
    def on_screen_resume(self) -> None:
        self._shown()

    def show_region_in_title(self, title: str) -> None:
        """The screen's title, with the region it shows when it is not the whole portfolio."""
        region = self.kam.region
        self.sub_title = title if region is None else f"{title} · {region.name}"

    def data_changed(self) -> None:
        """Rows came in from the team database while this screen was shown: read again what
        it shows (a screen that shows none of it does nothing)."""


class KamModal(DataMixin, ModalScreen[Any]):
    # tab moves on at once, before the keys typed after it are handed out: Textual runs a
    # screen's own tab binding only once the key came back up from the field, and by then
    # the next letters have gone to the field being left.
    BINDINGS = [
        Binding("tab", "focus_step(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_step(-1)", "Previous field", show=False, priority=True),
    ]

    def on_screen_resume(self) -> None:
        self._shown()

    def action_focus_step(self, step: int) -> None:
        focused = self.focused
        if isinstance(focused, TextArea) and focused.tab_behavior == "indent":
            raise SkipAction()  # a tab typed as text
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()
