"""Regions and the territories under them: where an account is managed from, and who
answers for it there.

An account names one region or one territory. A territory is part of one region (one level),
so "the accounts of East China" are those of East China itself and of its territories, and
figures "by region" count a territory's accounts under its region.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError
from kam.models import Account, AccountClassification, Region, TeamMember, name_key
from kam.services.unit import reads, writes

_region = Region.__table__
_acct = Account.__table__
_cls = AccountClassification.__table__
_member = TeamMember.__table__
NO_REGION = "no region"


@dataclass(frozen=True)
class Scope:
    """A region as a filter: its name and the ids of it and its territories."""

    name: str
    ids: tuple[uuid.UUID, ...]

    def accounts(self) -> sa.Select:
        """The ids of the accounts in the region (a set the database builds once)."""
        return sa.select(_acct.c.id).where(_acct.c.region_id.in_(self.ids))


@dataclass(frozen=True)
class RegionRow:
    id: uuid.UUID
    name: str
    region: str | None  # the region a territory is part of; None for a region
    owner: str | None
    accounts: int  # live accounts in it (a region's: with its territories')
    key_accounts: int
    revenue_minor: int  # in the classification window


def find(session: Session, text: str) -> Region | None:
    """A region or territory by its name, case and spaces ignored."""
    key = name_key(text)
    if not key:
        return None
    return session.scalars(sa.select(Region).where(Region.name_key == key)).first()


def _names(session: Session) -> list[str]:
    return list(
        session.connection()
        .execute(sa.select(_region.c.name).order_by(_region.c.name_key))
        .scalars()
    )


def _unknown(session: Session, text: str) -> InputError:
    names = _names(session)
    known = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return InputError(
        f"no region or territory is called {text!r}" + (f" (there are: {known})" if names else ""),
        "region",
    )


@reads
def scope(session: Session, text: str) -> Scope:
    """The region (with its territories) or the territory a name gives; refused, naming the
    regions there are, when there is none."""
    found = find(session, text)
    if found is None:
        raise _unknown(session, text)
    ids = [found.id]
    if found.parent_id is None:
        ids += (
            session.connection()
            .execute(sa.select(_region.c.id).where(_region.c.parent_id == found.id))
            .scalars()
        )
    return Scope(found.name, tuple(ids))


def top_regions() -> sa.Subquery:
    """Every region and territory with the region it counts under (itself for a region):
    `id`, `top_id`, `top_name`, `top_key`."""
    up = _region.alias("up")
    return (
        sa.select(
            _region.c.id,
            sa.func.coalesce(up.c.id, _region.c.id).label("top_id"),
            sa.func.coalesce(up.c.name, _region.c.name).label("top_name"),
            sa.func.coalesce(up.c.name_key, _region.c.name_key).label("top_key"),
        )
        .select_from(_region.outerjoin(up, up.c.id == _region.c.parent_id))
        .subquery("tops")
    )


def region_name_of(account_region_id: sa.ColumnElement) -> sa.ScalarSelect:
    """The name of an account's own region or territory, as a column."""
    return sa.select(_region.c.name).where(_region.c.id == account_region_id).scalar_subquery()


def region_of_account(account_id: sa.ColumnElement) -> sa.ScalarSelect:
    """The region an account counts under (a territory's region), by id, as a column."""
    return (
        sa.select(sa.func.coalesce(_region.c.parent_id, _region.c.id))
        .select_from(_acct.join(_region, _region.c.id == _acct.c.region_id))
        .where(_acct.c.id == account_id)
        .scalar_subquery()
    )


def ensure(session: Session, text: str | None, *, in_region: str | None = None) -> uuid.UUID | None:
    """The region called `text`, made (as a region, or as a territory of `in_region`) when
    there is none yet. Blank: no region."""
    name = " ".join((text or "").split())
    if not name:
        return None
    found = find(session, name)
    if found is not None:
        return found.id
    parent = None
    if in_region:
        above = find(session, in_region)
        if above is None:
            raise _unknown(session, in_region)
        if above.parent_id is not None:
            raise InputError(f"{above.name} is a territory: a territory has no territories", "in")
        parent = above.id
    if len(name) > 120:
        raise InputError("a region's name is at most 120 characters", "region")
    region = Region(name=name, name_key=name_key(name), parent_id=parent)
    session.add(region)
    session.flush()
    return region.id


@writes
def add_region(
    session: Session, name: str, *, in_region: str | None = None, owner: str | None = None
) -> Region:
    """A new region, or a territory of `in_region`, with its owner (a team member by name)."""
    if not " ".join(name.split()):
        raise InputError("a region needs a name", "name")
    if find(session, name) is not None:
        raise InputError(f"a region or territory is called {name.strip()!r} already", "name")
    ident = ensure(session, name, in_region=in_region)
    region = session.get(Region, ident)
    assert region is not None
    if owner is not None:
        region.owner_id = _member_id(session, owner)
    return region


