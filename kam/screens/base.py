"""What every kam screen shares: loading data in a worker and showing errors as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session
from textual.screen import ModalScreen, Screen

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
        query: Callable[[Session], T],
        then: Callable[[T], Any],
        *,
        group: str,
        write: bool = False,
        failed: Callable[[BaseException], Any] | None = None,
        classified: bool = True,
        ahead: str | None = None,
    ) -> None:
        """Run `query` with its own session in a thread; hand its result to `then` on the UI
        thread. A failure goes to `failed`, else becomes a notification, never a traceback.
        A write commits only if `query` returns; any error rolls all of it back.
        `classified` first brings the stored classification up to date (for what shows it).
        `ahead` names a read the app may have started already (`KamApp.read_ahead`) of the
        same query: its result is taken instead of reading again."""
        kam = self.kam
        on_error = failed or kam.show_error
        early = kam.take_read_ahead(ahead) if ahead else None

        def work() -> None:
            try:
                if early is not None:
                    result = early.result()
                    kam.call_from_thread(then, result)
                    return
                if classified:
                    kam.ensure_classified()
                with kam.database.write() if write else kam.database.read() as session:
                    result = query(session)
            except Exception as exc:
                kam.call_from_thread(on_error, exc)
                return
            kam.call_from_thread(then, result)

        self.run_worker(  # type: ignore[attr-defined]
            work, thread=True, group=group, exclusive=True, exit_on_error=False
        )


class KamScreen(DataMixin, Screen):
    pass


class KamModal(DataMixin, ModalScreen[Any]):
    pass
