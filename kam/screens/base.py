"""What every kam screen shares: loading data in a worker and showing errors as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session
from textual.screen import Screen

if TYPE_CHECKING:
    from kam.app import KamApp

T = TypeVar("T")


class KamScreen(Screen):
    @property
    def kam(self) -> KamApp:
        return self.app  # type: ignore[return-value]

    def load(
        self,
        query: Callable[[Session], T],
        then: Callable[[T], Any],
        *,
        group: str,
        write: bool = False,
    ) -> None:
        """Run `query` with its own session in a thread; hand its result to `then` on the UI
        thread. A failure becomes a notification, never a traceback."""
        kam = self.kam

        def work() -> None:
            try:
                kam.ensure_classified()
                with kam.database.write() if write else kam.database.read() as session:
                    result = query(session)
            except Exception as exc:
                kam.call_from_thread(kam.show_error, exc)
                return
            kam.call_from_thread(then, result)

        self.run_worker(work, thread=True, group=group, exclusive=True, exit_on_error=False)
