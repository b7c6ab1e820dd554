from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Edited, enum_field, fk, money_field
from kam.models.enums import PeriodKind


class WalletEstimate(Edited, table=True):
    """What the customer spends in one category over one period, all suppliers together."""

    __tablename__ = "wallet_estimate"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "category", "period_kind", "period_start"),
        sa.CheckConstraint("total_spend_minor >= 0", name="spend_not_negative"),
    )

    account_id: uuid.UUID = fk("account.id")
    category: str = Field(max_length=80)
    period_kind: PeriodKind = enum_field(PeriodKind, "period_kind", default=PeriodKind.year)
    period_start: date = Field(nullable=False)
    total_spend_minor: int = money_field(nullable=False)
    customer_growth: float | None = Field(default=None)  # the customer's own growth, fraction
    notes: str = Field(default="", max_length=500)


class WalletCompetitor(Edited, table=True):
    __tablename__ = "wallet_competitor"
    __table_args__ = (sa.CheckConstraint("share >= 0 AND share <= 1", name="share_range"),)

    estimate_id: uuid.UUID = fk("wallet_estimate.id")
    name: str = Field(max_length=120)
    share: float = Field(nullable=False)
