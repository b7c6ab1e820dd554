"""Planned and logged contact with an account, and what the customer tells us back."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import Edited, enum_field, fk
from kam.models.enums import ActivityKind, ComplaintSeverity, Sentiment


class PlanItem(Edited, table=True):
    """A recurring contact on an account's plan; `rule` is an iCalendar RRULE."""

    __tablename__ = "plan_item"
    __table_args__ = (
        sa.Index("ix_plan_item_active_due", "active", "next_due"),  # the agenda, all accounts
        sa.Index("ix_plan_item_account_due", "account_id", "next_due"),  # one account's plan
        sa.Index("ix_plan_item_owner_due", "owner_id", "active", "next_due"),  # my agenda
    )

    account_id: uuid.UUID = fk("account.id", index=False)
    kind: ActivityKind = enum_field(ActivityKind, "kind")
    rule: str = Field(max_length=300)
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    contact_id: uuid.UUID | None = fk("contact.id", ondelete="SET NULL", nullable=True)
    next_due: date = Field(nullable=False)
    active: bool = Field(default=True)
    note: str = Field(default="", max_length=500)
    starts_on: date = Field(nullable=False)  # the anchor of the rule's dates
    policy: str | None = Field(default=None, max_length=20)  # the tier policy it came from


class Activity(Edited, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        sa.Index("ix_activity_account_occurred", "account_id", "occurred_on"),
        sa.Index("ix_activity_opportunity_occurred", "opportunity_id", "occurred_on"),
    )

    account_id: uuid.UUID = fk("account.id", index=False)
    kind: ActivityKind = enum_field(ActivityKind, "kind")
    occurred_on: date = Field(nullable=False)
    summary: str = Field(default="", sa_type=sa.Text)
    outcome: str = Field(default="", sa_type=sa.Text)
    sentiment: Sentiment = enum_field(Sentiment, "sentiment", default=Sentiment.neutral)
    follow_up_on: date | None = Field(default=None)
    plan_item_id: uuid.UUID | None = fk("plan_item.id", ondelete="SET NULL", nullable=True)
    # The deal this contact moved on, if any: a deal's activity keeps it from going stale.
    opportunity_id: uuid.UUID | None = fk(
        "opportunity.id", ondelete="SET NULL", nullable=True, index=False
    )


class ActivityContact(SQLModel, table=True):
    __tablename__ = "activity_contact"

    activity_id: uuid.UUID = Field(primary_key=True, foreign_key="activity.id", ondelete="CASCADE")
    contact_id: uuid.UUID = Field(
        primary_key=True, foreign_key="contact.id", ondelete="CASCADE", index=True
    )


class ActivityMember(SQLModel, table=True):
    __tablename__ = "activity_member"

    activity_id: uuid.UUID = Field(primary_key=True, foreign_key="activity.id", ondelete="CASCADE")
    member_id: uuid.UUID = Field(
        primary_key=True, foreign_key="team_member.id", ondelete="CASCADE", index=True
    )


class Complaint(Edited, table=True):
    __tablename__ = "complaint"

    account_id: uuid.UUID = fk("account.id")
    opened_on: date = Field(nullable=False)
    closed_on: date | None = Field(default=None)
    severity: ComplaintSeverity = enum_field(
        ComplaintSeverity, "severity", default=ComplaintSeverity.medium
    )
    summary: str = Field(default="", sa_type=sa.Text)


class SatisfactionScore(Edited, table=True):
    __tablename__ = "satisfaction_score"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)

    account_id: uuid.UUID = fk("account.id")
    surveyed_on: date = Field(nullable=False)
    score: int
    comment: str = Field(default="", sa_type=sa.Text)
