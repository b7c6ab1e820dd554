"""Rows of a synced table by their keys, read or matched a chunk at a time, on either side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from kam.schema.sync import key_columns

CHUNK = 500
Key = tuple[Any, ...]


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def where_keys(table: sa.Table, keys: list[Key]) -> sa.ColumnElement[bool]:
    """Any of these rows."""
    columns = key_columns(table)
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return sa.tuple_(*columns).in_(keys)


def match(table: sa.Table, key: Key) -> sa.ColumnElement[bool]:
    """This row."""
    return sa.and_(*(c == v for c, v in zip(key_columns(table), key, strict=True)))


def key_of(table: sa.Table, row: Any) -> Key:
    return tuple(row[c.name] for c in key_columns(table))


def read_rows(
    conn: sa.Connection, table: sa.Table, keys: list[Key], *, lock: bool = False
) -> dict[Key, dict[str, Any]]:
    """The rows of these keys that are there, by key: one query per chunk of keys (locked
    until the transaction ends, with `lock`)."""
    found: dict[Key, dict[str, Any]] = {}
    for chunk in chunks(keys):
        query = sa.select(table).where(where_keys(table, chunk))
        for r in conn.execute(query.with_for_update() if lock else query):
            row = dict(r._mapping)
            found[key_of(table, row)] = row
    return found
