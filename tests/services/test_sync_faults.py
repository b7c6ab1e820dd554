"""A sync interrupted from the server's side (the connection cut, the server restarted) or
run by two laptops at the same moment: the next sync finishes the job, nothing is applied
twice, nothing is lost."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from kam.db import open_database
from kam.models import Account
from kam.services.accounts import account_edit
from kam.services.people import contacts
from kam.services.pipeline.deals import account_by_name
from kam.services.sync import conflicts, outbox, replica
from kam.services.sync.server import ServerLost
from tests.support import KAM_PROCESS, USER, join_laptop, sqlite
from tests.support import synced_facts as facts


@pytest.fixture
def team(postgres_url: str) -> str:
    database = open_database(postgres_url)
    with database.write() as session:
        account_edit.create_account(session, "Acme 北京")
        account_edit.create_account(session, "Bolt AB")
    database.dispose()
    return postgres_url


def _terminate(url: str, pid: int) -> None:
    """What a dropped network does to a connection: the server's end goes away."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _laptop_with_edits(team: str, tmp_path: Path, name: str = "laptop", n: int = 80) -> Path:
    laptop = join_laptop(team, tmp_path, name)
    local = sqlite(laptop)
    with local.write() as session:
        for i in range(n):
            account = account_edit.create_account(session, f"{name} {i:02d}")
            contacts.create_contact(session, account.id, {"name": f"张{i}"}, USER)
        session.get(Account, account_by_name(session, "Bolt AB")).industry = f"{name} steel"
    local.dispose()
    return laptop


def _cut_after(monkeypatch, batches: int, cut: Callable[[sa.Connection], None]) -> None:
    """The send stops being heard at its `batches`th batch of rows (the first ones written,
    not committed): `cut` breaks the server's side."""
    real = outbox._send_batch
    seen = [0]

    def send_batch(server: sa.Connection, batch: list[outbox.Change]) -> list[Any]:
        seen[0] += 1
        if seen[0] == batches:
            cut(server)
        return real(server, batch)

    monkeypatch.setattr(outbox, "_send_batch", send_batch)


def _accounts(url: str) -> list[str]:
    database = open_database(url)
    with database.read() as session:
        names = list(session.exec(sa.select(Account.name)).scalars())
    database.dispose()
    return sorted(names)


def test_a_connection_dropped_while_sending_leaves_the_server_as_it_was_and_the_next_sync_sends_all(
    team: str, tmp_path: Path, monkeypatch
) -> None:
    laptop = _laptop_with_edits(team, tmp_path)
    local = sqlite(laptop)

    def drop(server: sa.Connection) -> None:
        _terminate(team, server.exec_driver_sql("SELECT pg_backend_pid()").scalar())

    _cut_after(monkeypatch, 2, drop)
    with pytest.raises(ServerLost, match="lost the team database during the sync"):
        replica.sync(local)
    assert _accounts(team) == ["Acme 北京", "Bolt AB"]  # nothing half-written there
    with local.read() as session:
        assert replica.state(session).waiting == 80 * 2 + 1  # all still to send
    monkeypatch.undo()
    synced = replica.sync(local)
    assert synced.sent == 80 * 2 + 1 and synced.conflicts == 0
    local.dispose()
    names = _accounts(team)
    assert len(names) == len(set(names)) == 82  # each once
    assert facts(f"sqlite:///{laptop}") == facts(team)


def test_a_connection_dropped_while_receiving_is_finished_by_the_next_sync(
    team: str, tmp_path: Path, monkeypatch
) -> None:
    laptop = join_laptop(team, tmp_path)
    server = open_database(team)
    with server.write() as session:
        for i in range(50):
            account = account_edit.create_account(session, f"There {i:02d}")
            contacts.create_contact(session, account.id, {"name": f"李{i}"}, USER)
    server.dispose()
    local = sqlite(laptop)
    with local.write() as session:
        session.get(Account, account_by_name(session, "Acme 北京")).industry = "Mining"
    real = replica.read_rows

    def read_rows(conn: sa.Connection, table: sa.Table, keys: list[Any]) -> Any:
        _terminate(team, conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
        return real(conn, table, keys)

    monkeypatch.setattr(replica, "read_rows", read_rows)
    with pytest.raises(ServerLost):
        replica.sync(local)
    with local.read() as session:
        state = replica.state(session)
        assert state.waiting == 0  # the send had finished: the server has the edit
        assert session.exec(sa.select(sa.func.count()).select_from(Account)).scalar_one() == 2
    monkeypatch.undo()
    assert replica.sync(local).received.rows >= 100
    local.dispose()
    assert facts(f"sqlite:///{laptop}") == facts(team)
    assert len(_accounts(team)) == 52


def test_a_server_restarted_during_a_sync_is_synced_with_again_once_it_is_back(
    team: str, tmp_path: Path, monkeypatch, restart_postgres: Callable[[], None]
) -> None:
    laptop = _laptop_with_edits(team, tmp_path)
    local = sqlite(laptop)
    _cut_after(monkeypatch, 3, lambda _server: restart_postgres())
    with pytest.raises(ServerLost):
        replica.sync(local)
    assert _accounts(team) == ["Acme 北京", "Bolt AB"]
    monkeypatch.undo()
    assert replica.sync(local).sent == 80 * 2 + 1
    local.dispose()
    assert len(_accounts(team)) == 82
    assert facts(f"sqlite:///{laptop}") == facts(team)


def test_two_laptops_syncing_at_the_same_moment_both_land_and_one_field_waits_as_a_conflict(
    team: str, tmp_path: Path
) -> None:
    laptops = [_laptop_with_edits(team, tmp_path, name, n=60) for name in ("north", "south")]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", KAM_PROCESS, "--db", str(path), "sync"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in laptops
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    for path in laptops:  # each receives what the other sent
        replica.sync(sqlite(path))
    assert facts(f"sqlite:///{laptops[0]}") == facts(f"sqlite:///{laptops[1]}") == facts(team)
    assert len(_accounts(team)) == 2 + 60 + 60
    waiting = []
    for path in laptops:
        local = sqlite(path)
        with local.read() as session:
            waiting += conflicts.open_conflicts(session)
        local.dispose()
    # Both changed Bolt's industry: the first to arrive is kept, the other waits beside it.
    [conflict] = waiting
    database = open_database(team)
    with database.read() as session:
        kept = session.get(Account, account_by_name(session, "Bolt AB")).industry
    database.dispose()
    assert conflict.field == "industry" and conflict.server_value == kept
    assert {kept, conflict.local_value} == {"north steel", "south steel"}
