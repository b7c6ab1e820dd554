"""A laptop's copy of the team database: which server it follows and how far it has read,
and the local changes the server does not have yet."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import moment_field, utcnow


class ReplicaState(SQLModel, table=True):
    """One row in a laptop's copy of the team database (none in any other database)."""

    __tablename__ = "replica_state"

    id: int = Field(default=1, primary_key=True)
    server: str = Field(max_length=500)  # the team database's URL, never with a password
    cursor: str = Field(max_length=40)  # the server's transactions read up to (an xid8)
    joined_at: datetime = moment_field(default_factory=utcnow, nullable=False)
    synced_at: datetime | None = moment_field(default=None, nullable=True)
    # 1 while a sync writes what it received: those writes are not local changes.
    applying: int = Field(default=0, nullable=False)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    offline_since: datetime | None = moment_field(default=None, nullable=True)  # first failure


class OutboxEntry(SQLModel, table=True):
    """A row of a synced table changed on this laptop (added, edited or removed) since the
    server last had it; written by triggers, so no write path can forget it."""

    __tablename__ = "sync_outbox"
    __table_args__ = (sa.Index("ix_sync_outbox_row", "table_name", "row_key"),)

    seq: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=60)
    row_key: str = Field(max_length=120)  # its primary key, as text
    # The row as it was before this change (JSON of its stored values; None: it was added):
    # the first entry of a row holds it as the server last had it, for a merge per field.
    base: str | None = Field(default=None, sa_type=sa.Text)


class SyncConflict(SQLModel, table=True):
    """A field changed both here and on the team database, to different values, or a row
    removed on one side and edited on the other. The team database keeps its value until
    someone decides; the laptop's is kept here."""

    __tablename__ = "sync_conflict"

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=60)
    row_key: str = Field(max_length=120)
    field: str = Field(max_length=60)  # a column, or "removed" for a row removed on one side
    server_value: str | None = Field(default=None, sa_type=sa.Text)  # JSON
    local_value: str | None = Field(default=None, sa_type=sa.Text)  # JSON
    label: str = Field(max_length=200)  # what it is about, in words
    found_at: datetime = moment_field(default_factory=utcnow, nullable=False)
    resolved_at: datetime | None = moment_field(default=None, nullable=True)
