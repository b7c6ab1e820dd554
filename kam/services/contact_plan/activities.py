"""Logged activities: what happened with whom (which moves the plan on), and last contact."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    Activity,
    ActivityContact,
    ActivityMember,
    Contact,
    Opportunity,
    PlanItem,
    TeamMember,
)
from kam.models.enums import (
    OPEN_STAGES,
    ActivityKind,
    HistorySubject,
    Sentiment,
)
from kam.services.contact_plan import cadence
from kam.services.contact_plan.plan_items import contact_of_account, get_item, item_subject
from kam.services.history import changes as history
from kam.services.history.edits import FormReader
from kam.services.unit import reads, writes
from kam.services.values.formatting import words

_act = Activity.__table__
_act_contact = ActivityContact.__table__
_act_member = ActivityMember.__table__
_contact = Contact.__table__
_member = TeamMember.__table__


# --- activities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    id: uuid.UUID
    kind: ActivityKind
    occurred_on: date
    summary: str
    outcome: str
    sentiment: Sentiment
    follow_up_on: date | None
    contacts: list[str]
    members: list[str]
    plan_item_id: uuid.UUID | None
    deal: str | None


def _ids(raw: Mapping[str, Any], key: str) -> list[uuid.UUID]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    out = []
    for v in value:
        try:
            out.append(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v).strip()))
        except ValueError:
            continue
    return out


@writes
def log_activity(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], user: str, as_of: date
) -> Activity:
    """Record a contact. When it fulfils a plan item, the item's next due date moves to the
    cadence's first date after this contact (or after the date it was due, when done early);
    a one-off item is done. A follow-up date becomes a one-off item on the agenda."""
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    r = FormReader(raw, as_of)
    kind = r.choice("kind", ActivityKind, required=True)
    occurred = r.day("occurred_on", not_after=as_of) or as_of
    follow_up = r.day("follow_up_on")
    if follow_up is not None and follow_up < occurred:
        r.fail("follow_up_on", f"after the contact itself ({occurred})")
    contacts = _ids(raw, "contact_ids")
    for contact_id in contacts:
        if not contact_of_account(session, contact_id, account_id):
            r.fail("contact_ids", "only contacts of this account")
    members = _ids(raw, "member_ids")
    for member_id in members:
        if session.get(TeamMember, member_id) is None:
            r.fail("member_ids", "only people on the team list")
    item = None
    item_id = r.reference(
        "plan_item_id",
        lambda i: (p := session.get(PlanItem, i)) is not None and p.account_id == account_id,
        "plan item of this account",
    )
    deal_id = r.reference(
        "opportunity_id",
        lambda i: (d := session.get(Opportunity, i)) is not None and d.account_id == account_id,
        "deal of this account",
    )
    sentiment = r.choice("sentiment", Sentiment) or Sentiment.neutral
    summary = r.long_text("summary")
    r.check()
    activity = Activity(
        account_id=account_id,
        kind=kind,
        occurred_on=occurred,
        summary=summary,
        outcome=r.long_text("outcome"),
        sentiment=sentiment,
        follow_up_on=follow_up,
        plan_item_id=item_id,
        opportunity_id=deal_id,
    )
    session.add(activity)
    session.flush()
    for contact_id in dict.fromkeys(contacts):
        session.add(ActivityContact(activity_id=activity.id, contact_id=contact_id))
    for member_id in dict.fromkeys(members):
        session.add(ActivityMember(activity_id=activity.id, member_id=member_id))
    if item_id is not None:
        item = get_item(session, item_id)
        before = item.next_due
        if item.rule:
            item.next_due = cadence.next_after(item.rule, item.starts_on, max(occurred, before))
        else:
            item.active = False
        history.record(
            session, item_subject(item), "next due" if item.active else "active",
            before if item.active else True, item.next_due if item.active else False, user,
        )  # fmt: skip
    if follow_up is not None:
        owner = members[0] if members else _member_named(session, user)
        session.add(
            PlanItem(
                account_id=account_id,
                kind=kind,
                rule="",
                owner_id=owner,
                contact_id=contacts[0] if contacts else None,
                next_due=follow_up,
                starts_on=follow_up,
                note=("follow-up: " + summary.splitlines()[0] if summary else "follow-up")[:500],
            )
        )
    subject = history.Subject(account_id, HistorySubject.activity, activity.id, words(kind))
    history.record(session, subject, "logged", None, f"{occurred} {summary[:120]}".strip(), user)
    session.flush()
    return activity


def _member_named(session: Session, name: str) -> uuid.UUID | None:
    return (
        session.connection()
        .execute(sa.select(_member.c.id).where(_member.c.name == name).limit(1))
        .scalar()
    )


@reads
def member_id_of(session: Session, name: str) -> uuid.UUID | None:
    """The team member the person using kam is, if they are on the team list."""
    return _member_named(session, name)


def account_activities(
    session: Session, account_id: uuid.UUID, limit: int = 200
) -> list[ActivityRow]:
    conn = session.connection()
    opp = Opportunity.__table__
    rows = conn.execute(
        sa.select(_act, opp.c.title.label("deal"))
        .select_from(_act.outerjoin(opp, opp.c.id == _act.c.opportunity_id))
        .where(_act.c.account_id == account_id)
        .order_by(_act.c.occurred_on.desc(), _act.c.created_at.desc())
        .limit(limit)
    ).all()
    ids = [r.id for r in rows]
    people: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    ours: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for activity_id, name in conn.execute(
            sa.select(_act_contact.c.activity_id, _contact.c.name)
            .join_from(_act_contact, _contact, _contact.c.id == _act_contact.c.contact_id)
            .where(_act_contact.c.activity_id.in_(ids))
        ):
            people[activity_id].append(name)
        for activity_id, name in conn.execute(
            sa.select(_act_member.c.activity_id, _member.c.name)
            .join_from(_act_member, _member, _member.c.id == _act_member.c.member_id)
            .where(_act_member.c.activity_id.in_(ids))
        ):
            ours[activity_id].append(name)
    return [
        ActivityRow(
            r.id,
            ActivityKind(r.kind),
            r.occurred_on,
            r.summary or "",
            r.outcome or "",
            Sentiment(r.sentiment),
            r.follow_up_on,
            sorted(people[r.id]),
            sorted(ours[r.id]),
            r.plan_item_id,
            r.deal,
        )
        for r in rows
    ]


def last_contact(session: Session, account_id: uuid.UUID) -> date | None:
    return (
        session.connection()
        .execute(sa.select(sa.func.max(_act.c.occurred_on)).where(_act.c.account_id == account_id))
        .scalar()
    )


def contacts_last_contact(session: Session, account_id: uuid.UUID) -> dict[uuid.UUID, date]:
    rows = session.connection().execute(
        sa.select(_act_contact.c.contact_id, sa.func.max(_act.c.occurred_on))
        .join_from(_act_contact, _act, _act.c.id == _act_contact.c.activity_id)
        .where(_act.c.account_id == account_id)
        .group_by(_act_contact.c.contact_id)
    )
    return {contact_id: day for contact_id, day in rows}


def open_deals_of(session: Session, account_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    opp = Opportunity.__table__
    rows = session.connection().execute(
        sa.select(opp.c.title, opp.c.id)
        .where(opp.c.account_id == account_id, opp.c.stage.in_([s.value for s in OPEN_STAGES]))
        .order_by(opp.c.amount_minor.desc())
    )
    return [(title, deal_id) for title, deal_id in rows]


def check_member_name(session: Session, name: str) -> uuid.UUID:
    found = member_id_of(session, name)
    if found is None:
        raise InputError(f"{name!r} is not on the team list", "user")
    return found
