"""Our side (team members, account teams) and their side (contacts and their needs)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field

from kam.models.base import Edited, enum_field, fk
from kam.models.enums import (
    Attitude,
    BuyingRole,
    Influence,
    NeedKind,
    NeedVisibility,
    RelationshipStrength,
    TeamRole,
)


class TeamMember(Edited, table=True):
    __tablename__ = "team_member"

    name: str = Field(max_length=120, index=True)
    email: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=120)
    active: bool = Field(default=True)


class AccountTeamMember(Edited, table=True):
    """One role one of our people plays on an account."""

    __tablename__ = "account_team"
    __table_args__ = (sa.UniqueConstraint("account_id", "member_id", "role"),)

    account_id: uuid.UUID = fk("account.id")
    member_id: uuid.UUID = fk("team_member.id")
    role: TeamRole = enum_field(TeamRole, "team_role")


class Contact(Edited, table=True):
    __tablename__ = "contact"

    account_id: uuid.UUID = fk("account.id")
    name: str = Field(max_length=120, index=True)
    # The contact's id in the system it came from (Salesforce Id, HubSpot Record ID).
    external_ref: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=120)
    department: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=60)
    buying_role: BuyingRole | None = enum_field(
        BuyingRole, "buying_role", nullable=True, default=None
    )
    attitude: Attitude = enum_field(Attitude, "attitude", default=Attitude.neutral)
    influence: Influence = enum_field(Influence, "influence", default=Influence.medium)
    strength: RelationshipStrength = enum_field(
        RelationshipStrength, "strength", default=RelationshipStrength.none
    )
    reports_to_id: uuid.UUID | None = fk("contact.id", ondelete="SET NULL", nullable=True)
    # Who on our side holds this relationship: all contacts through one person is a risk.
    owner_id: uuid.UUID | None = fk("team_member.id", ondelete="SET NULL", nullable=True)
    left_on: date | None = Field(default=None)
    notes: str = Field(default="", sa_type=sa.Text)


class ContactNeed(Edited, table=True):
    __tablename__ = "contact_need"

    contact_id: uuid.UUID = fk("contact.id")
    kind: NeedKind = enum_field(NeedKind, "need_kind")
    visibility: NeedVisibility = enum_field(
        NeedVisibility, "need_visibility", default=NeedVisibility.explicit
    )
    text: str = Field(default="", sa_type=sa.Text)


__all__ = ["AccountTeamMember", "Contact", "ContactNeed", "TeamMember"]
