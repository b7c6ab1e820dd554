"""Sending what was changed on the laptop: merged into the team database field by field.

For each row changed here the outbox holds the row as it was before the first change (as the
server last had it). A field the laptop changed takes the laptop's value where the server's
still has the one the laptop started from (or already the laptop's); where the server's
changed too, to something else, the server keeps its value and the laptop's is kept beside it
as a conflict. A row removed here goes from the server only when nobody changed it there
since; a row removed there and edited here stays a conflict for someone to decide. Every row
is written under its own savepoint, so one that the server refuses (a name already taken, a
parent removed) becomes a conflict and the rest is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from kam.models import OutboxEntry, SyncConflict
from kam.models.base import utcnow
from kam.schema.sync import (
    TRAILS,
    is_synced_row,
    key_columns,
    key_values,
    row_key,
    synced_tables,
)
from kam.services.sync.rows import match, read_rows, where_keys

_outbox = OutboxEntry.__table__
_conflict = SyncConflict.__table__
_SQLITE = sqlite.dialect()
# Columns every write stamps: never compared, never a conflict.
STAMPS = {"version", "updated_at", "created_at"}


@dataclass
class Change:
    table: sa.Table
    key: tuple[Any, ...]
    key_text: str
    base: dict[str, Any] | None  # None: added here
    seqs: list[int]  # its entries in the outbox
    local: dict[str, Any] | None = None  # None: removed here


@dataclass
class Found:
    """A conflict, as the laptop records it."""

    table_name: str
    row_key: str
    field: str
    server_value: Any
    local_value: Any
    label: str


def _decode(table: sa.Table, text: str) -> dict[str, Any]:
    """A row from the JSON of its stored SQLite values."""
    raw = json.loads(text)
    row = {}
    for column in table.c:
        value = raw.get(column.name)
        process = column.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None)
        row[column.name] = process(value) if process is not None and value is not None else value
    return row


def pending(conn: sa.Connection) -> list[Change]:
    """The rows changed here, each with its first base and last entry, in table order."""
    tables = {t.name: t for t in synced_tables()}
    first: dict[tuple[str, tuple[Any, ...]], Change] = {}
    for seq, name, key, base in conn.execute(
        sa.select(_outbox.c.seq, _outbox.c.table_name, _outbox.c.row_key, _outbox.c.base).order_by(
            _outbox.c.seq
        )
    ):
        table = tables.get(name)
        if table is None or not is_synced_row(table, key):
            continue
        values = key_values(table, key)
        change = first.get((name, values))
        if change is None:
            decoded = _decode(table, base) if base is not None else None
            first[name, values] = Change(table, values, row_key_of(table, values), decoded, [seq])
        else:
            change.seqs.append(seq)
    order = {t.name: i for i, t in enumerate(synced_tables())}
    changes = sorted(first.values(), key=lambda c: order[c.table.name])
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change.table.name, []).append(change)
    for same in by_table.values():
        table = same[0].table
        here = read_rows(conn, table, [c.key for c in same])
        for change in same:
            change.local = here.get(change.key)
    return changes


def row_key_of(table: sa.Table, values: tuple[Any, ...]) -> str:
    return row_key(table, dict(zip([c.name for c in key_columns(table)], values, strict=True)))


def _label(table: sa.Table, row: dict[str, Any] | None, key: str) -> str:
    if row is not None:
        for name in ("name", "title", "kind", "key"):
            if row.get(name):
                return f"{table.name.replace('_', ' ')} {row[name]}"[:200]
    return f"{table.name.replace('_', ' ')} {key}"[:200]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(getattr(value, "value", value))


@dataclass
class Step:
    """What one change does on the server, and the conflicts it leaves."""

    conflicts: list[Found]
    delete: bool = False
    insert: dict[str, Any] | None = None
    update: dict[str, Any] | None = None  # the fields to set


def plan(change: Change, current: dict[str, Any] | None) -> Step:
    """How one changed row merges into the server's row as it is now (None: not there)."""
    table, local, base = change.table, change.local, change.base
    label = _label(table, local or current or base, change.key_text)
    if local is None:  # removed here
        if current is None:
            return Step([])
        edited_there = base is None or any(
            current[c] != base[c] for c in current if c not in STAMPS
        )
        if edited_there:
            return Step([Found(table.name, change.key_text, "removed", None, None, label)])
        return Step([], delete=True)
    if current is None:
        if base is not None:  # removed there, edited here: someone decides
            found = Found(table.name, change.key_text, "removed", None, _row_json(local), label)
            return Step([found])
        return Step([], insert=local)
    values: dict[str, Any] = {}
    conflicts: list[Found] = []
    for column in table.c:
        name = column.name
        if name in STAMPS or column.primary_key:
            continue
        mine, theirs = local[name], current[name]
        started = base[name] if base is not None else theirs
        if mine in (started, theirs):
            continue  # not changed here, or both made the same change
        if theirs == started:
            values[name] = mine
        else:
            conflicts.append(
                Found(table.name, change.key_text, name, _plain(theirs), _plain(mine), label)
            )
    return Step(conflicts, update=values or None)