def _member_id(session: Session, text: str) -> uuid.UUID | None:
    wanted = text.strip()
    if not wanted:
        return None
    row = (
        session.connection()
        .execute(
            sa.select(_member.c.id).where(
                sa.or_(
                    sa.func.lower(_member.c.name) == wanted.lower(),
                    sa.func.lower(_member.c.email) == wanted.lower(),
                )
            )
        )
        .first()
    )
    if row is None:
        raise InputError(f"no team member is called {wanted!r}", "owner")
    return row.id


@writes
def update_region(
    session: Session,
    name: str,
    *,
    owner: str | None = None,
    rename: str | None = None,
    in_region: str | None = None,
) -> Region:
    """Give a region an owner (blank: nobody), a new name, or (a territory) another region."""
    region = find(session, name)
    if region is None:
        raise _unknown(session, name)
    if owner is not None:
        region.owner_id = _member_id(session, owner)
    if rename is not None:
        cleaned = " ".join(rename.split())
        if not cleaned:
            raise InputError("a region needs a name", "name")
        clash = find(session, cleaned)
        if clash is not None and clash.id != region.id:
            raise InputError(f"a region or territory is called {clash.name!r} already", "name")
        region.name, region.name_key = cleaned[:120], name_key(cleaned)[:120]
    if in_region is not None:
        if not in_region.strip():
            region.parent_id = None
        else:
            above = find(session, in_region)
            if above is None:
                raise _unknown(session, in_region)
            has_territories = (
                session.connection()
                .execute(sa.select(sa.func.count()).where(_region.c.parent_id == region.id))
                .scalar()
            )
            if above.id == region.id or above.parent_id is not None or has_territories:
                raise InputError("a territory is part of a region, and has no territories", "in")
            region.parent_id = above.id
    session.flush()
    return region


@reads
def regions(session: Session) -> list[RegionRow]:
    """Every region, each followed by its territories, with its owner and its accounts."""
    tops = top_regions()
    live = _acct.c.archived_at.is_(None)
    key = sa.or_(_cls.c.account_class != "general", _cls.c.strategic.is_(True))
    own = (
        sa.select(
            _acct.c.region_id.label("id"),
            sa.func.count().label("accounts"),
            sa.func.count(_cls.c.account_id).filter(key).label("key_accounts"),
            sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0).label("revenue"),
        )
        .select_from(_acct.outerjoin(_cls, _cls.c.account_id == _acct.c.id))
        .where(live, _acct.c.region_id.is_not(None))
        .group_by(_acct.c.region_id)
        .subquery()
    )
    up = _region.alias("up")
    rows = (
        session.connection()
        .execute(
            sa.select(
                _region.c.id,
                _region.c.name,
                up.c.name.label("region"),
                _member.c.name.label("owner"),
                tops.c.top_key,
                sa.func.coalesce(own.c.accounts, 0).label("accounts"),
                sa.func.coalesce(own.c.key_accounts, 0).label("key_accounts"),
                sa.func.coalesce(own.c.revenue, 0).label("revenue"),
            )
            .select_from(
                _region.join(tops, tops.c.id == _region.c.id)
                .outerjoin(up, up.c.id == _region.c.parent_id)
                .outerjoin(_member, _member.c.id == _region.c.owner_id)
                .outerjoin(own, own.c.id == _region.c.id)
            )
            .order_by(tops.c.top_key, _region.c.parent_id.is_not(None), _region.c.name_key)
        )
        .all()
    )
    # A region's figures include its territories'.
    totals: dict[str, list[int]] = {}
    for r in rows:
        t = totals.setdefault(r.top_key, [0, 0, 0])
        t[0] += r.accounts
        t[1] += r.key_accounts
        t[2] += int(r.revenue)
    out = []
    for r in rows:
        figures = totals[r.top_key] if r.region is None else [r.accounts, r.key_accounts, r.revenue]
        out.append(RegionRow(r.id, r.name, r.region, r.owner, *(int(v) for v in figures)))
    return out


@reads
def complete_name(session: Session, prefix: str) -> str | None:
    """The first region or territory whose name starts with what is typed."""
    key = name_key(prefix)
    if not key:
        return None
    for name in _names(session):
        if name_key(name).startswith(key):
            return name
    return None


@reads
def region_names(session: Session) -> list[str]:
    return _names(session)


@reads
def owned_by(session: Session, member_name: str) -> list[str]:
    """The regions a person answers for, by name."""
    return list(
        session.connection()
        .execute(
            sa.select(_region.c.name)
            .join(_member, _member.c.id == _region.c.owner_id)
            .where(sa.func.lower(_member.c.name) == member_name.strip().lower())
            .order_by(_region.c.name_key)
        )
        .scalars()
    )


def names_of(session: Session, ids: Sequence[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(
        session.connection()
        .execute(sa.select(_region.c.id, _region.c.name).where(_region.c.id.in_(wanted)))
        .all()
    )


@reads
def account_ids(session: Session, region: Scope) -> list[uuid.UUID]:
    """The ids of a region's accounts, live and archived."""
    return list(session.connection().execute(region.accounts()).scalars())


def require(session: Session, text: str | None) -> Scope | None:
    """A scope for `--region NAME` (None: the whole portfolio)."""
    return None if text is None else scope(session, text)
