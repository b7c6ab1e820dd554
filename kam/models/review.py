from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Edited, Entity, enum_field, fk, moment_field, utcnow
from kam.models.enums import ActionStatus, ObjectiveStatus, RelationshipStage


class Review(Edited, table=True):
    """One account's review in one week's account review meeting."""

    __tablename__ = "review"
    __table_args__ = (sa.UniqueConstraint("account_id", "week"),)

    account_id: uuid.UUID = fk("account.id")
    week: str = Field(max_length=8, index=True)  # ISO week, e.g. 2026-W47
    reviewed_on: date | None = Field(default=None, index=True)
    reviewer_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    note: str = Field(default="", sa_type=sa.Text)


class ReviewDecision(Entity, table=True):
    __tablename__ = "review_decision"

    review_id: uuid.UUID = fk("review.id")
    text: str = Field(sa_type=sa.Text)
    decided_at: datetime = moment_field(default_factory=utcnow, nullable=False)


class ActionItem(Edited, table=True):
    __tablename__ = "action_item"
    __table_args__ = (sa.Index("ix_action_item_status_due", "status", "due_on"),)

    account_id: uuid.UUID = fk("account.id")
    review_id: uuid.UUID | None = fk("review.id", ondelete="SET NULL", nullable=True)
    title: str = Field(max_length=300)
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    due_on: date | None = Field(default=None)
    status: ActionStatus = enum_field(ActionStatus, "action_status", default=ActionStatus.open)
    done_on: date | None = Field(default=None)
    # The one-off item that puts the action on its owner's agenda.
    plan_item_id: uuid.UUID | None = fk("plan_item.id", ondelete="SET NULL", nullable=True)


class AccountPlan(Edited, table=True):
    """Where we want to be with a key account in 3-5 years, and how."""

    __tablename__ = "account_plan"
    __table_args__ = (sa.UniqueConstraint("account_id"),)

    account_id: uuid.UUID = fk("account.id", index=False)
    strategy: str = Field(default="", sa_type=sa.Text)  # which business we want, and which not
    desired_stage: RelationshipStage | None = enum_field(
        RelationshipStage, "desired_stage", nullable=True, default=None
    )
    customer_goals: str = Field(default="", sa_type=sa.Text)  # their goals that we support


class PlanObjective(Edited, table=True):
    """One objective of an account plan: what is measured, the target, by when."""

    __tablename__ = "plan_objective"

    account_id: uuid.UUID = fk("account.id")
    title: str = Field(max_length=200)
    measure: str = Field(default="", max_length=200)
    target: str = Field(default="", max_length=120)
    due_on: date | None = Field(default=None)
    status: ObjectiveStatus = enum_field(
        ObjectiveStatus, "objective_status", default=ObjectiveStatus.open
    )
    progress: str = Field(default="", max_length=500)
