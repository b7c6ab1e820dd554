"""Our side: team members and the roles they play on each account's team.

An account whose knowledge sits with one person is a risk: no account lead, or every contact
and activity going through the same team member, makes it "single-threaded".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, KamError
from kam.models import Account, AccountTeamMember, Activity, ActivityMember, Contact, TeamMember
from kam.models.enums import HistorySubject, TeamRole
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.unit import reads, writes

_team = AccountTeamMember.__table__
_member = TeamMember.__table__


@dataclass(frozen=True)
class MemberChoice:
    id: uuid.UUID
    name: str
    title: str | None


@reads
def members(session: Session, *, include: uuid.UUID | None = None) -> list[MemberChoice]:
    """Active team members by name (plus `include`, e.g. an owner who has since left)."""
    select = sa.select(_member.c.id, _member.c.name, _member.c.title).order_by(
        sa.func.lower(_member.c.name)
    )
    condition = _member.c.active.is_(True)
    if include is not None:
        condition = sa.or_(condition, _member.c.id == include)
    return [
        MemberChoice(r.id, r.name, r.title)
        for r in session.connection().execute(select.where(condition))
    ]


@reads
def member_options(session: Session) -> list[tuple[str, str]]:
    """The team as a choice list: (name, id)."""
    return [(m.name, str(m.id)) for m in members(session)]


@writes
def create_member(session: Session, raw: Mapping[str, Any]) -> TeamMember:
    r = FormReader(raw)
    name = r.text("name", limit=120, required="a team member needs a name")
    email = r.email("email")
    title = r.text("title", limit=120)
    if name and "name" not in r.errors:
        same = session.connection().execute(
            sa.select(_member.c.name).where(sa.func.lower(_member.c.name) == name.lower())
        )
        if same.first() is not None:
            r.fail("name", f"{name} is a team member already")
    r.check()
    member = TeamMember(name=name, email=email, title=title)
    session.add(member)
    session.flush()
    return member


# --- an account's team ------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    id: uuid.UUID  # the membership
    version: int
    member_id: uuid.UUID
    member: str
    title: str | None
    role: TeamRole


def account_team(session: Session, account_id: uuid.UUID, *, text: str = "") -> list[TeamRow]:
    select = (
        sa.select(
            _team.c.id,
            _team.c.version,
            _member.c.id.label("member_id"),
            _member.c.name,
            _member.c.title,
            _team.c.role,
        )
        .join_from(_team, _member, _member.c.id == _team.c.member_id)
        .where(_team.c.account_id == account_id)
    )
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        select = select.where(
            sa.or_(sa.func.lower(_member.c.name).like(pattern), _team.c.role.like(pattern))
        )
    rows = [
        TeamRow(r.id, r.version, r.member_id, r.name, r.title, TeamRole(r.role))
        for r in session.connection().execute(select)
    ]
    order = list(TeamRole)
    return sorted(rows, key=lambda t: (order.index(t.role), t.member.lower()))


def _membership_subject(account_id: uuid.UUID, membership: uuid.UUID, name: str):
    return history.Subject(account_id, HistorySubject.team, membership, name)


def _read_membership(session: Session, raw: Mapping[str, Any]) -> tuple[uuid.UUID, TeamRole]:
    r = FormReader(raw)
    member_id = r.reference(
        "member_id", lambda i: session.get(TeamMember, i) is not None, "team member"
    )
    if member_id is None and "member_id" not in r.errors:
        r.fail("member_id", "choose a team member")
    role = r.choice("role", TeamRole, required=True)
    r.check()
    assert member_id is not None and role is not None
    return member_id, role


def _refuse_duplicate(
    session: Session,
    account_id: uuid.UUID,
    member_id: uuid.UUID,
    role: TeamRole,
    exclude: uuid.UUID | None = None,
) -> None:
    select = sa.select(_team.c.id).where(
        _team.c.account_id == account_id,
        _team.c.member_id == member_id,
        _team.c.role == role.value,
    )
    if exclude is not None:
        select = select.where(_team.c.id != exclude)
    if session.connection().execute(select).first() is not None:
        name = session.get(TeamMember, member_id)
        raise InputError(
            f"{name.name if name else 'they'} is {role.value.replace('_', ' ')} here already",
            "role",
        )


@writes
def add_to_team(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], user: str
) -> AccountTeamMember:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    member_id, role = _read_membership(session, raw)
    _refuse_duplicate(session, account_id, member_id, role)
    membership = AccountTeamMember(account_id=account_id, member_id=member_id, role=role)
    session.add(membership)
    session.flush()
    member = session.get(TeamMember, member_id)
    assert member is not None
    subject = _membership_subject(account_id, membership.id, member.name)
    history.record(session, subject, history.CREATED, None, role, user)
    return membership


def open_membership_form(session: Session, membership_id: uuid.UUID) -> Base:
    membership = _get_membership(session, membership_id)
    return Base(membership.version, {"member_id": membership.member_id, "role": membership.role})


def _get_membership(session: Session, membership_id: uuid.UUID) -> AccountTeamMember:
    membership = session.get(AccountTeamMember, membership_id)
    if membership is None:
        raise KamError("that team membership no longer exists")
    return membership


@writes
def update_membership(
    session: Session, membership_id: uuid.UUID, base: Base, raw: Mapping[str, Any], user: str
) -> AccountTeamMember:
    """Change who plays a role or which role they play."""
    membership = _get_membership(session, membership_id)
    member_id, role = _read_membership(session, raw)
    current = Base(membership.version, {"member_id": membership.member_id, "role": membership.role})
    changes = merge(base, current, {"member_id": member_id, "role": role})
    if not changes:
        return membership
    _refuse_duplicate(
        session,
        membership.account_id,
        changes.get("member_id", membership.member_id),
        changes.get("role", membership.role),
        exclude=membership.id,
    )
    before = {
        "member": _member_name(session, membership.member_id),
        "role": membership.role,
    }
    for field, value in changes.items():
        setattr(membership, field, value)
    after = {"member": _member_name(session, membership.member_id), "role": membership.role}
    subject = _membership_subject(membership.account_id, membership.id, after["member"])
    history.record_changes(session, subject, before, after, user)
    session.flush()
    return membership


def _member_name(session: Session, member_id: uuid.UUID) -> str:
    member = session.get(TeamMember, member_id)
    return member.name if member else "someone removed"


@writes
def remove_from_team(session: Session, membership_id: uuid.UUID, user: str) -> None:
    membership = _get_membership(session, membership_id)
    name = _member_name(session, membership.member_id)
    subject = _membership_subject(membership.account_id, membership.id, name)
    history.record(session, subject, history.REMOVED, membership.role, None, user)
    session.delete(membership)
    session.flush()


# --- single-threaded accounts ---------------------------------------------------------------


@dataclass(frozen=True)
class Threading:
    single_threaded: bool
    reason: str  # in words, empty when not single-threaded
    carriers: tuple[str, ...] = ()  # our people on the account, when more than one


def threading(session: Session, account_id: uuid.UUID) -> Threading:
    return _judge(account_id, _threading_facts(session, [account_id]))


def single_threaded_ids(session: Session, account_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these accounts (one page of a list) are single-threaded."""
    if not account_ids:
        return set()
    facts = _threading_facts(session, account_ids)
    return {a for a in account_ids if _judge(a, facts).single_threaded}


