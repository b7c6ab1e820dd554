"""The weekly account review: which accounts need attention, each one's card, and what the
meeting decides.

The queue ranks the key accounts that need a look this week: red health first, then a tier
that moved, plan items overdue, deals that moved or went stale, and accounts nobody reviewed
for longer than the team's setting. Every figure on a card comes from the same services the
detailed screens use, so the two always agree.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, overload

import sqlalchemy as sa
from sqlmodel import Session, select

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    AccountClassification,
    AccountHealth,
    AccountPlan,
    ActionItem,
    Opportunity,
    OpportunityStageChange,
    PlanItem,
    PlanObjective,
    Review,
    ReviewDecision,
    TeamMember,
    TierChange,
)
from kam.models.enums import (
    AccountClass,
    ActionStatus,
    ActivityKind,
    ClassificationField,
    HealthBand,
    ObjectiveStatus,
    RelationshipStage,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.accounts.listing import archived_ids
from kam.services.sql.planner import by_account
from kam.services.unit import reads, writes
from kam.services.values.parsing import parse_date

REVIEW_KEY = "review"
DEFAULT_UNREVIEWED_WEEKS = 4
DEFAULT_ACTION_DUE_DAYS = 7
MOVED_DAYS = 7  # a deal that changed stage within this many days "moved"
TIER_DAYS = 28  # a tier move within this many days is on the agenda

_acct = Account.__table__
_cls = AccountClassification.__table__
_health = AccountHealth.__table__
_member = TeamMember.__table__
_review = Review.__table__
_action = ActionItem.__table__
_tier = TierChange.__table__
_plan = PlanItem.__table__
_stage = OpportunityStageChange.__table__
_deal = Opportunity.__table__


# --- weeks ----------------------------------------------------------------------------------

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week such as 2026-W47; InputError for anything else."""
    m = _WEEK.match((week or "").strip())
    if not m:
        raise InputError(f"week: {week!r} is not a week like 2026-W47", "week")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"week: {week!r} has no such week", "week") from None


def check_week(week: str) -> str:
    monday = week_start(week)
    return iso_week(monday)


@dataclass(frozen=True)
class ReviewSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = REVIEW_KEY

    unreviewed_weeks: int = DEFAULT_UNREVIEWED_WEEKS  # a key account is due after this long
    action_due_days: int = DEFAULT_ACTION_DUE_DAYS  # an action's due date when none is typed

    def check(self) -> None:
        if not 1 <= self.unreviewed_weeks <= 52:
            raise InputError("review every 1 to 52 weeks", "unreviewed_weeks")
        if not 1 <= self.action_due_days <= 366:
            raise InputError("an action is due 1 to 366 days after the review", "action_due_days")


def unreviewed_weeks(session: Session) -> int:
    return settings_service.load(session, ReviewSettings).unreviewed_weeks


@reads
def default_action_due(session: Session, today: date) -> date:
    due_days = settings_service.load(session, ReviewSettings).action_due_days
    return today + timedelta(days=due_days)


# --- the queue ------------------------------------------------------------------------------

# Why an account is in the queue, most urgent first.
RED, TIER, OVERDUE, DEALS, UNREVIEWED, DONE = range(6)


@dataclass(frozen=True)
class QueueFilter:
    owner_id: uuid.UUID | None = None
    account_class: AccountClass | None = None
    tier: ValueTier | None = None


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
    from kam.services.pipeline.stages import pipeline_settings

    week, weeks = iso_week(as_of), unreviewed_weeks(session)
    account = _cls.c.account_id
    tier_moved = sa.select(_tier.c.account_id).where(*_tier_moved(as_of))
    overdue = sa.select(_plan.c.account_id).where(*_overdue(as_of))
    moved = (
        sa.select(_deal.c.account_id)
        .join(_stage, _stage.c.opportunity_id == _deal.c.id)
        .where(*_deal_moved(as_of))
    )
    stale = sa.select(_deal.c.account_id).where(stale_condition(pipeline_settings(session), as_of))
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
    from kam.services.pipeline.stages import pipeline_settings

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
    settings = pipeline_settings(session)
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
    cutoff = as_of - timedelta(weeks=unreviewed_weeks(session))
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


# --- the card -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    id: uuid.UUID
    title: str
    owner: str | None
    due_on: date | None
    status: ActionStatus
    done_on: date | None
    week: str | None  # the review it came from

    def overdue(self, today: date) -> bool:
        return self.status == ActionStatus.open and self.due_on is not None and self.due_on < today


