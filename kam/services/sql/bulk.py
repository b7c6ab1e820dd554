"""Reading ids in bulk.

On SQLite a UUID column holds 32 hex digits, and SQLAlchemy turns each value read into a UUID
object: for 100k rows per query that costs more than the query. Whole-portfolio computations
read ids as the stored text instead and compare known ids in that same form."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


def id_forms(conn: sa.Connection) -> tuple[Callable[[Any], Any], Callable[[uuid.UUID], Any]]:
    """(how to select an id column, the same form of one known UUID)."""
    if conn.dialect.name == "sqlite":
        return (lambda column: sa.type_coerce(column, sa.String)), (lambda value: value.hex)
    return (lambda column: column), (lambda value: value)


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def dashed(value: Any) -> str:
    """An id in the one form kam prints everywhere (8-4-4-4-12 hex digits with dashes),
    whether the database gave a UUID or SQLite's 32 bare digits; by slicing, for reports of
    100k rows."""
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text
