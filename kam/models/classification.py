"""The stored result of classifying the portfolio, and the history of label moves."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from kam.models.base import Entity, enum_field, fk, moment_field, money_field, utcnow
from kam.models.enums import AccountClass, ChangeSource, ClassificationField, ValueTier


class AccountClassification(SQLModel, table=True):
    """One account's place in the current classification. A cache of
    `services.classify`, rebuilt whenever its inputs change, so lists can sort and filter by
    class and revenue without recomputing the Pareto ranks."""

    __tablename__ = "account_classification"
    __table_args__ = (
        sa.Index("ix_account_classification_rank", "rank"),
        sa.Index("ix_account_classification_position", "position"),
        sa.Index("ix_account_classification_class_order", "class_order", "position"),
        sa.Index("ix_account_classification_tier_order", "tier_order", "position"),
        sa.Index("ix_account_classification_class_tier", "account_class", "tier"),
        sa.Index("ix_account_classification_fold_position", "fold_position"),
    )

    account_id: uuid.UUID = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    revenue_minor: int = money_field(default=0, nullable=False)
    cost_minor: int = money_field(default=0, nullable=False)
    rank: int | None = Field(default=None)
    # 1..N over all live accounts: revenue first, then name. Dense, so a page of the list
    # sorted by revenue is an index seek (position > offset) instead of a sort.
    position: int = Field(default=0)
    share: float = Field(default=0.0)
    cumulative_share: float | None = Field(default=None)
    account_class: AccountClass = enum_field(AccountClass, "account_class")
    computed_tier: ValueTier = enum_field(ValueTier, "computed_tier")
    tier: ValueTier = enum_field(ValueTier, "tier")
    # Classified by group: the top of the group whose class and tier this member takes (None:
    # classified on its own, or the group's top itself). No foreign key: the whole table is
    # rebuilt when any account changes.
    via_group_id: uuid.UUID | None = Field(default=None)
    # The revenue of the group the account is part of (of the account itself when it is in
    # none): every member's together.
    group_revenue_minor: int = money_field(default=0, nullable=False)
    # The tops of groups and the accounts in none, 1..N by their group's revenue, then name:
    # the folded accounts list's order (None: a member, folded under its group).
    fold_position: int | None = Field(default=None)
    strategic: bool = Field(default=False)  # copied from the account, so KPIs need no join
    class_order: int = Field(default=0)  # core 0 .. general 3, for sorting by class
    tier_order: int = Field(default=0)  # diamond 0 .. problem 5, for sorting by tier


class TierChange(Entity, table=True):
    """A move of an account's class or tier: history is data, never overwritten."""

    __tablename__ = "tier_change"

    account_id: uuid.UUID = fk("account.id")
    field: ClassificationField = enum_field(ClassificationField, "field")
    from_value: str | None = Field(default=None, max_length=40)
    to_value: str = Field(max_length=40)
    changed_at: datetime = moment_field(default_factory=utcnow, nullable=False, index=True)
    source: ChangeSource = enum_field(ChangeSource, "source")
    reason: str = Field(default="", max_length=500)
    changed_by_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
