"""Joining the team database, and receiving what others changed.

A copy is made in one snapshot of the server, and remembers the oldest transaction still
running then: every change before it is in the copy. A sync asks the server's change log for
the rows changed by that transaction or later, reads them as they are now (in one snapshot
again), and writes them into the copy in one transaction with the new mark: stopped at any
moment, the next sync does it again, and writing a row as it is on the server twice is the
same as once. A row changed on the laptop and not yet sent is left as the laptop has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from kam.db import Database, open_database
from kam.errors import KamError
from kam.migrations.changelog import ensure_outbox
from kam.models import CHANGE_LOG_TABLE, OutboxEntry, ReplicaState, SyncConflict, metadata
from kam.models.base import utcnow
from kam.schema.sync import (
    BOOKKEEPING,
    TRAILS,
    is_synced_row,
    key_columns,
    key_values,
    synced_tables,
)
from kam.services import settings as settings_service
from kam.services.maintenance import copy_table
from kam.services.sync import outbox, server
from kam.services.sync.rows import chunks, key_of, read_rows, where_keys
from kam.services.unit import reads, writes

_state = ReplicaState.__table__
_outbox = OutboxEntry.__table__
_conflict = SyncConflict.__table__


@dataclass(frozen=True)
class State:
    server: str
    joined_at: datetime
    synced_at: datetime | None
    waiting: int  # local changes the server does not have yet
    conflicts: int  # changed on both sides, waiting for someone to decide
    last_error: str | None
    offline_since: datetime | None

    def words(self, now: datetime) -> str:
        """The state as the title line says it: synced 2 min ago, offline since 09:12,
        14 waiting, 2 conflicts."""
        if self.offline_since is not None:
            parts = [f"offline since {self.offline_since.astimezone():%H:%M}"]
        elif self.synced_at is None:
            parts = ["not synced yet"]
        else:
            minutes = int((now - self.synced_at).total_seconds() // 60)
            parts = [
                "synced just now"
                if minutes < 1
                else f"synced {minutes} min ago"
                if minutes < 60
                else f"synced {self.synced_at.astimezone():%H:%M}"
            ]
        if self.waiting:
            parts.append(f"{self.waiting} waiting")
        if self.conflicts:
            parts.append(f"{self.conflicts} conflict{'s' if self.conflicts > 1 else ''}")
        return " · ".join(parts)


@reads
def state(session: Session) -> State | None:
    """What this copy follows and how far (None: not a copy of a team database)."""
    conn = session.connection()
    row = conn.execute(sa.select(_state)).first()
    if row is None:
        return None
    waiting = conn.execute(
        sa.select(sa.func.count(sa.distinct(_outbox.c.table_name + _outbox.c.row_key))).where(
            _outbox.c.table_name.not_in(sorted(TRAILS))
        )
    ).scalar_one()
    conflicts = conn.execute(
        sa.select(sa.func.count()).where(_conflict.c.resolved_at.is_(None))
    ).scalar_one()
    return State(
        row.server,
        row.joined_at,
        row.synced_at,
        int(waiting),
        int(conflicts),
        row.last_error,
        row.offline_since,
    )


@writes
def mark_offline(session: Session, reason: str) -> None:
    """A sync that could not reach the server: since when, and why."""
    conn = session.connection()
    conn.execute(
        _state.update().values(
            last_error=reason[:500],
            offline_since=sa.func.coalesce(_state.c.offline_since, utcnow()),
        )
    )


def _has_data(session: Session) -> list[str]:
    conn = session.connection()
    return [
        t.name
        for t in metadata.sorted_tables
        if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first()
    ]


def join(
    server_url: str, path: Path, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Make the SQLite file at `path` (new or empty) a copy of the team database."""
    engine = server.connect(server_url)
    try:
        local = open_database(f"sqlite:///{path}")
        try:
            with local.read() as session:
                filled = _has_data(session)
            if filled:
                raise KamError(
                    f"{path} holds data already ({', '.join(filled[:3])}); join into a new file"
                )
            counts: dict[str, int] = {}
            with _snapshot(engine) as src, local.write() as session:
                cursor = server.snapshot(src)
                dst = session.connection()
                for table in metadata.sorted_tables:
                    if table.name not in BOOKKEEPING:
                        counts[table.name] = copy_table(src, dst, table, progress)
                dst.execute(
                    _state.insert().values(
                        id=1, server=server.stored_form(server_url), cursor=cursor, applying=0,
                        joined_at=utcnow(), synced_at=utcnow(),
                    )
                )  # fmt: skip
            with local.engine.begin() as conn:
                ensure_outbox(conn)
        finally:
            local.dispose()
    finally:
        engine.dispose()
    return counts


@contextmanager
def _snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A read-only transaction on the server that sees one moment of it throughout."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@dataclass(frozen=True)
class Received:
    rows: int  # rows written or removed as the server has them
    kept: int  # rows the server changed that wait, changed here too, to be sent


def _changed(conn: sa.Connection, cursor: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table_name, key in conn.execute(
        sa.text(
            f"SELECT DISTINCT table_name, row_key FROM {CHANGE_LOG_TABLE} "
            "WHERE xid >= CAST(:cursor AS xid8)"
        ),
        {"cursor": cursor},
    ):
        found.setdefault(table_name, set()).add(key)
    return found


def _pending(conn: sa.Connection) -> set[tuple[str, tuple[Any, ...]]]:
    tables = {t.name: t for t in synced_tables()}
    return {
        (name, key_values(tables[name], key))
        for name, key in conn.execute(sa.select(_outbox.c.table_name, _outbox.c.row_key))
        if name in tables
    }


def _upsert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """The server's rows written over these (or added): one statement, run for every row."""
    if not rows:
        return
    keys = [c.name for c in key_columns(table)]
    statement = sqlite_insert(table)
    others = {c.name: statement.excluded[c.name] for c in table.c if c.name not in keys}
    if others:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=others)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    conn.execute(statement, rows)


