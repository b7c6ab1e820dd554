"""Completing an account's name as it is typed in a form (→ takes the completion)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.suggester import Suggester

from kam.services.accounts import listing
from kam.services.unit import Intent

if TYPE_CHECKING:
    from kam.db import Database


class AccountNames(Suggester):
    """Completes a live account's name from the database, in a thread."""

    def __init__(self, database: Database) -> None:
        super().__init__(use_cache=True, case_sensitive=False)
        self.database = database

    async def get_suggestion(self, value: str) -> str | None:
        try:
            found = await asyncio.to_thread(Intent(listing.complete_name, value).run, self.database)
        except Exception:  # a completion is a convenience: never an error on screen
            return None
        return found
