"""Accounts in groups: an account may be part of another (a group, a company of a group, a
site of a company), to any depth, never of itself. A group's figures are its members',
summed in SQL by a recursive walk down the tree, never by walking it in Python."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError
from kam.models import Account, AccountClassification, name_key
from kam.models.enums import AccountClass, ValueTier
from kam.services.unit import reads

_acct = Account.__table__
_cls = AccountClassification.__table__
# No real group is deeper; a walk stops here whatever the data holds (two laptops that each
# put one account under the other, offline, make a loop the sync cannot refuse).
DEEPEST = 50


def _up_from(start: uuid.UUID) -> sa.CTE:
    """This account and every live account above it: (id, parent_id, depth), depth 0 first.
    An archived account ends the walk: what hangs under it stands on its own."""
    up = (
        sa.select(_acct.c.id, _acct.c.parent_id, sa.literal(0).label("depth"))
        .where(_acct.c.id == start)
        .cte("up", recursive=True)
    )
    return up.union_all(
        sa.select(_acct.c.id, _acct.c.parent_id, (up.c.depth + 1).label("depth"))
        .join(up, _acct.c.id == up.c.parent_id)
        .where(up.c.depth < DEEPEST, _acct.c.archived_at.is_(None))
    )


def tops() -> sa.CTE:
    """Every live account in a group with the top of its group: (id, top, depth), the top
    itself at depth 0. Accounts in no group are not in it (each is its own top), nor those
    only a loop leads to. The walk starts from the few tops with members, not from every
    account."""
    above = _acct.alias("above")
    below = _acct.alias("below")
    on_top = sa.or_(
        _acct.c.parent_id.is_(None),
        ~sa.exists().where(above.c.id == _acct.c.parent_id, above.c.archived_at.is_(None)),
    )
    with_members = sa.select(below.c.parent_id).where(
        below.c.parent_id.is_not(None), below.c.archived_at.is_(None)
    )
    walk = (
        sa.select(_acct.c.id, _acct.c.id.label("top"), sa.literal(0).label("depth"))
        .where(_acct.c.id.in_(with_members), _acct.c.archived_at.is_(None), on_top)
        .cte("tops", recursive=True)
    )
    member = _acct.alias("member")
    return walk.union_all(
        sa.select(member.c.id, walk.c.top, (walk.c.depth + 1).label("depth"))
        .join(walk, member.c.parent_id == walk.c.id)
        .where(member.c.archived_at.is_(None), walk.c.depth < DEEPEST)
    )


def _down_from(root: uuid.UUID) -> sa.CTE:
    """This account and every account below it, however deep: (id, depth, path), where the
    path sorts the tree as it is drawn (a member right under its parent)."""
    down = (
        sa.select(
            _acct.c.id,
            sa.literal(0).label("depth"),
            sa.cast(_acct.c.name_key, sa.String).label("path"),
        )
        .where(_acct.c.id == root)
        .cte("down", recursive=True)
    )
    return down.union_all(
        sa.select(
            _acct.c.id,
            (down.c.depth + 1).label("depth"),
            (down.c.path + sa.literal("\x1f") + _acct.c.name_key).label("path"),
        )
        .join(down, _acct.c.parent_id == down.c.id)
        .where(_acct.c.archived_at.is_(None), _acct.c.id != root, down.c.depth < DEEPEST)
    )


def members_of(head: uuid.UUID) -> sa.Select:
    """The ids of this account and of every live account under it, at any depth."""
    down = _down_from(head)
    return sa.select(down.c.id)


def tree_under(head: uuid.UUID) -> sa.CTE:
    """`head` (depth 0) and every live account under it: (id, depth, path), where ordering
    by path draws the tree."""
    return _down_from(head)


def member_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many live accounts are under each of these, at any depth (those with none are
    left out): one walk down from all of them together."""
    conn = session.connection()
    heads = list(
        conn.execute(
            sa.select(_acct.c.parent_id)
            .where(_acct.c.parent_id.in_(ids), _acct.c.archived_at.is_(None))
            .distinct()
        ).scalars()
    )
    if not heads:
        return {}
    walk = (
        sa.select(_acct.c.parent_id.label("head"), _acct.c.id, sa.literal(1).label("depth"))
        .where(_acct.c.parent_id.in_(heads), _acct.c.archived_at.is_(None))
        .cte("walk", recursive=True)
    )
    child = _acct.alias("child")
    walk = walk.union_all(
        sa.select(walk.c.head, child.c.id, (walk.c.depth + 1).label("depth"))
        .join(child, child.c.parent_id == walk.c.id)
        .where(child.c.archived_at.is_(None), child.c.id != walk.c.head, walk.c.depth < DEEPEST)
    )
    rows = conn.execute(
        sa.select(walk.c.head, sa.func.count(sa.distinct(walk.c.id))).group_by(walk.c.head)
    )
    return {head: int(n) for head, n in rows}