@dataclass(frozen=True)
class ObjectiveRow:
    id: uuid.UUID
    title: str
    measure: str
    target: str
    due_on: date | None
    status: ObjectiveStatus
    progress: str


@dataclass
class PlanView:
    strategy: str = ""
    desired_stage: RelationshipStage | None = None
    customer_goals: str = ""
    objectives: list[ObjectiveRow] = field(default_factory=list)
    version: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.strategy or self.customer_goals or self.objectives or self.desired_stage)


@dataclass
class WeekReview:
    week: str
    note: str = ""
    reviewed_on: date | None = None
    reviewer: str | None = None
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (when, text)


@dataclass
class ReviewCard:
    account_id: uuid.UUID
    name: str
    owner: str | None
    account_class: AccountClass | None
    tier: ValueTier | None
    strategic: bool
    tier_trend: str  # the last class/tier move in words, or ""
    stage: RelationshipStage
    revenue_by_year: list[tuple[int, int, int]]
    ytd_minor: int
    same_period_last_year_minor: int
    monthly_minor: list[int]  # the last 24 months, oldest first
    wallet_share: float | None
    wallet_period: str | None
    wallet_change: float | None
    weighted_minor: int
    open_deals: int
    next_deals: list[Any]  # DealRow, the next to close
    last_contact: date | None
    overdue_items: list[Any]  # PlanRow
    health: Any  # Health | None
    actions: list[ActionRow]
    review: WeekReview
    plan: PlanView

    @property
    def growth(self) -> float | None:
        if not self.same_period_last_year_minor:
            return None
        return self.ytd_minor / self.same_period_last_year_minor - 1


def _monthly(session: Session, account_id: uuid.UUID, as_of: date) -> list[int]:
    from kam.models import RevenueLine

    rl = RevenueLine.__table__
    first = date(as_of.year - 2, as_of.month, 1) + timedelta(days=32)
    first = first.replace(day=1)
    totals = [0] * 24
    rows = session.connection().execute(
        sa.select(rl.c.booked_on, rl.c.amount_minor).where(
            rl.c.account_id == account_id, rl.c.booked_on >= first, rl.c.booked_on <= as_of
        )
    )
    for booked, amount in rows:
        index = (booked.year - first.year) * 12 + booked.month - first.month
        if 0 <= index < 24:
            totals[index] += amount
    return totals


def _ytd(session: Session, account_id: uuid.UUID, as_of: date) -> tuple[int, int]:
    from kam.models import RevenueLine

    rl = RevenueLine.__table__

    def total(start: date, end: date) -> int:
        return int(
            session.connection()
            .execute(
                sa.select(sa.func.coalesce(sa.func.sum(rl.c.amount_minor), 0)).where(
                    rl.c.account_id == account_id, rl.c.booked_on >= start, rl.c.booked_on <= end
                )
            )
            .scalar_one()
        )

    last_year_day = _same_day_last_year(as_of)
    return (
        total(date(as_of.year, 1, 1), as_of),
        total(date(as_of.year - 1, 1, 1), last_year_day),
    )


def _same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def account_actions(session: Session, account_id: uuid.UUID, week: str) -> list[ActionRow]:
    """Open actions, then those closed or made this week."""
    monday = week_start(week)
    query = (
        sa.select(
            _action.c.id, _action.c.title, _member.c.name, _action.c.due_on, _action.c.status,
            _action.c.done_on, _review.c.week,
        )
        .select_from(
            _action.outerjoin(_member, _member.c.id == _action.c.owner_id).outerjoin(
                _review, _review.c.id == _action.c.review_id
            )
        )
        .where(
            _action.c.account_id == account_id,
            sa.or_(
                _action.c.status == ActionStatus.open.value,
                _action.c.done_on >= monday,
                _review.c.week == week,
            ),
        )
        .order_by(
            (_action.c.status != ActionStatus.open.value),
            _action.c.due_on.is_(None),
            _action.c.due_on,
            _action.c.created_at,
        )
    )  # fmt: skip
    return [
        ActionRow(r[0], r[1], r[2], r[3], ActionStatus(r[4]), r[5], r[6])
        for r in session.connection().execute(query)
    ]


