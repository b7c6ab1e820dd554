"""What changed both on this laptop and on the team database, to different values, and
waits for someone to decide: listed, settled one way or the other, or opened in the record's
own form with the laptop's values typed in."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import KamError
from kam.models import SyncConflict
from kam.models.base import utcnow
from kam.schema.sync import key_columns, key_values, synced_tables
from kam.services.unit import reads, writes

_conflict = SyncConflict.__table__


@dataclass(frozen=True)
class Conflict:
    id: int
    label: str
    field: str  # the field, or "removed" / "refused" for the whole row
    server_value: str
    local_value: str

    @property
    def about(self) -> str:
        """The field as a person reads it."""
        if self.field in ("removed", "refused"):
            return "the whole row"
        return self.field.removesuffix("_id").replace("_", " ")


def refusal_words(reason: str) -> str:
    """Why the team database refused a row, as the person can act on it."""
    lowered = reason.lower()
    if "unique" in lowered or "duplicate" in lowered:
        return "its name is taken there"
    if "foreign key" in lowered:
        return "what it belongs to was removed there"
    return f"refused: {reason}"


def _sides(row: Any) -> tuple[str, str]:
    """The two sides of a conflict, in words."""
    if row.field == "refused":
        return refusal_words(_shown(row.server_value)), "added here"
    if row.field == "removed":
        if _shown(row.local_value) == "(none)":
            return "changed there", "removed here"
        return "removed there", "changed here"
    return _shown(row.server_value), _shown(row.local_value)


def open_conflicts(session: Session) -> list[Conflict]:
    """What changed on both sides and waits for someone to decide, oldest first."""
    rows = session.connection().execute(
        sa.select(_conflict).where(_conflict.c.resolved_at.is_(None)).order_by(_conflict.c.id)
    )
    return [Conflict(r.id, r.label, r.field, *_sides(r)) for r in rows]


@reads
def list_conflicts(session: Session) -> list[Conflict]:
    return open_conflicts(session)


def _open_conflict(conn: sa.Connection, conflict_id: int) -> Any:
    row = conn.execute(sa.select(_conflict).where(_conflict.c.id == conflict_id)).first()
    if row is None or row.resolved_at is not None:
        raise KamError(f"no conflict #{conflict_id} waits: it was settled already, or never was")
    return row


def _settle(conn: sa.Connection, conflict_id: int) -> None:
    conn.execute(
        _conflict.update().where(_conflict.c.id == conflict_id).values(resolved_at=utcnow())
    )


@writes
def keep_theirs(session: Session, conflict_id: int) -> None:
    """The team database's value stays; the laptop's is let go."""
    conn = session.connection()
    _open_conflict(conn, conflict_id)
    _settle(conn, conflict_id)


@writes
def take_mine(session: Session, conflict_id: int) -> None:
    """The laptop's value is written here again, and goes to the team database with the next
    sync (it changes the server's value, which is now the one it started from)."""
    conn = session.connection()
    row = _open_conflict(conn, conflict_id)
    tables = {t.name: t for t in synced_tables()}
    table = tables.get(row.table_name)
    if table is None:
        raise KamError(f"{row.label} is not kept in sync")
    keys = key_values(table, row.row_key)
    where = sa.and_(*(c == v for c, v in zip(key_columns(table), keys, strict=True)))
    value = json.loads(row.local_value) if row.local_value else None
    if row.field in ("removed", "refused"):
        # The laptop's side of a whole row: removed here (it goes again, now that the
        # server's edit is here too), or kept here (added again, and sent as new).
        if isinstance(value, str):
            value = json.loads(value)
        if value is None:
            conn.execute(table.delete().where(where))
        else:
            conn.execute(table.delete().where(where))
            conn.execute(
                table.insert().values(
                    {
                        c.name: _typed(c, value[c.name])
                        for c in table.c
                        if value.get(c.name) is not None
                    }
                )
            )
        _settle(conn, conflict_id)
        return
    if row.field not in table.c:
        raise KamError(f"{row.label} has no field {row.field}")
    column = table.c[row.field]
    if value is not None:
        value = _typed(column, value)
    found = conn.execute(table.update().where(where).values({row.field: value}))
    if not found.rowcount:
        raise KamError(f"{row.label} is no longer there")
    _settle(conn, conflict_id)


def _typed(column: sa.Column, value: Any) -> Any:
    """A value kept as JSON, back in its column's type."""
    enum = getattr(column.type, "enum_class", None)
    if enum is not None:
        return enum(value)
    try:
        kind = getattr(column.type, "impl_instance", column.type).python_type
    except NotImplementedError:
        return value
    if kind in (datetime, date):
        return kind.fromisoformat(value)
    if kind is uuid.UUID:
        return uuid.UUID(value)
    return value


def _shown(text: str | None) -> str:
    value = json.loads(text) if text else None
    return "(none)" if value is None else str(value)


@dataclass(frozen=True)
class RowConflicts:
    """One row's open conflicts, as its form opens on them."""

    table_name: str
    row_id: Any
    account_id: uuid.UUID | None  # the account the row belongs to (None for an account)
    kind: str  # "fields": values differ; "removed" or "refused": the whole row
    theirs: dict[str, Any]  # field: the team database's value, typed
    mine: dict[str, Any]  # field: the laptop's value, typed (for "refused", the whole row)
    reason: str  # why the team database refused the row
    ids: list[int]  # the conflicts a save settles


@reads
def for_form(session: Session, conflict_id: int) -> RowConflicts:
    """The open conflicts of the row this conflict is about, with typed values."""
    conn = session.connection()
    first = _open_conflict(conn, conflict_id)
    table = {t.name: t for t in synced_tables()}.get(first.table_name)
    if table is None:
        raise KamError(f"{first.label} is not kept in sync")
    rows = conn.execute(
        sa.select(_conflict)
        .where(
            _conflict.c.table_name == first.table_name,
            _conflict.c.row_key == first.row_key,
            _conflict.c.resolved_at.is_(None),
        )
        .order_by(_conflict.c.id)
    ).all()
    key = key_values(table, first.row_key)
    kind = first.field if first.field in ("removed", "refused") else "fields"
    theirs: dict[str, Any] = {}
    mine: dict[str, Any] = {}
    reason = ""
    if kind == "fields":
        for r in rows:
            if r.field in table.c:
                column = table.c[r.field]
                theirs[r.field] = _value(column, r.server_value)
                mine[r.field] = _value(column, r.local_value)
        rows = [r for r in rows if r.field not in ("removed", "refused")]
    else:
        whole = json.loads(first.local_value) if first.local_value else None
        if isinstance(whole, str):
            whole = json.loads(whole)
        mine = {c.name: _typed(c, whole[c.name]) for c in table.c if whole and whole.get(c.name)}
        reason = json.loads(first.server_value) if first.server_value else ""
        rows = [first]
    if first.table_name == "account":  # the form names a region and a group, not their ids
        for values in (theirs, mine):
            _by_name(conn, values, "region_id", "region", "region")
            _by_name(conn, values, "parent_id", "parent", "account")
    account_id = mine.get("account_id")
    if account_id is None and "account_id" in table.c:
        account_id = conn.execute(
            sa.select(table.c.account_id).where(key_columns(table)[0] == key[0])
        ).scalar()
    return RowConflicts(
        first.table_name, key[0], account_id, kind, theirs, mine, str(reason or ""),
        [r.id for r in rows],
    )  # fmt: skip


def _by_name(
    conn: sa.Connection, values: dict[str, Any], column: str, field: str, table: str
) -> None:
    if column not in values:
        return
    ident = values.pop(column)
    named = {t.name: t for t in synced_tables()}[table]
    name = (
        conn.execute(sa.select(named.c.name).where(named.c.id == ident)).scalar()
        if ident is not None
        else None
    )
    values[field] = name


def _value(column: sa.Column, text: str | None) -> Any:
    value = json.loads(text) if text else None
    return None if value is None else _typed(column, value)


@writes
def settle(session: Session, ids: list[int]) -> None:
    """Decided in the record's form: what it saved is what goes to the team database."""
    conn = session.connection()
    conn.execute(
        _conflict.update()
        .where(_conflict.c.id.in_(ids), _conflict.c.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    )
