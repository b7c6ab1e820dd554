"""Every earlier schema migrates to the current one with every row kept.

For each revision, the test builds a database at that schema with the old migration itself,
fills every table it has with rows made from the schema as reflected (types, lengths, foreign
keys, the allowed values of each vocabulary), migrates it to the head, and compares every row
of every old table, column by column, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

import kam.models
from kam.db import make_engine, upgrade_schema
from kam.migrations import SCHEMA_HEAD

ROWS = 4
REVISIONS = [f"{n:04d}" for n in range(1, int(SCHEMA_HEAD) + 1)][:-1]


def _allowed_values(table: sa.Table, inspector: sa.Inspector) -> dict[str, list[str]]:
    """Column -> the values a CHECK constraint lists (kam's vocabularies).

    SQLite keeps `status IN ('active', ...)`, PostgreSQL
    `((status)::text = ANY ((ARRAY['active'::character varying, ...])::text[]))`.
    """
    allowed = {}
    for check in inspector.get_check_constraints(table.name):
        text = check["sqltext"]
        if re.search(r"\bIN\s*\(|= ANY", text, re.IGNORECASE):
            column = re.search(r"\w+", text).group(0)
            allowed[column] = re.findall(r"'([^']*)'", text)
    return allowed


def _value(column: sa.Column, row: int, allowed: dict[str, list[str]]) -> Any:
    """A value of the column's type for row number `row`, different in every row."""
    kind = column.type
    if column.name in allowed:
        values = allowed[column.name]
        return values[row % len(values)]
    if isinstance(kind, sa.Uuid) or (isinstance(kind, sa.CHAR) and kind.length == 32):
        key = uuid.uuid5(uuid.NAMESPACE_OID, f"{column.table.name}.{column.name}.{row}")
        return key if isinstance(kind, sa.Uuid) else key.hex  # SQLite keeps it as 32 digits
    if isinstance(kind, sa.Boolean):
        return row % 2 == 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 3, 1, 9, 30, tzinfo=UTC) + timedelta(hours=row)
    if isinstance(kind, sa.Date):
        return date(2026, 3, 1) + timedelta(days=row)
    if isinstance(kind, sa.Integer):  # BigInteger and SmallInteger too
        return row + 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return (row + 1) / 10
    if isinstance(kind, sa.String):  # Text, VARCHAR
        text = f"{column.name} {row} 名"
        return text[: kind.length] if kind.length else text
    raise AssertionError(f"no value for {column.table.name}.{column.name} of type {kind!r}")


def _fill(conn: sa.Connection) -> None:
    """ROWS rows in every table, parents first, each foreign key naming a parent row."""
    inspector = sa.inspect(conn)
    metadata = sa.MetaData()
    metadata.reflect(conn)
    written: dict[str, list[dict[str, Any]]] = {}
    for table in metadata.sorted_tables:
        if _derived(table.name):
            continue
        allowed = _allowed_values(table, inspector)
        references = {
            element.parent.name: element.column
            for constraint in table.foreign_key_constraints
            for element in constraint.elements
        }
        rows = []
        for n in range(ROWS):
            row = {}
            for column in table.columns:
                target = references.get(column.name)
                if target is not None:
                    parents = written.get(target.table.name, [])
                    if target.table is table or not parents:
                        assert column.nullable, f"{table.name}.{column.name} needs a parent"
                        row[column.name] = None
                    else:
                        row[column.name] = parents[n % len(parents)][target.name]
                else:
                    row[column.name] = _value(column, n, allowed)
            rows.append(row)
        if any(c.primary_key for c in table.columns if c.name in references):
            # A key that is also a reference (one row per account): one row per parent.
            keys = [c.name for c in table.primary_key.columns]
            rows = list({tuple(r[k] for k in keys): r for r in rows}.values())
        conn.execute(table.insert(), rows)
        written[table.name] = rows


def _contents(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    metadata = sa.MetaData()
    with engine.connect() as conn:
        metadata.reflect(conn, only=lambda name, _meta: not _derived(name))
        return {
            table.name: sorted((dict(r._mapping) for r in conn.execute(sa.select(table))), key=repr)
            for table in metadata.sorted_tables
            if not _derived(table.name)
        }


def _with_replaced_columns(engine: sa.Engine, after: dict[str, list[dict[str, Any]]]) -> None:
    """Columns a migration replaced, read back from what replaced them: an account's region
    word (0015 made each word a region row the account refers to)."""
    if "region" not in after:
        return
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name FROM region")).all())
    for row in after["account"]:
        row["region"] = names.get(row["region_id"])


def _derived(table_name: str) -> bool:
    """Alembic's own table, the name-search index kam keeps from the accounts, and the team
    database's change log (a record of the writes, which migrating does not repeat)."""
    return table_name == "alembic_version" or kam.models.made_by_hand(table_name, "table", {})


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_database_of_every_earlier_schema_migrates_with_every_row_kept(
    db_url: str, revision: str
) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine, revision)
        with engine.begin() as conn:
            _fill(conn)
        before = _contents(engine)
        assert before and all(len(rows) >= 1 for rows in before.values())

        upgrade_schema(engine)

        after = _contents(engine)
        _with_replaced_columns(engine, after)
        for table, rows in before.items():
            assert table in after, f"{table} is gone after the migration from {revision}"
            kept = sorted(({k: row[k] for k in rows[0]} for row in after[table]), key=repr)
            assert kept == rows, f"{table}: rows changed migrating from {revision}"
        # And kam reads every row of every table through its models.
        with Session(engine) as session:
            for mapped in SQLModel.metadata.sorted_tables:
                model = _model_of(mapped.name)
                if model is not None and mapped.name in before:
                    assert len(session.exec(select(model)).all()) == len(before[mapped.name])
    finally:
        engine.dispose()


def _model_of(table_name: str) -> type[SQLModel] | None:
    for mapper in SQLModel._sa_registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table_name:
            return mapper.class_
    return None
