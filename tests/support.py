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
    """Let the workers of what the test did finish and their results reach the screen.

    The start-up's background work (the "preload" group) is left out: it waits for quiet
    moments, so waiting for it would tie a test to how fast the machine is."""
    for _ in range(3):
        mine = [w for w in pilot.app.workers if w.group != "preload"]
        if mine:  # (an empty list would mean every worker to wait_for_complete)
            await pilot.app.workers.wait_for_complete(mine)
        await pilot.pause()


async def finish_start_up(pilot, *, most: int = 600) -> None:
    """Wait until the start-up's background work has run to its end (it begins half a second
    in and goes on in quiet moments); at most `most` short pauses, so one that never
    finishes fails instead of hanging."""
    for _ in range(most):
        if pilot.app.start_up_finished:
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError("the start-up's background work did not finish")


def app_on_copy(demo_path: Path, folder: Path) -> KamApp:
    """The app on a private copy of a demo database, seen from TODAY."""
    copy = folder / "demo.db"
    copy.write_bytes(demo_path.read_bytes())
    return KamApp(open_database(f"sqlite:///{copy}"), today=TODAY)
