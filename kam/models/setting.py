from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import moment_field, utcnow


class Setting(SQLModel, table=True):
    """A team setting (cut-offs, tier labels, policies), stored as JSON so that a team
    database shares one set of rules."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(sa_type=sa.Text, nullable=False)
    updated_at: datetime = moment_field(default_factory=utcnow, nullable=False)