def _unique_names(table: sa.Table) -> list[sa.Column]:
    """The text columns a unique index holds (an account's name key)."""
    return [
        column
        for index in table.indexes
        if index.unique
        for column in index.columns
        if _is_text(column) and not column.foreign_keys
    ]


def _is_text(column: sa.Column) -> bool:
    kind = column.type
    return isinstance(getattr(kind, "impl_instance", kind), sa.String)


def _park_names(conn: sa.Connection, table: sa.Table, keys: list[tuple[Any, ...]]) -> None:
    """Rows about to take the server's values step aside from their unique names first, so
    two accounts that swapped names there swap here too, whatever the order they come in."""
    columns = _unique_names(table)
    if not columns or not keys:
        return
    [key] = key_columns(table)
    parked = {c.name: sa.literal("\x1fsync ") + sa.cast(key, sa.String) for c in columns}
    for chunk in chunks(keys):
        conn.execute(table.update().where(where_keys(table, chunk)).values(parked))


@dataclass(frozen=True)
class Synced:
    sent: int  # rows changed here and merged into the team database (their history aside)
    conflicts: int  # fields (or rows) left for someone to decide
    received: Received


def sync(local: Database) -> Synced:
    """Send what was changed here, then receive what others changed: each direction in one
    transaction, so a sync stopped at any moment is finished by the next one."""
    with local.read() as session:
        current = state(session)
    if current is None:
        raise KamError(f"{local.display_name} is not a copy of a team database (kam join URL)")
    engine = server.connect(current.server)
    try:
        with local.read() as session:
            changes = outbox.pending(session.connection())
        outcome = outbox.Outcome([], {}, {})
        if changes:
            with server.talking(current.server), engine.begin() as conn:
                outcome = outbox.send(conn, changes)
            with local.write() as session:
                outbox.record(session.connection(), changes, outcome.conflicts)
        received = _receive(local, engine, current.server, outcome)
    finally:
        engine.dispose()
    sent = sum(1 for c in changes if c.table.name not in TRAILS)  # as `waiting` counts them
    return Synced(sent, len(outcome.conflicts), received)


def _with_what_hangs_on(
    conn: sa.Connection, wanted: dict[str, set[tuple[Any, ...]]]
) -> dict[str, set[tuple[Any, ...]]]:
    """These rows and every row that refers to them, however deep, as the server has them."""
    found = {name: set(keys) for name, keys in wanted.items()}
    frontier = {name: set(keys) for name, keys in wanted.items() if keys}
    while frontier:
        following: dict[str, set[tuple[Any, ...]]] = {}
        for table in synced_tables():
            for fk in table.foreign_keys:
                parents = frontier.get(fk.column.table.name)
                if not parents or fk.parent.table is not table:
                    continue
                for chunk in chunks([k[0] for k in parents]):
                    for row in conn.execute(sa.select(table).where(fk.parent.in_(chunk))):
                        key = key_of(table, row._mapping)
                        if key not in found.setdefault(table.name, set()):
                            found[table.name].add(key)
                            following.setdefault(table.name, set()).add(key)
        frontier = following
    return found


def _receive(
    local: Database, engine: sa.Engine, url: str, sent: outbox.Outcome | None = None
) -> Received:
    """Write what others changed on the team database since the last sync into this copy, and
    the rows the send left as the server has them (a removal the server refused with every row
    that refers to it)."""
    with local.read() as session:
        since = session.connection().execute(sa.select(_state.c.cursor)).scalar_one()
    with server.talking(url), _snapshot(engine) as src:
        cursor = server.snapshot(src)
        changed = _changed(src, since)
        tables = {t.name: t for t in synced_tables()}
        wanted: dict[str, list[tuple[Any, ...]]] = {}
        for name, keys in changed.items():
            if name in tables:
                table = tables[name]
                wanted[name] = [key_values(table, k) for k in keys if is_synced_row(table, k)]
        if sent is not None:
            back = _with_what_hangs_on(src, sent.kept_there)
            for name, keys in [*sent.restore.items(), *back.items()]:
                wanted[name] = list(set(wanted.get(name, [])) | keys)
        found = {name: read_rows(src, tables[name], keys) for name, keys in wanted.items()}
    written = kept = 0
    with local.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(_state.update().values(applying=1))
        pending = _pending(conn)
        # Removals first, children first: a row gone there frees its name (or its week) for
        # the row that took it there.
        for table in reversed(synced_tables()):
            gone = [
                k
                for k in wanted.get(table.name, [])
                if k not in found[table.name] and (table.name, k) not in pending
            ]
            for chunk in chunks(gone):
                written += conn.execute(table.delete().where(where_keys(table, chunk))).rowcount
        for table in synced_tables():  # parents first
            keys = wanted.get(table.name, [])
            rows = [found[table.name][k] for k in keys if k in found[table.name]]
            mine = [r for r in rows if (table.name, key_of(table, r)) not in pending]
            kept += len(rows) - len(mine)
            _park_names(conn, table, [key_of(table, r) for r in mine])
            _upsert(conn, table, mine)
            written += len(mine)
        if written:
            settings_service.bump_data_version(session)  # what is worked out is out of date
        conn.execute(
            _state.update().values(
                applying=0, cursor=cursor, synced_at=utcnow(), last_error=None, offline_since=None
            )
        )
    return Received(written, kept)
