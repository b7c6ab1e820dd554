"""Helpers shared by the tests: the command line in-process, and Pilot helpers for the app."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from rich.console import Console
from textual.widgets import Input, Select, Static

from kam.app import KamApp
from kam.db import open_database
from kam.screens.account import AccountScreen

TODAY = date(2026, 11, 22)
USER = "Ann Lee"  # who the app runs as in the interface tests
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
    return KamApp(open_database(f"sqlite:///{copy}"), as_of=TODAY)


def make_app(path: Path) -> KamApp:
    return KamApp(open_database(f"sqlite:///{path}"), as_of=TODAY, user=USER)


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector)
    field.focus()
    await pilot.pause()
    if isinstance(field, Input):
        field.value = ""
    await pilot.press(*text)


async def choose(pilot, selector: str, label_start: str) -> None:
    """Open a select from the keyboard and pick the option whose label starts with the text."""
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*label_start, "enter")
    await pilot.pause()


async def show_accounts(pilot) -> None:
    await pilot.press("2")
    await settle(pilot)


async def open_account(pilot, name: str, tab: str | None = None) -> AccountScreen:
    """The account found by `name` from the accounts list, on the tab whose key is `tab`."""
    await show_accounts(pilot)
    await pilot.press("slash", *name, "enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AccountScreen)
    if tab is not None:
        await pilot.press(tab)
        await settle(pilot)
    return screen


def shown(widget: Static) -> str:
    """The text a Static shows, whatever renderable it was given."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def error_text(pilot, field: str) -> str:
    return str(pilot.app.screen.query_one(f"#error-{field}", Static).render())
