from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Entity, fk, money_field


class RevenueLine(Entity, table=True):
    """Invoiced revenue and its cost to serve, by product/service category."""

    __tablename__ = "revenue_line"
    __table_args__ = (
        sa.CheckConstraint("cost_minor >= 0", name="cost_not_negative"),
        # Covering index: window sums per account read the index only, in account order.
        sa.Index(
            "ix_revenue_line_account_booked",
            "account_id",
            "booked_on",
            "amount_minor",
            "cost_minor",
        ),
    )

    account_id: uuid.UUID = fk("account.id", index=False)
    booked_on: date = Field(nullable=False)
    category: str = Field(max_length=80)
    amount_minor: int = money_field(nullable=False)
    cost_minor: int = money_field(default=0, nullable=False)
