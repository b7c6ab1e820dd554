"""The agenda: plan items by when they are due (overdue, today, this week, next week, later),
for one person or the team, a page at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import (
    Account,
    Activity,
    Contact,
    PlanItem,
    TeamMember,
)
from kam.models.enums import (
    ActivityKind,
)
from kam.services.accounts.listing import archived_ids, name_contains
from kam.services.contact_plan import cadence
from kam.services.unit import reads

_plan = PlanItem.__table__
_act = Activity.__table__
_acct = Account.__table__
_contact = Contact.__table__
_member = TeamMember.__table__


# --- the agenda -------------------------------------------------------------------------------

SECTIONS = ("overdue", "today", "this week", "next week", "later")


def week_end(day: date) -> date:
    """The Sunday ending the week of `day` (weeks start on Monday)."""
    return day + timedelta(days=6 - day.weekday())


def section_of(due: date, as_of: date) -> str:
    if due < as_of:
        return "overdue"
    if due == as_of:
        return "today"
    if due <= week_end(as_of):
        return "this week"
    if due <= week_end(as_of) + timedelta(days=7):
        return "next week"
    return "later"


@dataclass(frozen=True)
class AgendaQuery:
    until: date  # due on or before this day (overdue included)
    owner_id: uuid.UUID | None = None  # None: the whole team
    text: str = ""


@dataclass(frozen=True)
class AgendaRow:
    id: uuid.UUID
    account_id: uuid.UUID
    account: str
    kind: ActivityKind
    rule: str
    next_due: date
    contact: str | None
    contact_id: uuid.UUID | None
    owner: str | None
    note: str
    last_contact: date | None
    starts_on: date
    updated_at: datetime | None = None  # when it last changed: a calendar's LAST-MODIFIED
    version: int = 1  # how many times it has been written (a calendar's SEQUENCE)

    @property
    def cadence(self) -> str:
        return cadence.describe(self.rule)


def _agenda_where(conn: sa.Connection, select: sa.Select, q: AgendaQuery) -> sa.Select:
    select = select.where(
        _plan.c.active.is_(True),
        _plan.c.next_due <= q.until,
        _plan.c.account_id.not_in(archived_ids()),
    )
    if q.owner_id is not None:
        select = select.where(_plan.c.owner_id == q.owner_id)
    if q.text.strip():
        named = sa.select(_acct.c.id).where(name_contains(conn, q.text))
        select = select.where(_plan.c.account_id.in_(named))
    return select


@reads
def count_agenda(session: Session, q: AgendaQuery) -> int:
    conn = session.connection()
    select = _agenda_where(conn, sa.select(sa.func.count()).select_from(_plan), q)
    return int(conn.execute(select).scalar_one())


@reads
def agenda_sections(session: Session, q: AgendaQuery, as_of: date) -> dict[str, int]:
    """How many items fall in each section, in one statement."""
    end = week_end(as_of)
    section = sa.case(
        (_plan.c.next_due < as_of, "overdue"),
        (_plan.c.next_due == as_of, "today"),
        (_plan.c.next_due <= end, "this week"),
        (_plan.c.next_due <= end + timedelta(days=7), "next week"),
        else_="later",
    )
    select = _agenda_where(
        session.connection(), sa.select(section, sa.func.count()).select_from(_plan), q
    )
    counts = dict.fromkeys(SECTIONS, 0)
    for name, n in session.connection().execute(select.group_by(section)):
        counts[name] = int(n)
    return counts


@reads
def list_agenda(session: Session, q: AgendaQuery, offset: int, limit: int) -> list[AgendaRow]:
    """Oldest due first; the day's items by account."""
    last = (
        sa.select(sa.func.max(_act.c.occurred_on))
        .where(_act.c.account_id == _plan.c.account_id)
        .scalar_subquery()
    )
    select = sa.select(
        _plan.c.id,
        _plan.c.account_id,
        _acct.c.name.label("account"),
        _plan.c.kind,
        _plan.c.rule,
        _plan.c.next_due,
        _contact.c.name.label("contact"),
        _plan.c.contact_id,
        _member.c.name.label("owner"),
        _plan.c.note,
        last.label("last_contact"),
        _plan.c.starts_on,
        _plan.c.updated_at,
        _plan.c.version,
    ).select_from(
        _plan.join(_acct, _acct.c.id == _plan.c.account_id)
        .outerjoin(_contact, _contact.c.id == _plan.c.contact_id)
        .outerjoin(_member, _member.c.id == _plan.c.owner_id)
    )
    select = (
        _agenda_where(session.connection(), select, q)
        .order_by(_plan.c.next_due, _acct.c.name_key, _plan.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        AgendaRow(
            r.id,
            r.account_id,
            r.account,
            ActivityKind(r.kind),
            r.rule,
            r.next_due,
            r.contact,
            r.contact_id,
            r.owner,
            r.note or "",
            r.last_contact,
            r.starts_on,
            r.updated_at,
            r.version,
        )
        for r in session.connection().execute(select)
    ]


def upcoming_items(session: Session, owner_id: uuid.UUID | None) -> list[AgendaRow]:
    """Every active item (for a calendar), by due date."""
    everything = AgendaQuery(until=date(9999, 12, 31), owner_id=owner_id)
    return list_agenda(session, everything, 0, count_agenda(session, everything))
