"""What the contact plan's forms offer to choose from, each read in one session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from kam.services.contact_plan import activities, plan_items
from kam.services.history.edits import Base
from kam.services.people import contacts, team
from kam.services.people.team import MemberChoice
from kam.services.unit import reads
from kam.services.values.formatting import words


def contact_choices(session: Session, account_id: uuid.UUID) -> list[tuple[str, Any]]:
    """The account's current contacts, as choices."""
    found = sorted(
        (c for c in contacts.account_contacts(session, account_id) if c.current),
        key=lambda c: c.name.casefold(),
    )
    return [(f"{c.name} · {c.title}" if c.title else c.name, str(c.id)) for c in found]


@dataclass(frozen=True)
class ItemForm:
    members: list[MemberChoice]
    people: list[tuple[str, Any]]
    base: Base | None = None  # the item as it was when an edit opened


@reads
def item_form(
    session: Session, account_id: uuid.UUID, item_id: uuid.UUID | None = None
) -> ItemForm:
    """The choices of a plan item's form, and the item itself when one is edited."""
    base = plan_items.open_item_form(session, item_id) if item_id is not None else None
    owner = base.values["owner_id"] if base is not None else None
    return ItemForm(
        team.members(session, include=owner), contact_choices(session, account_id), base
    )


@dataclass(frozen=True)
class LogForm:
    members: list[MemberChoice]
    people: list[tuple[str, Any]]
    items: list[tuple[str, str]]  # the account's active plan items
    deals: list[tuple[str, uuid.UUID]]  # its open deals
    me: uuid.UUID | None  # the person logging, when on the team list


@reads
def log_form(session: Session, account_id: uuid.UUID, user: str) -> LogForm:
    items = [
        (f"{words(r.kind)} · {r.cadence} · due {r.next_due}", str(r.id))
        for r in plan_items.account_plan(session, account_id)
        if r.active
    ]
    return LogForm(
        team.members(session),
        contact_choices(session, account_id),
        items,
        activities.open_deals_of(session, account_id),
        activities.member_id_of(session, user),
    )
