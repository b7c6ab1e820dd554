"""Who changed what and when: one row per changed field, never overwritten."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Entity, enum_field, fk, moment_field, utcnow
from kam.models.enums import HistorySubject


class ChangeRecord(Entity, table=True):
    __tablename__ = "change_record"
    __table_args__ = (sa.Index("ix_change_record_account_at", "account_id", "changed_at"),)

    account_id: uuid.UUID = fk("account.id", index=False)
    subject: HistorySubject = enum_field(HistorySubject, "history_subject")
    subject_id: uuid.UUID = Field(nullable=False)
    subject_label: str = Field(max_length=200)  # the name as it was, for rows since removed
    field: str = Field(max_length=60)  # "created", "removed" or a column name
    old_value: str | None = Field(default=None, sa_type=sa.Text)
    new_value: str | None = Field(default=None, sa_type=sa.Text)
    changed_by: str = Field(max_length=120)
    changed_at: datetime = moment_field(default_factory=utcnow, nullable=False)


__all__ = ["ChangeRecord"]
