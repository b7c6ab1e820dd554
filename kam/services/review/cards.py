"""One account's review card. Every figure on it comes from the same services the detailed
screens use, so the two always agree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from kam.models import (
    AccountPlan,
    ActionItem,
    PlanObjective,
    Review,
    ReviewDecision,
    TeamMember,
)
from kam.models.enums import (
    AccountClass,
    ActionStatus,
    ObjectiveStatus,
    RelationshipStage,
    ValueTier,
)
from kam.services.review.weeks import iso_week, week_start
from kam.services.unit import reads

_member = TeamMember.__table__
_review = Review.__table__
_action = ActionItem.__table__


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

    def overdue(self, as_of: date) -> bool:
        return self.status == ActionStatus.open and self.due_on is not None and self.due_on < as_of


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
    from kam.services.contact_plan import activities, plan_items
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
        p for p in plan_items.account_plan(session, account_id) if p.active and p.next_due < as_of
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
        last_contact=activities.last_contact(session, account_id),
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
