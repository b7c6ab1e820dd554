"""A laptop's copy of the team database in the app: synced on start and on a key, its state in
the title line, offline work kept until the server can be reached."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from kam.app import KamApp
from kam.db import Database, open_database
from kam.models import ReplicaState
from kam.services.accounts import account_edit, regions
from kam.services.sync import replica
from kam.widgets.lazy_table import LazyTable
from kam.widgets.title_bar import TitleBar
from tests.conftest import _free_port
from tests.support import TODAY, USER, join_laptop, region_name, settle, sqlite


def title(app: KamApp) -> str:
    return app.screen.query_one(TitleBar).render().plain


def team_and_laptop(url: str, folder: Path, *names: str) -> tuple[Database, Path]:
    """The team database holding these accounts, and a laptop's copy of it."""
    server = open_database(url)
    with server.write() as session:
        for name in names:
            account_edit.create_account(session, name)
    return server, join_laptop(url, folder)


async def wait_for_sync(pilot) -> None:
    for _ in range(100):
        await settle(pilot)
        if pilot.app.sync_words and pilot.app.sync_words != "syncing…":
            return
        await pilot.pause(0.05)
    raise AssertionError("the sync did not finish")


async def test_nothing_is_said_for_a_database_that_is_not_a_copy(tmp_path: Path) -> None:
    app = KamApp(sqlite(tmp_path / "kam.db"), as_of=TODAY, user=USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not app.is_replica and app.sync_words == ""
        assert title(app).strip().endswith("Portfolio")


async def test_the_app_syncs_on_start_and_says_so_in_the_title(
    postgres_url: str, tmp_path: Path
) -> None:
    server, laptop = team_and_laptop(postgres_url, tmp_path, "Acme 北京")
    with server.write() as session:
        account_edit.create_account(session, "Bolt AB")  # after the copy was made
    server.dispose()
    app = KamApp(sqlite(laptop), as_of=TODAY, user=USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_sync(pilot)
        assert app.is_replica
        assert "synced just now" in title(app)
        await pilot.press("2")
        await settle(pilot)
        server = open_database(postgres_url)
        with server.write() as session:
            account_edit.create_account(session, "Cobalt 上海")  # while the list is shown
        server.dispose()
        assert app.screen.query_one(LazyTable).row_count == 2
        await pilot.press("ctrl+y")
        await wait_for_sync(pilot)
        await settle(pilot)
        assert app.screen.query_one(LazyTable).row_count == 3  # read again, no key pressed
    database = sqlite(laptop)
    with database.read() as session:
        names = set(session.exec(sa.select(account_edit.Account.name)).scalars())
    database.dispose()
    assert names == {"Acme 北京", "Bolt AB", "Cobalt 上海"}


async def test_offline_the_app_works_and_counts_what_waits(
    postgres_url: str, tmp_path: Path
) -> None:
    open_database(postgres_url).dispose()  # the team database, empty
    laptop = join_laptop(postgres_url, tmp_path)
    database = sqlite(laptop)
    with database.write() as session:  # the server is out of reach from now on
        unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/kam"
        session.connection().execute(ReplicaState.__table__.update().values(server=unreachable))
        account_edit.create_account(session, "Written offline")
    database.dispose()
    app = KamApp(sqlite(laptop), as_of=TODAY, user=USER)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_sync(pilot)
        shown = title(app)
        assert "offline since" in shown and "1 waiting" in shown
        await pilot.press("ctrl+y")
        await wait_for_sync(pilot)
        assert "offline since" in title(app)
    database = sqlite(laptop)
    with database.read() as session:
        state = replica.state(session)
    database.dispose()
    assert state.waiting == 1 and "127.0.0.1" in state.last_error


async def test_a_conflict_is_settled_on_its_screen_and_the_laptop_s_value_is_sent(
    postgres_url: str, tmp_path: Path
) -> None:
    from textual.widgets import DataTable

    from kam.models import Account
    from kam.services.pipeline.deals import account_by_name

    server, laptop = team_and_laptop(postgres_url, tmp_path, "Bolt AB")
    for database, industry in ((sqlite(laptop), "Mining"), (server, "Steel")):
        with database.write() as session:
            session.get(Account, account_by_name(session, "Bolt AB")).industry = industry
    app = KamApp(sqlite(laptop), as_of=TODAY, user=USER)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for_sync(pilot)
        assert "1 conflict" in title(app)
        await pilot.click(TitleBar, offset=(100, 0))
        await settle(pilot)
        table = app.screen.query_one("#conflicts", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)][2:] == ["industry", "Steel", "Mining"]
        await pilot.press("m")
        await wait_for_sync(pilot)
        await settle(pilot)
        assert table.row_count == 0 and app.sync_words == "synced just now"
    with server.read() as session:
        assert session.get(Account, account_by_name(session, "Bolt AB")).industry == "Mining"
    server.dispose()


async def test_a_conflict_opens_in_the_account_form_with_the_laptop_s_values_typed_in(
    postgres_url: str, tmp_path: Path
) -> None:
    from textual.widgets import Input, Static

    from kam.dialogs.form import FormScreen
    from kam.models import Account
    from kam.services.pipeline.deals import account_by_name

    server, laptop = team_and_laptop(postgres_url, tmp_path, "Bolt AB")
    edits = ((sqlite(laptop), "Mining", "华东"), (server, "Steel", "Nordics"))
    for database, industry, region in edits:
        with database.write() as session:
            bolt = session.get(Account, account_by_name(session, "Bolt AB"))
            bolt.industry, bolt.region_id = industry, regions.ensure(session, region)
    app = KamApp(sqlite(laptop), as_of=TODAY, user=USER)
    async with app.run_test(size=(110, 36)) as pilot:
        await wait_for_sync(pilot)
        assert "2 conflicts" in title(app)
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert form.query_one("#field-industry", Input).value == "Mining"
        assert form.query_one("#field-region", Input).value == "华东"
        marked = form.query_one("#error-industry", Static).render().plain
        assert marked == "team database has: Steel"
        await pilot.press("ctrl+s")
        await wait_for_sync(pilot)
        await settle(pilot)
        assert app.sync_words == "synced just now"  # both settled, and sent
    with server.read() as session:
        bolt = session.get(Account, account_by_name(session, "Bolt AB"))
        assert (bolt.industry, region_name(session, bolt)) == ("Mining", "华东")
    server.dispose()


async def test_a_new_account_the_team_database_refused_is_renamed_in_its_form_and_sent(
    postgres_url: str, tmp_path: Path
) -> None:
    from textual.widgets import Input, Static

    from kam.dialogs.form import FormScreen

    server = open_database(postgres_url)
    laptop = join_laptop(postgres_url, tmp_path)
    for database, industry in ((sqlite(laptop), "Mining"), (server, "Steel")):
        with database.write() as session:
            account = account_edit.create_account(session, "Cobalt 上海")
            account.industry = industry
    app = KamApp(sqlite(laptop), as_of=TODAY, user=USER)
    async with app.run_test(size=(110, 36)) as pilot:
        await wait_for_sync(pilot)
        assert "1 conflict" in title(app)
        await pilot.press("7")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen) and form.form_title == "New account"
        assert form.query_one("#field-industry", Input).value == "Mining"
        assert "its name is taken there; rename it" in str(
            form.query_one("#error-name", Static).render()
        )
        await pilot.press("end", *" (laptop)", "ctrl+s")
        await wait_for_sync(pilot)
        await settle(pilot)
        assert app.sync_words == "synced just now"
    with server.read() as session:
        rows = session.exec(sa.select(account_edit.Account.name, account_edit.Account.industry))
        assert set(rows.all()) == {("Cobalt 上海", "Steel"), ("Cobalt 上海 (laptop)", "Mining")}
    server.dispose()
