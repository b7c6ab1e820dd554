"""The review queue: the key accounts that need a look this week, ranked. Red health first,
then a tier that moved, plan items overdue, deals that moved or went stale, and accounts
nobody reviewed for longer than the team's setting."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, overload

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import (
    Account,
    AccountClassification,
    AccountHealth,
    Opportunity,
    OpportunityStageChange,
    PlanItem,
    Review,
    TeamMember,
    TierChange,
)
from kam.models.enums import (
    AccountClass,
    ClassificationField,
    HealthBand,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.accounts.listing import archived_ids
from kam.services.accounts.regions import Scope
from kam.services.pipeline.stages import PipelineSettings
from kam.services.review.weeks import MOVED_DAYS, TIER_DAYS, ReviewSettings, iso_week
from kam.services.sql.planner import by_account
from kam.services.unit import reads

_acct = Account.__table__
_cls = AccountClassification.__table__
_health = AccountHealth.__table__
_member = TeamMember.__table__
_review = Review.__table__
_tier = TierChange.__table__
_plan = PlanItem.__table__
_stage = OpportunityStageChange.__table__
_deal = Opportunity.__table__


# --- the queue ------------------------------------------------------------------------------

# Why an account is in the queue, most urgent first.
RED, TIER, OVERDUE, DEALS, UNREVIEWED, DONE = range(6)


@dataclass(frozen=True)
class QueueFilter:
    owner_id: uuid.UUID | None = None
    account_class: AccountClass | None = None
    tier: ValueTier | None = None
    region: Scope | None = None  # a region's (with its territories') key accounts only


@dataclass(frozen=True)
class QueueRow:
    account_id: uuid.UUID
    name: str
    account_class: AccountClass
    tier: ValueTier
    strategic: bool
    owner: str | None
    revenue_minor: int
    priority: int
    reasons: tuple[str, ...]
    reviewed: bool  # marked reviewed this week
    band: HealthBand | None


def _key_filter(f: QueueFilter) -> list[sa.ColumnElement[bool]]:
    """Key accounts (not archived: a partial index holds the few that are) and the filter's
    class and tier, on the classification."""
    where = [
        sa.or_(
            _cls.c.account_class.in_([c.value for c in AccountClass if c != AccountClass.general]),
            _cls.c.strategic.is_(True),
        ),
        _cls.c.account_id.not_in(archived_ids()),
    ]
    if f.account_class is not None:
        where.append(_cls.c.account_class == f.account_class.value)
    if f.tier is not None:
        where.append(_cls.c.tier == f.tier.value)
    if f.region is not None:
        where.append(_cls.c.account_id.in_(f.region.accounts()))
    return where


def _key_accounts(f: QueueFilter) -> sa.Select:
    # Written so the database walks the classification and looks accounts up by key.
    select = (
        sa.select(
            _acct.c.id,
            _acct.c.name,
            _cls.c.account_class,
            _cls.c.tier,
            _cls.c.strategic,
            _member.c.name.label("owner"),
            _cls.c.revenue_minor,
            _health.c.band,
            _health.c.score,
        )
        .select_from(
            _cls.join(_acct, _acct.c.id == _cls.c.account_id)
            .outerjoin(_member, _member.c.id == _acct.c.owner_id)
            .outerjoin(_health, _health.c.account_id == _acct.c.id)
        )
        .where(*_key_filter(f))
    )
    if f.owner_id is not None:
        select = select.where(_acct.c.owner_id == f.owner_id)
    return select


# What each reason means, written once: the ranking (for every key account) and the words
# (for a page of them) both read these.


def _tier_moved(as_of: date) -> list[sa.ColumnElement[bool]]:
    return [
        _tier.c.field == ClassificationField.tier.value,
        _tier.c.changed_at >= _midnight(as_of - timedelta(days=TIER_DAYS)),
    ]


def _overdue(as_of: date) -> list[sa.ColumnElement[bool]]:
    return [_plan.c.active.is_(True), _plan.c.next_due < as_of]


def _deal_moved(as_of: date) -> list[sa.ColumnElement[bool]]:
    """For stage changes joined to their deal."""
    return [
        _stage.c.from_stage.is_not(None),
        _stage.c.changed_at >= _midnight(as_of - timedelta(days=MOVED_DAYS)),
    ]


def _reviewed_in(week: str) -> list[sa.ColumnElement[bool]]:
    return [_review.c.week == week, _review.c.reviewed_on.is_not(None)]


def _ranked(session: Session, as_of: date, f: QueueFilter) -> sa.Subquery:
    """The key accounts with the priority of their most urgent reason (NULL: no reason and
    not reviewed this week), computed by the database for all of them at once. Each reason is
    a set the database builds once (`IN (SELECT ...)`), not a subquery per account."""
    from kam.services.pipeline.filters import stale_condition

    week, weeks = iso_week(as_of), settings_service.load(session, ReviewSettings).unreviewed_weeks
    account = _cls.c.account_id
    tier_moved = sa.select(_tier.c.account_id).where(*_tier_moved(as_of))
    overdue = sa.select(_plan.c.account_id).where(*_overdue(as_of))
    moved = (
        sa.select(_deal.c.account_id)
        .join(_stage, _stage.c.opportunity_id == _deal.c.id)
        .where(*_deal_moved(as_of))
    )
    stale = sa.select(_deal.c.account_id).where(
        stale_condition(settings_service.load(session, PipelineSettings), as_of)
    )
    done_now = sa.select(_review.c.account_id).where(*_reviewed_in(week))
    seen_lately = sa.select(_review.c.account_id).where(
        _review.c.reviewed_on >= as_of - timedelta(weeks=weeks)
    )
    priority = sa.case(
        (_health.c.band == HealthBand.red.value, RED),
        (account.in_(tier_moved), TIER),
        (account.in_(overdue), OVERDUE),
        (sa.or_(account.in_(moved), account.in_(stale)), DEALS),
        (sa.and_(account.not_in(done_now), account.not_in(seen_lately)), UNREVIEWED),
        (account.in_(done_now), DONE),
        else_=None,
    )
    # The classification alone: its position is the queue's tie order (revenue down, then
    # name), so no account row is read for the 24k key accounts of a 100k portfolio.
    select = (
        sa.select(
            account.label("id"),
            _cls.c.position,
            priority.label("priority"),
            account.in_(done_now).label("done"),
        )
        .select_from(_cls.outerjoin(_health, _health.c.account_id == account))
        .where(*_key_filter(f))
    )
    if f.owner_id is not None:
        select = select.where(
            account.in_(sa.select(_acct.c.id).where(_acct.c.owner_id == f.owner_id))
        )
    return select.subquery()


class AccountIds(Sequence[uuid.UUID]):
    """Account ids as the database gave them, made UUIDs only when read: the screen reads a
    page of the 24k key accounts of a 100k portfolio, and converting all of them up front
    took longer than ranking them."""

    def __init__(self, raw: list[Any]) -> None:
        self._raw = raw

    @staticmethod
    def _id(value: Any) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, index: int) -> uuid.UUID: ...
    @overload
    def __getitem__(self, index: slice) -> list[uuid.UUID]: ...
    def __getitem__(self, index: int | slice) -> uuid.UUID | list[uuid.UUID]:
        if isinstance(index, slice):
            return [self._id(v) for v in self._raw[index]]
        return self._id(self._raw[index])


@dataclass(frozen=True)
class QueueOrder:
    """The queue's accounts, most urgent first, and how many of them were reviewed this
    week: what the screen needs before it reads a page."""

    ids: Sequence[uuid.UUID]
    done: int


@reads
def queue_order(session: Session, as_of: date, f: QueueFilter = QueueFilter()) -> QueueOrder:
    ranked = _ranked(session, as_of, f)
    # Filtered and sorted here: in SQL the reasons would be worked out once for the filter,
    # once for the order and once for the output (flattened subquery), tripling the time.
    result = session.connection().execute(
        sa.select(
            ranked.c.priority,
            ranked.c.position,  # unique: the tuples below never compare further
            sa.type_coerce(ranked.c.id, sa.String),  # as stored: see AccountIds
            ranked.c.done,
        )
    )
    rows = sorted(tuple(r) for r in result if r[0] is not None)
    return QueueOrder(AccountIds([r[2] for r in rows]), sum(1 for r in rows if r[3]))


@reads
def queue_rows(
    session: Session, as_of: date, f: QueueFilter, ids: Sequence[uuid.UUID]
) -> list[QueueRow]:
    """The rows of these accounts (a page of the queue), with their reasons in words."""
    found = {r.account_id: r for r in _with_reasons(session, as_of, f, ids)}
    return [found[i] for i in ids if i in found]


def review_queue(session: Session, as_of: date, f: QueueFilter = QueueFilter()) -> list[QueueRow]:
    """The whole queue (reports, tests); the screen reads it a page at a time."""
    return queue_rows(session, as_of, f, list(queue_order(session, as_of, f).ids))


def _chunks(ids: Sequence[uuid.UUID], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _with_reasons(
    session: Session, as_of: date, f: QueueFilter, ids: Sequence[uuid.UUID]
) -> list[QueueRow]:
    from kam.services.pipeline.filters import stale_condition

    conn = session.connection()
    week = iso_week(as_of)
    accounts = [
        a
        for chunk in _chunks(ids)
        for a in conn.execute(_key_accounts(f).where(_acct.c.id.in_(chunk)))
    ]
    reasons: dict[uuid.UUID, list[tuple[int, str]]] = {a.id: [] for a in accounts}
    for a in accounts:
        if a.band == HealthBand.red:
            reasons[a.id].append((RED, f"red health ({a.score})"))
    settings = settings_service.load(session, PipelineSettings)
    last: dict[uuid.UUID, date] = {}
    done_now: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        latest_move = (
            sa.select(
                _tier.c.account_id, _tier.c.from_value, _tier.c.to_value,
                sa.func.row_number()
                .over(partition_by=_tier.c.account_id, order_by=_tier.c.changed_at.desc())
                .label("n"),
            )
            .where(*_tier_moved(as_of), _tier.c.account_id.in_(chunk))
            .subquery()
        )  # fmt: skip
        for account_id, old, new in conn.execute(
            sa.select(
                latest_move.c.account_id, latest_move.c.from_value, latest_move.c.to_value
            ).where(latest_move.c.n == 1)
        ):
            reasons[account_id].append((TIER, f"tier {old or 'new'} → {new}"))
        for account_id, n in conn.execute(
            sa.select(_plan.c.account_id, sa.func.count())
            .where(by_account(*_overdue(as_of)), _plan.c.account_id.in_(chunk))
            .group_by(_plan.c.account_id)
        ):
            reasons[account_id].append((OVERDUE, f"{n} plan item{'s' if n > 1 else ''} overdue"))
        for account_id, n in conn.execute(
            sa.select(_deal.c.account_id, sa.func.count(sa.distinct(_deal.c.id)))
            .join(_stage, _stage.c.opportunity_id == _deal.c.id)
            .where(*_deal_moved(as_of), _deal.c.account_id.in_(chunk))
            .group_by(_deal.c.account_id)
        ):
            reasons[account_id].append((DEALS, f"{n} deal{'s' if n > 1 else ''} moved"))
        for account_id, n in conn.execute(
            sa.select(_deal.c.account_id, sa.func.count())
            .where(by_account(stale_condition(settings, as_of)), _deal.c.account_id.in_(chunk))
            .group_by(_deal.c.account_id)
        ):
            reasons[account_id].append((DEALS, f"{n} stale deal{'s' if n > 1 else ''}"))
        last.update(
            conn.execute(
                sa.select(_review.c.account_id, sa.func.max(_review.c.reviewed_on))
                .where(_review.c.account_id.in_(chunk))
                .group_by(_review.c.account_id)
            ).all()
        )
        done_now.update(
            conn.execute(
                sa.select(_review.c.account_id).where(
                    *_reviewed_in(week), _review.c.account_id.in_(chunk)
                )
            ).scalars()
        )
    cutoff = as_of - timedelta(
        weeks=settings_service.load(session, ReviewSettings).unreviewed_weeks
    )
    for account_id in reasons:
        seen = last.get(account_id)
        if account_id in done_now:
            continue
        if seen is None:
            reasons[account_id].append((UNREVIEWED, "never reviewed"))
        elif seen < cutoff:
            reasons[account_id].append(
                (UNREVIEWED, f"not reviewed for {(as_of - seen).days // 7} weeks")
            )
    rows = []
    for a in accounts:
        found = sorted(reasons[a.id])
        rows.append(
            QueueRow(
                a.id,
                a.name,
                AccountClass(a.account_class),
                ValueTier(a.tier),
                bool(a.strategic),
                a.owner,
                int(a.revenue_minor or 0),
                found[0][0] if found else DONE,
                tuple(text for _, text in found),
                a.id in done_now,
                HealthBand(a.band) if a.band else None,
            )
        )
    return rows


def _midnight(day: date):
    from kam.services.pipeline.filters import local_midnight_utc

    return local_midnight_utc(day)