def _reviews(
    session: Session, account_id: uuid.UUID, *, week: str | None = None, limit: int = 12
) -> list[WeekReview]:
    """The account's reviews (one week's, or the latest), newest first, with their decisions:
    two statements however many weeks."""
    conn = session.connection()
    select = (
        sa.select(_review.c.id, _review.c.week, _review.c.note, _review.c.reviewed_on,
                  _member.c.name)
        .select_from(_review.outerjoin(_member, _member.c.id == _review.c.reviewer_id))
        .where(_review.c.account_id == account_id)
        .order_by(_review.c.week.desc())
        .limit(limit)
    )  # fmt: skip
    if week is not None:
        select = select.where(_review.c.week == week)
    rows = conn.execute(select).all()
    dec = ReviewDecision.__table__
    decisions: dict[uuid.UUID, list[tuple[str, str]]] = {r.id: [] for r in rows}
    if rows:
        for review_id, text, at in conn.execute(
            sa.select(dec.c.review_id, dec.c.text, dec.c.decided_at)
            .where(dec.c.review_id.in_(list(decisions)))
            .order_by(dec.c.decided_at)
        ):
            decisions[review_id].append((at.strftime("%Y-%m-%d %H:%M"), text))
    return [WeekReview(r.week, r.note or "", r.reviewed_on, r.name, decisions[r.id]) for r in rows]


def week_review(session: Session, account_id: uuid.UUID, week: str) -> WeekReview:
    found = _reviews(session, account_id, week=week)
    return found[0] if found else WeekReview(week)


def account_reviews(session: Session, account_id: uuid.UUID, limit: int = 12) -> list[WeekReview]:
    """The account's latest weekly reviews, newest first."""
    return _reviews(session, account_id, limit=limit)


def plan_view(session: Session, account_id: uuid.UUID) -> PlanView:
    plan = session.exec(select(AccountPlan).where(AccountPlan.account_id == account_id)).first()
    obj = PlanObjective.__table__
    objectives = [
        ObjectiveRow(r.id, r.title, r.measure, r.target, r.due_on, ObjectiveStatus(r.status),
                     r.progress)
        for r in session.connection().execute(
            sa.select(obj).where(obj.c.account_id == account_id)
            .order_by(obj.c.due_on.is_(None), obj.c.due_on, obj.c.created_at)
        )
    ]  # fmt: skip
    if plan is None:
        return PlanView(objectives=objectives)
    return PlanView(
        plan.strategy, plan.desired_stage, plan.customer_goals, objectives, plan.version
    )


@reads
def review_card(session: Session, account_id: uuid.UUID, as_of: date) -> ReviewCard:
    from kam.services.accounts import listing as accounts
    from kam.services.contact_plan import plans
    from kam.services.health import score as health
    from kam.services.pipeline import filters, forecast, lists
    from kam.services.wallet import share_of_wallet

    detail = accounts.account_detail(session, account_id, as_of)
    account, cls = detail.account, detail.classification
    mine = filters.DealFilter(account_id=account_id)
    ahead = forecast.forecast(session, mine, as_of, "stage")
    deals = lists.list_deals(session, mine, as_of, 0, 3, sort="close", descending=False)
    view = share_of_wallet.account_wallet(session, account_id, as_of)
    latest = view.latest
    total = view.totals.get(latest) if latest else None
    overdue = [
        p for p in plans.account_plan(session, account_id) if p.active and p.next_due < as_of
    ]
    ytd, last_year = _ytd(session, account_id, as_of)
    move = detail.tier_moves[0] if detail.tier_moves else None
    week = iso_week(as_of)
    return ReviewCard(
        account_id=account_id,
        name=account.name,
        owner=detail.owner,
        account_class=cls.account_class if cls else None,
        tier=cls.tier if cls else None,
        strategic=account.strategic,
        tier_trend=_move_words(move),
        stage=account.relationship_stage,
        revenue_by_year=detail.revenue_by_year,
        ytd_minor=ytd,
        same_period_last_year_minor=last_year,
        monthly_minor=_monthly(session, account_id, as_of),
        wallet_share=total.share if total else None,
        wallet_period=latest.label if latest else None,
        wallet_change=total.share_change if total else None,
        weighted_minor=ahead.total.weighted_minor,
        open_deals=ahead.total.open_deals,
        next_deals=[d for d in deals if d.open],
        last_contact=plans.last_contact(session, account_id),
        overdue_items=overdue,
        health=health.account_health(session, account_id, as_of),
        actions=account_actions(session, account_id, week),
        review=week_review(session, account_id, week),
        plan=plan_view(session, account_id),
    )


def _move_words(move: Any) -> str:
    if move is None:
        return ""
    arrow = f"{move.from_value or 'new'} → {move.to_value}"
    return f"{arrow} on {move.changed_at}"


