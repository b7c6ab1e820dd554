"""Portfolio KPIs for the dashboard, aggregated in SQL from the stored classification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import Account, AccountClassification
from kam.models.enums import AccountClass, ValueTier
from kam.services import settings as settings_service

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


def dashboard(session: Session, today: date, top: int = 10) -> Dashboard:
    conn = session.connection()
    settings = settings_service.classification_settings(session)
    # The stored classification holds exactly the live accounts, with their strategic flag,
    # so the figures come from one table without a join.
    is_key = sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))
    totals = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(_cls.c.rank),
            sa.func.coalesce(sa.func.sum(sa.case((is_key, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0),
            sa.func.coalesce(sa.func.sum(sa.case((is_key, _cls.c.revenue_minor), else_=0)), 0),
        ).select_from(_cls)
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

    top_rows = conn.execute(
        sa.select(
            _acct.c.id,
            _acct.c.name,
            _cls.c.revenue_minor,
            _cls.c.share,
            _cls.c.cumulative_share,
            _cls.c.account_class,
            _cls.c.tier,
        )
        .join_from(_cls, _acct, _acct.c.id == _cls.c.account_id)
        .where(_cls.c.rank.is_not(None))
        .order_by(_cls.c.rank)
        .limit(top)
    ).all()
    return Dashboard(
        as_of=today,
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
                r.cumulative_share,
                AccountClass(r.account_class),
                ValueTier(r.tier),
            )
            for r in top_rows
        ],
    )
