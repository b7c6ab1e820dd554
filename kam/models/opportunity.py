from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Edited, Entity, enum_field, fk, moment_field, money_field, utcnow
from kam.models.enums import BuyingFactor, OpportunityStage

BOARD_COLUMNS = (
    "stage",
    "amount_minor",
    "probability",
    "expected_close",
    "closed_on",
    "stage_changed_at",
    "account_id",
    "owner_id",
    "id",
    "title",
)


class Opportunity(Edited, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability_range"),
        sa.CheckConstraint("impact_months >= 0", name="impact_not_negative"),
        sa.Index("ix_opportunity_stage_close", "stage", "expected_close"),
        # A board column in amount order, with every column the pipeline's totals, forecast
        # and text filter read: they read this index alone, never the deals' rows.
        sa.Index("ix_opportunity_board", *BOARD_COLUMNS),
    )

    account_id: uuid.UUID = fk("account.id")
    title: str = Field(max_length=200)
    # The deal's id in the system it came from (Salesforce Id, HubSpot Record ID).
    external_ref: str | None = Field(default=None, max_length=120)
    category: str | None = Field(default=None, max_length=80)
    amount_minor: int = money_field(default=0, nullable=False)
    stage: OpportunityStage = enum_field(
        OpportunityStage, "stage", default=OpportunityStage.prospecting
    )
    probability: int = Field(default=10)
    probability_overridden: bool = Field(default=False)
    expected_close: date | None = Field(default=None)
    impact_months: int = Field(default=12)
    buying_factor: BuyingFactor | None = enum_field(
        BuyingFactor, "buying_factor", nullable=True, default=None
    )
    next_step: str | None = Field(default=None, max_length=300)
    next_step_due: date | None = Field(default=None)
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    close_reason: str | None = Field(default=None, max_length=500)
    opened_on: date = Field(nullable=False)
    closed_on: date | None = Field(default=None)
    stage_changed_at: datetime = moment_field(default_factory=utcnow, nullable=False)


class OpportunityStageChange(Entity, table=True):
    __tablename__ = "opportunity_stage_change"
    __table_args__ = (sa.Index("ix_opportunity_stage_change_changed_at", "changed_at"),)

    opportunity_id: uuid.UUID = fk("opportunity.id")
    from_stage: OpportunityStage | None = enum_field(
        OpportunityStage, "from_stage", nullable=True, default=None
    )
    to_stage: OpportunityStage = enum_field(OpportunityStage, "to_stage")
    changed_at: datetime = moment_field(default_factory=utcnow, nullable=False)
    changed_by_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    changed_by: str | None = Field(default=None, max_length=120)  # who, as the history names them