# --- what the meeting writes ----------------------------------------------------------------


def _review_row(session: Session, account_id: uuid.UUID, week: str) -> Review:
    week = check_week(week)
    found = session.exec(
        select(Review).where(Review.account_id == account_id, Review.week == week)
    ).first()
    if found is not None:
        return found
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    review = Review(account_id=account_id, week=week)
    session.add(review)
    session.flush()
    return review


@writes
def save_note(session: Session, account_id: uuid.UUID, week: str, note: str) -> None:
    """The review note as typed so far (saved while it is typed)."""
    review = _review_row(session, account_id, week)
    if review.note != note:
        review.note = note
        session.flush()


def add_decision(session: Session, account_id: uuid.UUID, week: str, text: str) -> ReviewDecision:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError("write the decision", "text")
    review = _review_row(session, account_id, week)
    decision = ReviewDecision(review_id=review.id, text=cleaned)
    session.add(decision)
    session.flush()
    return decision


@writes
def record_decision(
    session: Session, account_id: uuid.UUID, week: str, raw: Mapping[str, Any]
) -> ReviewDecision:
    """The decision a form wrote (`raw["text"]`)."""
    return add_decision(session, account_id, week, str(raw.get("text") or ""))


def _member_by_name(session: Session, name: str) -> uuid.UUID | None:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return None
    found = (
        session.connection()
        .execute(
            sa.select(_member.c.id).where(sa.func.lower(_member.c.name) == cleaned.lower()).limit(1)
        )
        .scalar()
    )
    if found is None:
        raise InputError(f"{cleaned!r} is not on the team list", "owner")
    return found


@writes
def add_action(
    session: Session,
    account_id: uuid.UUID,
    week: str,
    raw: Mapping[str, Any],
    user: str,
    today: date,
) -> ActionItem:
    """An action with an owner and a due date; it goes on the owner's agenda."""
    errors: dict[str, str] = {}
    title = " ".join(str(raw.get("title") or "").split())
    if not title:
        errors["title"] = "say what is to be done"
    elif len(title) > 300:
        errors["title"] = "at most 300 characters"
    owner_id = None
    try:
        owner_id = _member_by_name(session, str(raw.get("owner") or ""))
    except InputError as exc:
        errors["owner"] = str(exc)
    # Every action has a due date, so it always reaches the owner's agenda: blank is the
    # team's default span from today.
    due: date | None = default_action_due(session, today)
    if str(raw.get("due_on") or "").strip():
        try:
            due = parse_date(str(raw["due_on"]), "due_on", today=today)
        except InputError as exc:
            errors["due_on"] = str(exc).removeprefix("due_on: ")
    if errors:
        from kam.errors import InputErrors

        raise InputErrors(errors)
    review = _review_row(session, account_id, week)
    action = ActionItem(
        account_id=account_id, review_id=review.id, title=title, owner_id=owner_id, due_on=due
    )
    if due is not None:
        item = PlanItem(
            account_id=account_id,
            kind=ActivityKind.business_review,
            rule="",
            owner_id=owner_id,
            next_due=due,
            starts_on=due,
            note=f"Review action: {title}"[:500],
        )
        session.add(item)
        session.flush()
        action.plan_item_id = item.id
    session.add(action)
    session.flush()
    return action


@writes
def close_chosen_action(session: Session, raw: Mapping[str, Any], today: date) -> ActionItem:
    """The action a form chose (`raw["action"]`) done or dropped (`raw["status"]`)."""
    try:
        action_id = uuid.UUID(str(raw.get("action")))
        status = ActionStatus(raw.get("status"))
    except ValueError:
        raise KamError("choose an action and whether it is done or dropped") from None
    return close_action(session, action_id, status, today)


def close_action(
    session: Session, action_id: uuid.UUID, status: ActionStatus, today: date
) -> ActionItem:
    action = session.get(ActionItem, action_id)
    if action is None:
        raise KamError("that action no longer exists")
    action.status = status
    action.done_on = None if status == ActionStatus.open else today
    if action.plan_item_id is not None:
        item = session.get(PlanItem, action.plan_item_id)
        if item is not None:
            item.active = status == ActionStatus.open
    session.flush()
    return action


@writes
def mark_reviewed(
    session: Session, account_id: uuid.UUID, week: str, reviewer: str, today: date
) -> None:
    review = _review_row(session, account_id, week)
    review.reviewed_on = today
    try:
        review.reviewer_id = _member_by_name(session, reviewer)
    except InputError:
        review.reviewer_id = None  # a reviewer not on the team list is kept in the history only
    session.flush()


