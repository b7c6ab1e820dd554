"""Helpers shared by the tests: databases built for a test, the command line in-process, and
Pilot helpers for the app."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from textual.widgets import Input, Select, Static

from kam.app import KamApp
from kam.db import Database, open_database
from kam.screens.account import AccountScreen

TODAY = date(2026, 11, 22)
MONDAY = date(2026, 11, 23)  # the Monday after TODAY, for what depends on the week
USER = "Ann Lee"  # who the app runs as in the interface tests
T = TypeVar("T")
# `kam` as a separate process (for tests that kill it), with this checkout's code.
KAM_PROCESS = "import sys; from kam.cli import main; sys.exit(main(sys.argv[1:]))"


def sqlite(path: Path) -> Database:
    """The SQLite database file at `path` (created and migrated when new)."""
    return open_database(f"sqlite:///{path}")


def build(path: Path, fill: Callable[[Any], object] | None = None) -> Path:
    """A SQLite database file at `path`, filled by `fill(session)` in one write; closed."""
    database = sqlite(path)
    try:
        if fill is not None:
            with database.write() as session:
                fill(session)
    finally:
        database.dispose()
    return path


def accounts_db(path: Path, *names: str) -> Path:
    """A SQLite database at `path` holding accounts of these names."""
    from kam.services.accounts import account_edit

    return build(path, lambda session: [account_edit.create_account(session, n) for n in names])


def two_accounts(path: Path) -> Path:
    """Acme 北京 and Bolt AB, both with revenue (Acme the bigger), and two people on our side,
    Li Wei and Bo Berg; no deals, contacts or plans."""
    from kam.services.accounts import account_edit
    from kam.services.people import team
    from kam.services.wallet.revenue import add_revenue

    def fill(session) -> None:
        for name, amount in (("Acme 北京", 900_00), ("Bolt AB", 100_00)):
            account = account_edit.create_account(session, name, industry="Steel")
            add_revenue(session, account.id, date(2026, 6, 1), amount)
        team.create_member(session, {"name": "Li Wei", "title": "Account manager"})
        team.create_member(session, {"name": "Bo Berg", "title": "Engineer"})

    return build(path, fill)


def damaged(path: Path) -> Path:
    """A kam database of 400 accounts at `path` whose index and table pages were trampled on
    (what a failing disk or a bad copy leaves); it still opens."""
    accounts_db(path, *(f"Account {n} " + "x" * 100 for n in range(400)))
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 12), 7):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    return path


def region_name(session: Any, account: Any) -> str | None:
    """The name of an account's region or territory."""
    from kam.models import Region

    region = session.get(Region, account.region_id) if account.region_id else None
    return region.name if region is not None else None


def region_of(database: Database, account_id: Any) -> str | None:
    """The name of an account's region or territory, read afresh."""
    from kam.models import Account

    with database.read() as session:
        return region_name(session, session.get(Account, account_id))


def read_db(path: Path, query: Callable[[Any], T]) -> T:
    """`query(session)` on the SQLite database at `path`, opened for that read alone."""
    database = sqlite(path)
    try:
        with database.read() as session:
            return query(session)
    finally:
        database.dispose()


def synced_facts(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every synced table's rows as comparable tuples, in order, without the moments (each
    database stores them to its own precision) and without the settings that record what was
    worked out: what two copies of the team database must agree on."""
    import sqlalchemy as sa

    from kam.schema.sync import LOCAL_SETTINGS, synced_tables

    database = open_database(url)
    try:
        with database.read() as session:
            conn = session.connection()
            found = {}
            for table in synced_tables():
                rows = conn.execute(sa.select(table)).all()
                if table.name == "setting":
                    rows = [r for r in rows if r.key not in LOCAL_SETTINGS]
                found[table.name] = sorted(
                    tuple(str(v) for v in r if not hasattr(v, "tzinfo")) for r in rows
                )
            return found
    finally:
        database.dispose()


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


def copy_of(path: Path, folder: Path) -> Path:
    """A private copy of the (closed) SQLite database at `path`, in `folder`."""
    copy = folder / path.name
    copy.write_bytes(path.read_bytes())
    return copy


def app_on_copy(demo_path: Path, folder: Path) -> KamApp:
    """The app on a private copy of a demo database, seen from TODAY."""
    return KamApp(sqlite(copy_of(demo_path, folder)), as_of=TODAY)


def make_app(path: Path, as_of: date = TODAY) -> KamApp:
    return KamApp(sqlite(path), as_of=as_of, user=USER)


def monday_app(path: Path) -> KamApp:
    return make_app(path, MONDAY)


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


def burst(app: KamApp, *keys: str) -> None:
    """Keys as a fast typist (or a paste of keys) sends them: all queued at once, before any
    is handled, which is what Pilot's press (one key, then wait) never does."""
    from textual import events

    names = {"/": "slash", " ": "space", "\t": "tab"}
    for key in keys:
        name = names.get(key, key)
        character = key if len(key) == 1 else None
        app.post_message(events.Key(name, character))


def join_laptop(server_url: str, folder: Path, name: str = "laptop") -> Path:
    """A laptop's copy of the team database at `server_url`, made in `folder`."""
    from kam.services.sync import replica

    laptop = folder / f"{name}.db"
    replica.join(server_url, laptop)
    return laptop
