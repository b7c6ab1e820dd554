"""Helpers shared by the interface tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kam.app import KamApp
from kam.db import open_database

TODAY = date(2026, 11, 22)


async def settle(pilot) -> None:
    """Let workers finish and their results reach the screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def app_on_copy(demo_path: Path, folder: Path) -> KamApp:
    """The app on a private copy of a demo database, seen from TODAY."""
    copy = folder / "demo.db"
    copy.write_bytes(demo_path.read_bytes())
    return KamApp(open_database(f"sqlite:///{copy}"), today=TODAY)