@writes
def set_stage_or_tier(
    session: Session,
    account_id: uuid.UUID,
    week: str,
    raw: Mapping[str, Any],
    user: str,
    today: date,
) -> ReviewDecision:
    """The relationship stage and/or a tier set by hand, each with the reason, which is also
    kept as a decision of this week's review (returned)."""
    reason = " ".join(str(raw.get("reason") or "").split())
    stage = raw.get("relationship_stage") or None
    tier = raw.get("tier_override") or None
    if not reason:
        raise InputError("say why", "reason")
    base = account_edit.open_account_form(session, account_id)
    values = dict(base.values)
    words = []
    if stage and stage != getattr(values["relationship_stage"], "value", None):
        values["relationship_stage"] = stage
        words.append(f"relationship stage → {stage.replace('_', ' ')}")
    current_tier = getattr(values["tier_override"], "value", None)
    if tier == "-" and current_tier is not None:
        values["tier_override"], values["tier_override_reason"] = None, None
        words.append("tier set by hand removed")
    elif tier and tier != "-" and tier != current_tier:
        values["tier_override"], values["tier_override_reason"] = tier, reason
        words.append(f"tier set to {tier}")
    if not words:
        raise InputError("nothing to change: choose a stage or a tier", "relationship_stage")
    account_edit.update_account(session, account_id, base, values, user, today)
    return add_decision(session, account_id, week, f"{'; '.join(words)}: {reason}")


# --- the account plan -----------------------------------------------------------------------


@writes
def save_plan(session: Session, account_id: uuid.UUID, raw: Mapping[str, Any]) -> PlanView:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    plan = session.exec(select(AccountPlan).where(AccountPlan.account_id == account_id)).first()
    stage = raw.get("desired_stage") or None
    try:
        desired = RelationshipStage(stage) if stage else None
    except ValueError:
        raise InputError("not a relationship stage", "desired_stage") from None
    if plan is None:
        plan = AccountPlan(account_id=account_id)
        session.add(plan)
    plan.strategy = str(raw.get("strategy") or "").strip()
    plan.customer_goals = str(raw.get("customer_goals") or "").strip()
    plan.desired_stage = desired
    session.flush()
    return plan_view(session, account_id)


@writes
def save_objective(
    session: Session,
    account_id: uuid.UUID | None,
    raw: Mapping[str, Any],
    objective_id: uuid.UUID | None = None,
) -> PlanObjective:
    from kam.services.history.edits import FormReader

    r = FormReader(raw)
    values = {
        "title": r.text("title", limit=200, required="name the objective"),
        "measure": r.text("measure", limit=200) or "",
        "target": r.text("target", limit=120) or "",
        "due_on": r.day("due_on"),
        "status": r.choice("status", ObjectiveStatus) or ObjectiveStatus.open,
        "progress": r.text("progress", limit=500) or "",
    }
    r.check()
    if objective_id is None:
        objective = PlanObjective(account_id=account_id, **values)
        session.add(objective)
    else:
        objective = session.get(PlanObjective, objective_id)
        if objective is None:
            raise KamError("that objective no longer exists")
        for name, value in values.items():
            setattr(objective, name, value)
    session.flush()
    return objective


@writes
def update_objective(session: Session, raw: Mapping[str, Any]) -> PlanObjective:
    """Progress on one objective (`raw["objective"]`): its status and where it stands."""
    try:
        objective_id = uuid.UUID(str(raw.get("objective")))
    except ValueError:
        raise KamError("choose an objective") from None
    values = objective_values(session, objective_id)
    values.update(status=raw.get("status"), progress=raw.get("progress"))
    return save_objective(session, None, values, objective_id=objective_id)


def objective_values(session: Session, objective_id: uuid.UUID) -> dict[str, Any]:
    objective = session.get(PlanObjective, objective_id)
    if objective is None:
        raise KamError("that objective no longer exists")
    return {
        "title": objective.title,
        "measure": objective.measure,
        "target": objective.target,
        "due_on": objective.due_on,
        "status": objective.status,
        "progress": objective.progress,
    }


@reads
def plan_and_reviews(session: Session, account_id: uuid.UUID) -> tuple[PlanView, list[WeekReview]]:
    """An account's plan and its past reviews, as its Reviews tab shows them."""
    return plan_view(session, account_id), account_reviews(session, account_id)
