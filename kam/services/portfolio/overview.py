"""Portfolio KPIs for the dashboard, aggregated in SQL from the stored classification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import Account, AccountClassification, TierChange
from kam.models.enums import AccountClass, ValueTier
from kam.services import settings as settings_service
from kam.services.accounts.listing import archived_ids
from kam.services.accounts.regions import Scope
from kam.services.classify import pareto
from kam.services.classify.pareto import ClassificationSettings
from kam.services.unit import reads

_acct = Account.__table__
_cls = AccountClassification.__table__


@dataclass(frozen=True)
class GroupFigure:
    key: str
    accounts: int
    revenue_minor: int
    share: float


@dataclass(frozen=True)
class TopAccount:
    id: uuid.UUID
    name: str
    revenue_minor: int
    share: float
    cumulative_share: float | None
    account_class: AccountClass
    tier: ValueTier


@dataclass(frozen=True)
class Dashboard:
    as_of: date
    window: str
    accounts: int
    ranked_accounts: int
    key_accounts: int
    revenue_minor: int
    key_revenue_minor: int
    by_class: list[GroupFigure]
    by_tier: list[GroupFigure]
    top: list[TopAccount]

    @property
    def key_revenue_share(self) -> float:
        return self.key_revenue_minor / self.revenue_minor if self.revenue_minor else 0.0


def dashboard(
    session: Session, as_of: date, top: int = 10, *, region: Scope | None = None
) -> Dashboard:
    """The portfolio's figures, or one region's (its accounts only; shares of its revenue)."""
    conn = session.connection()
    mine = sa.true() if region is None else _cls.c.account_id.in_(region.accounts())
    settings = settings_service.load(session, ClassificationSettings)
    # The stored classification holds exactly the live accounts, with their strategic flag,
    # so the figures come from one table without a join.
    is_key = sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))
    totals = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((_cls.c.revenue_minor > 0, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((is_key, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0),
            sa.func.coalesce(sa.func.sum(sa.case((is_key, _cls.c.revenue_minor), else_=0)), 0),
        )
        .select_from(_cls)
        .where(mine)
    ).one()
    total_revenue = int(totals[3])

    def grouped(column: sa.ColumnElement, order: list[str]) -> list[GroupFigure]:
        rows = {
            key: (int(count), int(revenue))
            for key, count, revenue in conn.execute(
                sa.select(
                    column, sa.func.count(), sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0)
                )
                .select_from(_cls)
                .where(mine)
                .group_by(column)
            )
        }
        return [
            GroupFigure(
                key,
                rows.get(key, (0, 0))[0],
                rows.get(key, (0, 0))[1],
                rows.get(key, (0, 0))[1] / total_revenue if total_revenue else 0.0,
            )
            for key in order
        ]

    if settings.by_group:
        # Classified by group: the groups (and accounts in none) with their members' revenue.
        unit = sa.func.coalesce(_cls.c.via_group_id, _cls.c.account_id)
        units = (
            sa.select(unit.label("unit"), sa.func.sum(_cls.c.revenue_minor).label("revenue"))
            .group_by(unit)
            .subquery("units")
        )
        revenue = units.c.revenue
        source = _cls.join(units, units.c.unit == _cls.c.account_id)
        share = sa.cast(revenue, sa.Float) / sa.func.nullif(total_revenue, 0)
    else:
        revenue, source, share = _cls.c.revenue_minor, _cls, _cls.c.share
    if region is not None:  # of the region's revenue
        share = sa.cast(revenue, sa.Float) / sa.func.nullif(total_revenue, 0)
    top_rows = conn.execute(
        sa.select(
            _acct.c.id,
            _acct.c.name,
            revenue.label("revenue_minor"),
            sa.func.coalesce(share, 0.0).label("share"),
            _cls.c.cumulative_share,
            _cls.c.account_class,
            _cls.c.tier,
        )
        .select_from(source)
        .join(_acct, _acct.c.id == _cls.c.account_id)
        .where(_cls.c.rank.is_not(None), _cls.c.via_group_id.is_(None), mine)
        .order_by(_cls.c.rank)
        .limit(top)
    ).all()
    running = 0.0
    cumulative: list[float | None] = []
    for r in top_rows:
        running += float(r.share or 0.0)
        cumulative.append(r.cumulative_share if region is None else running)
    return Dashboard(
        as_of=as_of,
        window=settings.window,
        accounts=int(totals[0]),
        ranked_accounts=int(totals[1]),
        key_accounts=int(totals[2]),
        revenue_minor=total_revenue,
        key_revenue_minor=int(totals[4]),
        by_class=grouped(_cls.c.account_class, [c.value for c in AccountClass]),
        by_tier=grouped(_cls.c.tier, [t.value for t in ValueTier]),
        top=[
            TopAccount(
                r.id,
                r.name,
                int(r.revenue_minor),
                float(r.share),
                cumulative[n],
                AccountClass(r.account_class),
                ValueTier(r.tier),
            )
            for n, r in enumerate(top_rows)
        ],
    )


@dataclass(frozen=True)
class Move:
    account_id: uuid.UUID
    name: str
    field: str  # "account_class" or "tier"
    from_value: str | None
    to_value: str
    on: date
    reason: str
    up: bool
    tier_from: str | None = None  # when the tier moved (alone or with the class)
    tier_to: str | None = None


@dataclass(frozen=True)
class Moves:
    since: date
    up: int
    down: int
    latest: list[Move]


def quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def tier_moves(
    session: Session, as_of: date, limit: int = 12, *, region: Scope | None = None
) -> Moves:
    """This quarter's class and tier moves (UTC days), upgrades and downgrades, newest first.
    The counts are grouped in SQL; only the newest moves are read row by row."""
    since = quarter_start(as_of)
    tc = TierChange.__table__
    start = datetime.combine(since, time.min, UTC)
    # Archived accounts' moves are left out through the few archived ids, not a join.
    live = sa.and_(tc.c.changed_at >= start, tc.c.account_id.not_in(archived_ids()))
    if region is not None:
        live = sa.and_(live, tc.c.account_id.in_(region.accounts()))
    conn = session.connection()

    # An account's move is its class move, or its tier move when the class stayed: one
    # reclassification's rows grouped per account and moment, then counted per kind of move.
    def part(field: str, column: sa.ColumnElement) -> Any:
        return sa.func.max(sa.case((tc.c.field == field, column)))

    stopped = f"%→ {pareto.STOPPED_BUYING}"
    each = (
        sa.select(
            part("account_class", tc.c.from_value).label("class_from"),
            part("account_class", tc.c.to_value).label("class_to"),
            part("tier", tc.c.from_value).label("tier_from"),
            part("tier", tc.c.to_value).label("tier_to"),
            sa.func.max(sa.case((tc.c.reason.like(stopped), 1), else_=0)).label("stopped"),
        )
        .where(live)
        .group_by(tc.c.account_id, tc.c.changed_at)
        .subquery("each_move")
    )
    up = down = 0
    groups = (each.c.class_from, each.c.class_to, each.c.tier_from, each.c.tier_to, each.c.stopped)
    for class_from, class_to, tier_from, tier_to, stop, n in conn.execute(
        sa.select(*groups, sa.func.count()).group_by(*groups)
    ):
        reason = f"→ {pareto.STOPPED_BUYING}" if stop else ""
        if class_to is not None:
            rising = pareto.is_upgrade("account_class", class_from, class_to, reason)
        else:
            rising = pareto.is_upgrade("tier", tier_from, tier_to, reason)
        if rising:
            up += int(n)
        else:
            down += int(n)
    rows = conn.execute(
        sa.select(
            tc.c.account_id,
            _acct.c.name,
            tc.c.field,
            tc.c.from_value,
            tc.c.to_value,
            tc.c.changed_at,
            tc.c.reason,
        )
        .join_from(tc, _acct, _acct.c.id == tc.c.account_id)
        .where(live)
        .order_by(tc.c.changed_at.desc(), _acct.c.name_key, tc.c.field)
        .limit(2 * limit + 1)
    )
    moves: list[Move] = []
    for r in rows:
        on = r.changed_at.date() if isinstance(r.changed_at, datetime) else r.changed_at
        rising = pareto.is_upgrade(r.field, r.from_value, r.to_value, r.reason or "")
        last = moves[-1] if moves else None
        if last is not None and last.account_id == r.account_id and last.on == on:
            # One reclassification moved class and tier: one move, told as one.
            moves[-1] = replace(last, field="both", tier_from=r.from_value, tier_to=r.to_value)
            continue
        tier = (r.from_value, r.to_value) if r.field == "tier" else (None, None)
        moves.append(
            Move(
                r.account_id, r.name, r.field, r.from_value, r.to_value, on, r.reason, rising, *tier
            )
        )
    return Moves(since, up, down, moves[:limit])


@reads
def portfolio_page(
    session: Session, as_of: date, region: Scope | None = None
) -> tuple[Dashboard, ClassificationSettings, Moves]:
    """What the dashboard shows but the headline indicators, read in one session: of the
    whole portfolio, or of one region's accounts."""
    return (
        dashboard(session, as_of, region=region),
        settings_service.load(session, ClassificationSettings),
        tier_moves(session, as_of, region=region),
    )
