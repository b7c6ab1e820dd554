from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Edited, enum_field, fk, moment_field, money_field
from kam.models.enums import (
    AccountStatus,
    BuyingFactor,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipType,
    ValueTier,
)

# The trigram index of account names: an SQLite FTS5 table (and its shadow tables, named after
# it) that migration 0009 makes where SQLite has the trigram tokenizer. Not a model: triggers
# keep it in step with `account`.
NAME_SEARCH_TABLE = "account_name_search"


def is_name_search_table(name: str | None) -> bool:
    return bool(name) and (name == NAME_SEARCH_TABLE or name.startswith(NAME_SEARCH_TABLE + "_"))


def name_key(name: str) -> str:
    """The form under which two account names count as the same: case and surrounding and
    repeated spaces ignored."""
    return " ".join(name.split()).casefold()


class Region(Edited, table=True):
    """Where an account is managed from: a region, or a territory under one, with the person
    who answers for it."""

    __tablename__ = "region"
    __table_args__ = (sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),)

    name: str = Field(max_length=120)
    # Names are unique among regions and territories alike, so a file's "Region" finds one.
    name_key: str = Field(max_length=120, unique=True)
    # The region a territory is part of (one level: a territory has no territories).
    parent_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("region.id", ondelete="SET NULL", deferrable=True, initially="DEFERRED"),
            nullable=True,
            index=True,
        ),
    )
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)


class Account(Edited, table=True):
    __tablename__ = "account"
    __table_args__ = (
        # Names are unique among live accounts; an archived account frees its name.
        sa.Index(
            "uq_account_live_name_key",
            "name_key",
            unique=True,
            sqlite_where=sa.text("archived_at IS NULL"),
            postgresql_where=sa.text("archived_at IS NULL"),
        ),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        # The account list sorted by these columns walks an index instead of sorting.
        sa.Index("ix_account_status_name", "status", "name_key"),
        sa.Index("ix_account_industry_name", "industry", "name_key"),
        sa.Index("ix_account_region_name", "region_id", "name_key"),
        # The few archived accounts, so "not archived" is a small set to leave out.
        sa.Index(
            "ix_account_archived",
            "id",
            sqlite_where=sa.text("archived_at IS NOT NULL"),
            postgresql_where=sa.text("archived_at IS NOT NULL"),
        ),
    )

    name: str = Field(max_length=200)
    name_key: str = Field(max_length=200, index=True)
    industry: str | None = Field(default=None, max_length=120)
    region_id: uuid.UUID | None = fk("region.id", ondelete="SET NULL", nullable=True, index=False)
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    relationship_stage: RelationshipStage = enum_field(
        RelationshipStage, "relationship_stage", default=RelationshipStage.transactional
    )
    relationship_horizon: RelationshipHorizon = enum_field(
        RelationshipHorizon, "relationship_horizon", default=RelationshipHorizon.long_term
    )
    relationship_type: RelationshipType = enum_field(
        RelationshipType, "relationship_type", default=RelationshipType.relational
    )
    buying_factor: BuyingFactor | None = enum_field(
        BuyingFactor, "buying_factor", nullable=True, default=None
    )
    strategic: bool = Field(default=False)
    emerging: bool = Field(default=False)
    tier_override: ValueTier | None = enum_field(
        ValueTier, "tier_override", nullable=True, default=None
    )
    tier_override_reason: str | None = Field(default=None, max_length=500)
    status: AccountStatus = enum_field(AccountStatus, "status", default=AccountStatus.active)
    customer_since: date | None = Field(default=None)
    notes: str = Field(default="", sa_type=sa.Text)
    # The id another system (a CRM the data came from) knows this account by.
    external_ref: str | None = Field(default=None, max_length=120, index=True)
    # The customer's own yearly revenue (their size), not what they buy from us.
    annual_revenue_minor: int | None = money_field(default=None, nullable=True)
    archived_at: datetime | None = moment_field(default=None, nullable=True)
    # The account this one is part of (a group, a company of a group): any depth, no loops.
    # Checked when the transaction ends, so a group and its members can arrive in any order.
    parent_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("account.id", ondelete="SET NULL", deferrable=True, initially="DEFERRED"),
            nullable=True,
            index=True,
        ),
    )