def top_names(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The top of the group each of these is part of, by name (accounts in no group are
    left out): one walk up from all of them together."""
    walk = (
        sa.select(
            _acct.c.id.label("start"), _acct.c.parent_id.label("at"), sa.literal(0).label("depth")
        )
        .where(_acct.c.id.in_(ids), _acct.c.parent_id.is_not(None))
        .cte("climb", recursive=True)
    )
    above = _acct.alias("above")
    walk = walk.union_all(
        sa.select(walk.c.start, above.c.parent_id, (walk.c.depth + 1).label("depth"))
        .join(above, above.c.id == walk.c.at)
        .where(
            above.c.parent_id.is_not(None),
            above.c.archived_at.is_(None),
            above.c.id != walk.c.start,
            walk.c.depth < DEEPEST,
        )
    )
    deepest = (
        sa.select(walk.c.start, sa.func.max(walk.c.depth).label("depth"))
        .group_by(walk.c.start)
        .subquery("deepest")
    )
    rows = session.connection().execute(
        sa.select(walk.c.start, _acct.c.name)
        .join(deepest, sa.and_(deepest.c.start == walk.c.start, deepest.c.depth == walk.c.depth))
        .join(_acct, _acct.c.id == walk.c.at)
        .where(_acct.c.archived_at.is_(None))
    )
    return {start: name for start, name in rows}


def chain_above(session: Session, account_id: uuid.UUID) -> list[uuid.UUID]:
    """The accounts above this one, nearest first."""
    up = _up_from(account_id)
    rows = session.connection().execute(
        sa.select(up.c.id).where(up.c.depth > 0).order_by(up.c.depth)
    )
    return list(rows.scalars())


def check_parent(session: Session, account_id: uuid.UUID | None, parent_id: uuid.UUID) -> None:
    """Refuses a parent that is the account itself or one of its own members."""
    if account_id is None:
        return  # a new account has no members yet
    if parent_id == account_id:
        raise InputError("an account cannot be part of itself", "parent")
    above = chain_above(session, parent_id)
    if account_id in above:
        rows = session.connection().execute(
            sa.select(_acct.c.id, _acct.c.name).where(_acct.c.id.in_([parent_id, *above]))
        )
        names = {row.id: row.name for row in rows}
        loop = [parent_id, *above[: above.index(account_id) + 1]]
        words = " → ".join(names[i] for i in [account_id, *loop])
        raise InputError(f"that would make a loop: {words}", "parent")


def in_loops(session: Session) -> list[str]:
    """The accounts that are, through their groups, part of themselves (only a sync of two
    offline edits can make that): by name."""
    walk = (
        sa.select(
            _acct.c.id.label("start"), _acct.c.parent_id.label("at"), sa.literal(1).label("depth")
        )
        .where(_acct.c.parent_id.is_not(None))
        .cte("walk", recursive=True)
    )
    walk = walk.union_all(
        sa.select(walk.c.start, _acct.c.parent_id, (walk.c.depth + 1).label("depth"))
        .join(_acct, _acct.c.id == walk.c.at)
        .where(_acct.c.parent_id.is_not(None), walk.c.at != walk.c.start, walk.c.depth < DEEPEST)
    )
    found = sa.select(walk.c.start).where(walk.c.at == walk.c.start).distinct().subquery()
    rows = session.connection().execute(
        sa.select(_acct.c.name).join(found, found.c.start == _acct.c.id).order_by(_acct.c.name_key)
    )
    return list(rows.scalars())


def find_parent(session: Session, text: str) -> tuple[uuid.UUID, str] | None:
    """A live account by its name (case and spaces ignored) or by the id another tool knows
    it by: its id and name."""
    wanted = text.strip()
    if not wanted:
        return None
    live = _acct.c.archived_at.is_(None)
    conn = session.connection()
    row = conn.execute(
        sa.select(_acct.c.id, _acct.c.name).where(live, _acct.c.name_key == name_key(wanted))
    ).first()
    if row is None:
        row = conn.execute(
            sa.select(_acct.c.id, _acct.c.name).where(live, _acct.c.external_ref == wanted)
        ).first()
    return (row.id, row.name) if row is not None else None


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    name: str
    depth: int  # 0: the group at the top
    revenue: int  # its own, in the classification window (minor units)
    total: int  # its own and every member's below it
    account_class: AccountClass | None
    tier: ValueTier | None
    members: int  # accounts right under it


@dataclass(frozen=True)
class Group:
    """The whole group an account belongs to, drawn from the top."""

    members: list[Member]  # in tree order: each right under its parent

    @property
    def top(self) -> Member:
        return self.members[0]


@reads
def group_of(session: Session, account_id: uuid.UUID) -> Group | None:
    """The group this account is part of, or heads (None: it stands alone)."""
    up = _up_from(account_id)
    conn = session.connection()
    top = conn.execute(sa.select(up.c.id).order_by(up.c.depth.desc()).limit(1)).scalar()
    if top is None:
        return None
    down = _down_from(top)
    # Every (member, account at or under it) pair: the subtree sums in one grouped query.
    under = sa.select(
        down.c.id.label("head"), down.c.id.label("member"), sa.literal(0).label("depth")
    ).cte("under", recursive=True)
    child = _acct.alias("child")
    under = under.union_all(
        sa.select(under.c.head, child.c.id, (under.c.depth + 1).label("depth"))
        .join(child, sa.and_(child.c.parent_id == under.c.member, child.c.archived_at.is_(None)))
        .where(child.c.id != under.c.head, under.c.depth < DEEPEST)
    )
    totals = (
        sa.select(
            under.c.head,
            sa.cast(sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0), sa.BigInteger).label(
                "t"
            ),
        )
        .select_from(under.outerjoin(_cls, _cls.c.account_id == under.c.member))
        .group_by(under.c.head)
        .subquery()
    )
    kids = (
        sa.select(child.c.parent_id, sa.func.count().label("n"))
        .where(child.c.archived_at.is_(None), child.c.parent_id.is_not(None))
        .group_by(child.c.parent_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(
            down.c.id,
            _acct.c.name,
            down.c.depth,
            sa.func.coalesce(_cls.c.revenue_minor, 0),
            totals.c.t,
            _cls.c.account_class,
            _cls.c.tier,
            sa.func.coalesce(kids.c.n, 0),
        )
        .join(_acct, _acct.c.id == down.c.id)
        .join(totals, totals.c.head == down.c.id)
        .outerjoin(_cls, _cls.c.account_id == down.c.id)
        .outerjoin(kids, kids.c.parent_id == down.c.id)
        .order_by(down.c.path)
    ).all()
    if len(rows) < 2:
        return None
    return Group([Member(*r) for r in rows])
