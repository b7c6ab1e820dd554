from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import Entity, moment_field, utcnow


class Setting(SQLModel, table=True):
    """A team setting (cut-offs, tier labels, policies), stored as JSON so that a team
    database shares one set of rules."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(sa_type=sa.Text, nullable=False)
    updated_at: datetime = moment_field(default_factory=utcnow, nullable=False)


class SettingChange(Entity, table=True):
    """One changed team setting: which one, what it was and became, who changed it and when.
    Never overwritten, so a team can see how its rules came to be what they are."""

    __tablename__ = "setting_change"
    __table_args__ = (sa.Index("ix_setting_change_key_at", "key", "changed_at"),)

    key: str = Field(max_length=80)  # the group of settings
    field: str = Field(max_length=80)  # the setting within it
    old_value: str | None = Field(default=None, sa_type=sa.Text)  # JSON; None: the default
    new_value: str = Field(sa_type=sa.Text)  # JSON
    changed_by: str = Field(max_length=120)
    changed_at: datetime = moment_field(default_factory=utcnow, nullable=False)