def threading_of_all(
    session: Session,
    key: Callable[[Any], Any] = lambda c: c,
    account_ids: Collection[uuid.UUID] | None = None,
) -> Callable[[Any], Threading]:
    """Threading for any account (of `account_ids`, or of the whole portfolio), from facts read
    once; `key` reads the account ids (and the returned function takes them in that form)."""
    facts = _threading_facts(session, account_ids, key)
    return lambda account_id: _judge(account_id, facts)


def _judge(account_id: Any, facts: _ThreadingFacts) -> Threading:
    if account_id not in facts.leads:
        return Threading(True, "no account lead on our side")
    people = facts.through.get(account_id, [])
    if len(set(people)) == 1:
        return Threading(True, f"every contact and activity goes through {people[0]}")
    carriers = set(facts.team.get(account_id, ())) | set(people)
    if len(carriers) <= 1:
        alone = next(iter(carriers), "one person")
        return Threading(True, f"{alone} alone carries this account on our side")
    return Threading(False, "", tuple(sorted(carriers, key=str.lower)))


@dataclass(frozen=True)
class _ThreadingFacts:
    leads: set[Any]  # accounts with an account lead: one named on the team, else the owner
    team: dict[Any, list[str]]  # account -> our people on it: its team and its owner
    through: dict[Any, list[str]]  # account -> who its contacts and activities go through


def _threading_facts(
    session: Session,
    account_ids: Collection[uuid.UUID] | None,
    key: Callable[[Any], Any] = lambda c: c,
) -> _ThreadingFacts:
    """What single-threading is judged on, in a few indexed queries whatever the number of
    accounts; None: every account. The owner is the account lead unless someone else is
    named one, so a new account with an owner has its lead."""
    conn = session.connection()
    ids = None if account_ids is None else list(account_ids)
    account = Account.__table__

    def among(column: sa.ColumnElement) -> sa.ColumnElement:
        return sa.true() if ids is None else column.in_(ids)

    leads = set(
        conn.execute(
            sa.union(
                sa.select(key(_team.c.account_id)).where(
                    among(_team.c.account_id), _team.c.role == TeamRole.account_lead.value
                ),
                sa.select(key(account.c.id)).where(
                    among(account.c.id), account.c.owner_id.is_not(None)
                ),
            )
        ).scalars()
    )
    on_team = sa.union(
        sa.select(_team.c.account_id, _team.c.member_id).where(among(_team.c.account_id)),
        sa.select(account.c.id, account.c.owner_id).where(
            among(account.c.id), account.c.owner_id.is_not(None)
        ),
    ).subquery()
    contact = Contact.__table__
    activity = Activity.__table__
    attended = ActivityMember.__table__
    holders = sa.union(
        sa.select(contact.c.account_id, contact.c.owner_id.label("member_id")).where(
            among(contact.c.account_id),
            contact.c.owner_id.is_not(None),
            contact.c.left_on.is_(None),
        ),
        sa.select(activity.c.account_id, attended.c.member_id)
        .join_from(activity, attended, attended.c.activity_id == activity.c.id)
        .where(among(activity.c.account_id)),
    ).subquery()

    def names(members: sa.Subquery) -> dict[Any, list[str]]:
        found: dict[Any, list[str]] = {}
        account_column, member_column = members.c
        for account_id, name in conn.execute(
            sa.select(key(account_column), _member.c.name).join_from(
                members, _member, _member.c.id == member_column
            )
        ):
            found.setdefault(account_id, []).append(name)
        return found

    return _ThreadingFacts(leads, names(on_team), names(holders))


@reads
def membership_form(session: Session, membership_id: uuid.UUID) -> tuple[Base, list[MemberChoice]]:
    base = open_membership_form(session, membership_id)
    return base, members(session, include=base.values["member_id"])
