"""What a laptop's copy of the team database receives and sends, table by table.

Facts sync: accounts, people, deals, plans, activities, reviews, revenue, the team's
settings and the histories. What each side works out from the facts does not (the
classification, segments, health and its weekly history, tier moves, the headline figures,
the records of what was worked out when): a laptop and the server compute the same from the
same facts. Neither do the laptop's own bookkeeping tables.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from kam.models import metadata

# Worked out on each side from the synced facts.
DERIVED = frozenset(
    {"account_classification", "account_health", "account_segment", "health_history", "tier_change"}
)
# A laptop's own record of its sync.
BOOKKEEPING = frozenset({"replica_state", "sync_outbox", "sync_conflict"})
# Settings rows that record what was worked out, not what the team decided.
LOCAL_SETTINGS = frozenset(
    {"classification_state", "health_state", "data_version", "headline_indicators"}
)
# The trail of an edit (who changed what when), synced with it but not counted as a change of
# its own in what waits to be sent.
TRAILS = frozenset({"change_record", "setting_change", "opportunity_stage_change"})
KEY_SEPARATOR = "|"


def synced_tables() -> list[sa.Table]:
    """The synced tables, parents before the rows that refer to them."""
    return [t for t in metadata.sorted_tables if t.name not in DERIVED | BOOKKEEPING]


def key_columns(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns)


def row_key(table: sa.Table, row: Any) -> str:
    """A row's primary key as text: the same on PostgreSQL and SQLite."""
    return KEY_SEPARATOR.join(str(row[c.name]) for c in key_columns(table))


def key_values(table: sa.Table, key: str) -> tuple[Any, ...]:
    """The primary key values of a row from its text form."""
    parts = key.split(KEY_SEPARATOR)
    values = []
    for column, part in zip(key_columns(table), parts, strict=True):
        values.append(uuid.UUID(part) if isinstance(column.type, sa.Uuid) else part)
    return tuple(values)


def is_synced_row(table: sa.Table, key: str) -> bool:
    return table.name != "setting" or key not in LOCAL_SETTINGS
