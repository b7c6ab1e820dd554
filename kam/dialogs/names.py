"""Completing a name as it is typed in a form (→ takes the completion): an account's, a
region's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.suggester import Suggester

from kam.services.accounts import listing, regions
from kam.services.unit import Intent

if TYPE_CHECKING:
    from kam.db import Database


class Names(Suggester):
    """Completes a name from the database, in a thread, with a service's `complete`."""

    def __init__(self, database: Database, complete: Callable[..., str | None]) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self.database = database
        self.complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        try:
            found = await asyncio.to_thread(Intent(self.complete, value).run, self.database)
        except Exception:  # a completion is a convenience: never an error on screen
            return None
        return found


def account_names(database: Database) -> Names:
    """Completes a live account's name."""
    return Names(database, listing.complete_name)


def region_names(database: Database) -> Names:
    """Completes a region's or a territory's name."""
    return Names(database, regions.complete_name)
