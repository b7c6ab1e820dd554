"""Helpers shared by the interface tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kam.app import KamApp
from kam.db import open_database

TODAY = date(2026, 11, 22)
# `kam` as a separate process (for tests that kill it), with this checkout's code.
KAM_PROCESS = "import sys; from kam.cli import main; sys.exit(main(sys.argv[1:]))"


def run(capsys, *args: str) -> tuple[int, str, str]:
    """`kam ARGS` in-process: exit code, standard output, standard error."""
    from kam.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


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
