"""What kam works out about each account from its data: behaviour segments and health.

Both are caches, rebuilt by `services.segments` and `services.health` when their inputs change,
so lists can sort and filter by them without recomputing over every revenue line.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import enum_field, money_field
from kam.models.enums import HealthBand, RelationalGroup, Segment


class AccountSegment(SQLModel, table=True):
    """One account's behaviour: RFM figures and scores, loyalty, value x loyalty segment and,
    for relational accounts of high value, which of the three groups it is in."""

    __tablename__ = "account_segment"
    __table_args__ = (sa.Index("ix_account_segment_segment", "segment"),)

    account_id: uuid.UUID = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    last_purchase: date | None = Field(default=None)
    frequency: int = Field(default=0)  # purchases in the window
    monetary_minor: int = money_field(default=0, nullable=False)  # revenue in the window
    profit_minor: int = money_field(default=0, nullable=False)  # revenue less cost to serve
    previous_minor: int = money_field(default=0, nullable=False)  # the window before it
    r_score: int = Field(default=0)  # 1-5, 5 = bought most recently; 0 = never bought
    f_score: int = Field(default=0)
    m_score: int = Field(default=0)
    regularity: float = Field(default=0.0)  # share of recent quarters with a purchase
    loyalty: float = Field(default=0.0)  # 0-1: regularity and tenure
    high_value: bool = Field(default=False)
    segment: Segment = enum_field(Segment, "segment")
    transactional: bool = Field(default=False)
    relational_group: RelationalGroup | None = enum_field(
        RelationalGroup, "relational_group", nullable=True, default=None
    )


class AccountHealth(SQLModel, table=True):
    """A valuable account's health score and the signals behind it (JSON, in words)."""

    __tablename__ = "account_health"
    __table_args__ = (
        sa.Index("ix_account_health_score", "score"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    account_id: uuid.UUID = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    as_of: date = Field(nullable=False)
    score: int
    band: HealthBand = enum_field(HealthBand, "health_band")
    previous_score: int | None = Field(default=None)  # about four weeks earlier
    reasons: str = Field(default="", sa_type=sa.Text)  # the main reasons, in words
    listed_for: str = Field(default="", max_length=300)  # why it is at risk; "" when it is not
    signals: str = Field(default="[]", sa_type=sa.Text)  # every signal, JSON


class HealthHistory(SQLModel, table=True):
    """The score each week, so a falling account can be told from one that was always weak."""

    __tablename__ = "health_history"

    account_id: uuid.UUID = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    week_start: date = Field(primary_key=True)  # the Monday of the week
    score: int