def _stamped(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """An update's values with the row's version and time moved on."""
    values = dict(values)
    if "version" in table.c:
        values["version"] = table.c.version + 1
    if "updated_at" in table.c:
        values["updated_at"] = utcnow()
    return values


def send_one(server: sa.Connection, change: Change) -> list[Found]:
    """Merge one changed row into the team database; the conflicts it left."""
    table, key = change.table, change.key
    found = server.execute(sa.select(table).where(match(table, key)).with_for_update()).first()
    step = plan(change, dict(found._mapping) if found is not None else None)
    if step.delete:
        server.execute(table.delete().where(match(table, key)))
    elif step.insert is not None:
        server.execute(table.insert().values(step.insert))
    elif step.update:
        server.execute(table.update().where(match(table, key)).values(_stamped(table, step.update)))
    return step.conflicts


def _send_batch(server: sa.Connection, batch: list[Change]) -> list[list[Found]]:
    """Changes of one table merged together: the rows read (and locked) in one query, written
    with one statement per kind of write; the conflicts each left."""
    table = batch[0].table
    current = read_rows(server, table, [c.key for c in batch], lock=True)
    steps = [plan(c, current.get(c.key)) for c in batch]
    gone = [c.key for c, s in zip(batch, steps, strict=True) if s.delete]
    for start in range(0, len(gone), 500):
        server.execute(table.delete().where(where_keys(table, gone[start : start + 500])))
    added = [s.insert for s in steps if s.insert is not None]
    if added:
        server.execute(table.insert(), added)
    keys = key_columns(table)
    alike: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change, step in zip(batch, steps, strict=True):
        if step.update:
            params = {f"v_{k}": v for k, v in step.update.items()}
            params.update({f"k_{c.name}": v for c, v in zip(keys, change.key, strict=True)})
            alike.setdefault(tuple(sorted(step.update)), []).append(params)
    for fields, params in alike.items():
        where = sa.and_(*(c == sa.bindparam(f"k_{c.name}") for c in keys))
        values = _stamped(table, {f: sa.bindparam(f"v_{f}") for f in fields})
        server.execute(table.update().where(where).values(values), params)
    return [s.conflicts for s in steps]


def _row_json(row: dict[str, Any]) -> str:
    return json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)


def _under(change: Change, refused: dict[str, set[tuple[Any, ...]]]) -> bool:
    """Removed here along with a row whose removal the server refused (a cascade)."""
    if change.base is None:
        return False
    for fk in change.table.foreign_keys:
        parent = fk.column.table.name
        value = change.base.get(fk.parent.name)
        if value is not None and (value,) in refused.get(parent, set()):
            return True
    return False


Keys = dict[str, set[tuple[Any, ...]]]


@dataclass
class Outcome:
    conflicts: list[Found]
    restore: Keys  # rows this copy takes back as the server has them
    kept_there: Keys  # removals the server refused: taken back with what hangs on them


def _batches(changes: list[Change]) -> list[list[Change]]:
    """Writes before removals, each in table order; a batch is one table's, up to 500."""
    batches: list[list[Change]] = []
    writes = [c for c in changes if c.local is not None]
    removals = [c for c in changes if c.local is None]
    for change in [*writes, *removals]:
        last = batches[-1] if batches else None
        if (
            last is not None
            and last[0].table is change.table
            and (last[0].local is None) == (change.local is None)
            and len(last) < 500
        ):
            last.append(change)
        else:
            batches.append([change])
    return batches


def _refused(change: Change, exc: IntegrityError) -> list[Found]:
    """A row the server would not take (a name taken, a parent removed): a conflict, unless
    it is the history of such a row, which goes with it."""
    if change.table.name in TRAILS:
        return []
    reason = str(exc.orig).strip().splitlines()[0][:150]
    return [
        Found(
            change.table.name,
            change.key_text,
            "refused",
            reason,
            _row_json(change.local) if change.local else None,
            _label(change.table, change.local, change.key_text),
        )
    ]


def send(server: sa.Connection, changes: list[Change]) -> Outcome:
    """Every change, a table's batch at a time under a savepoint on the server (one row at a
    time, each under its own, when the server refuses something in the batch): what could
    not be merged, and the rows this copy takes back as the server has them (a refused
    removal with every row that hangs on it; a row the server refused, or kept its values
    of)."""
    conflicts: list[Found] = []
    restore: Keys = {}
    kept_there: Keys = {}
    for batch in _batches(changes):
        # Removed here along with a row whose removal the server refused: held back with it.
        batch = [c for c in batch if not (c.local is None and _under(c, kept_there))]
        if not batch:
            continue
        try:
            with server.begin_nested():
                results = _send_batch(server, batch)
        except IntegrityError:
            results = []
            for change in batch:
                try:
                    with server.begin_nested():
                        results.append(send_one(server, change))
                except IntegrityError as exc:
                    results.append(_refused(change, exc))
                    restore.setdefault(change.table.name, set()).add(change.key)
        for change, found in zip(batch, results, strict=True):
            if found:  # the server's row (or its absence) is what this copy takes back
                restore.setdefault(change.table.name, set()).add(change.key)
                if change.local is None:
                    kept_there.setdefault(change.table.name, set()).add(change.key)
            conflicts.extend(found)
    return Outcome(conflicts, restore, kept_there)


def record(local: sa.Connection, changes: list[Change], conflicts: list[Found]) -> None:
    """After the server committed: the sent entries leave the outbox (later ones, made while
    sending, stay), and the conflicts are kept."""
    seqs = [seq for change in changes for seq in change.seqs]
    for start in range(0, len(seqs), 500):
        local.execute(_outbox.delete().where(_outbox.c.seq.in_(seqs[start : start + 500])))
    for found in conflicts:
        local.execute(
            _conflict.insert().values(
                table_name=found.table_name,
                row_key=found.row_key,
                field=found.field,
                server_value=json.dumps(found.server_value, ensure_ascii=False),
                local_value=json.dumps(found.local_value, ensure_ascii=False),
                label=found.label,
                found_at=utcnow(),
            )
        )
