"""Behaviour: RFM, loyalty, the value x loyalty segments A-E and the relational groups.

Computed in one INSERT ... SELECT over the revenue lines (window functions for the quintiles
and ranks), so it costs about one pass over the revenue whatever the number of accounts. The
result is stored in `account_segment` and rebuilt together with the classification.

- Recency: the last purchase; Frequency: purchases (revenue lines) in the window; Monetary:
  revenue in the window; average order value = monetary / frequency. Each is scored 1-5 by
  quintile among the accounts that bought in the window (5 = most recent, most, largest).
- Value: profit (revenue less cost to serve) in the window, high for the top share of buying
  accounts (setting). Loyalty: how regularly the account bought over the last years (share of
  quarters with a purchase) and how long it has been a customer.
- Silent (E): fewer purchases in the window than the setting asks for.
- Transactional accounts (price buyers, no loyalty) are set apart first; valuable relational
  accounts fall in three groups: most profitable (maintain), could become the most profitable
  (grow), profitable but losing value (retain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from kam.errors import InputErrors
from kam.models import Account, AccountClassification, AccountSegment, RevenueLine
from kam.models.enums import RelationalGroup, RelationshipType, Segment
from kam.services import settings as settings_service

SETTING_KEY = "segments"
_rev = RevenueLine.__table__
_acct = Account.__table__
_seg = AccountSegment.__table__
_cls = AccountClassification.__table__

SEGMENT_WORDS = {
    Segment.top: "A · high value, loyal: reward, deepen, extend their lifetime",
    Segment.high_value_low_loyalty: "B · high value, low loyalty: raise value and switching cost",
    Segment.loyal: "C · loyal, lower value: serve at low cost, watch for growers",
    Segment.small: "D · low value, low loyalty: low-touch, self-service",
    Segment.silent: "E · silent: find out why; win back those that were A or B",
}
GROUP_WORDS = {
    RelationalGroup.most_profitable: "most profitable: maintain",
    RelationalGroup.could_grow: "could become the most profitable: grow",
    RelationalGroup.losing_value: "profitable but losing value: retain",
}


@dataclass(frozen=True)
class SegmentSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = SETTING_KEY
    CHANGES_FIGURES: ClassVar[bool] = True

    window_months: int = 12  # recency, frequency, monetary and value are read over this
    loyalty_years: int = 3  # regularity is read over this many years of quarters
    tenure_years: int = 5  # a customer this long counts as fully tenured
    high_value_top: float = 0.25  # the share of buying accounts, by profit, of high value
    loyal_from: float = 0.6  # loyalty from which an account counts as loyal (0-1)
    silent_below: int = 2  # fewer purchases than this in the window: silent
    most_profitable_top: float = 0.05  # the share of buying accounts that are most profitable
    losing_value_below: float = -0.10  # revenue change vs the window before: losing value

    def check(self) -> None:
        errors = {}
        for name in ("window_months", "loyalty_years", "tenure_years", "silent_below"):
            if getattr(self, name) < 1:
                errors[name] = "must be at least 1"
        for name in ("high_value_top", "loyal_from", "most_profitable_top"):
            if not 0 < getattr(self, name) <= 1:
                errors[name] = "must be above 0% and at most 100%"
        if not -1 < self.losing_value_below < 0:
            errors["losing_value_below"] = "must be a fall, between -100% and 0%"
        if errors:
            raise InputErrors(errors)


def _quarter_index(column: sa.ColumnElement, as_of: date, quarters: int) -> sa.ColumnElement:
    """Which of the last `quarters` three-month blocks before `as_of` a date falls in."""
    starts = [as_of - relativedelta(months=3 * (quarters - k)) for k in range(quarters)]
    return sa.case(
        *((column > start, k) for k, start in reversed(list(enumerate(starts)))),
    )


def _tenure(since: sa.ColumnElement, as_of: date, years: int) -> sa.ColumnElement:
    """0-1: whole years a customer, out of `years`."""
    return sa.case(
        *((since <= as_of - relativedelta(years=y), y / years) for y in range(years, 0, -1)),
        else_=0.0,
    )


def segment_select(as_of: date, settings: SegmentSettings) -> sa.Select:
    """One row per live account, with every column of `account_segment`."""
    start = as_of - relativedelta(months=settings.window_months)
    before = start - relativedelta(months=settings.window_months)
    quarters = 4 * settings.loyalty_years
    loyalty_start = as_of - relativedelta(months=3 * quarters)
    booked = _rev.c.booked_on
    in_window = booked > start
    amount = _rev.c.amount_minor
    agg = (
        sa.select(
            _rev.c.account_id,
            sa.func.max(booked).label("last_purchase"),
            sa.func.min(booked).label("first_purchase"),
            sa.func.sum(sa.case((in_window, 1), else_=0)).label("frequency"),
            sa.func.sum(sa.case((in_window, amount), else_=0)).label("monetary"),
            sa.func.sum(sa.case((in_window, amount - _rev.c.cost_minor), else_=0)).label("profit"),
            sa.func.sum(
                sa.case((sa.and_(booked > before, booked <= start), amount), else_=0)
            ).label("previous"),
            sa.func.count(
                sa.distinct(
                    sa.case((booked > loyalty_start, _quarter_index(booked, as_of, quarters)))
                )
            ).label("active_quarters"),
        )
        .where(booked <= as_of)
        .group_by(_rev.c.account_id)
        .cte("behaviour")
    )
    frequency = sa.func.coalesce(agg.c.frequency, 0)
    monetary = sa.func.coalesce(agg.c.monetary, 0)
    profit = sa.func.coalesce(agg.c.profit, 0)
    buying = frequency > 0
    not_buying = sa.case((buying, 0), else_=1)

    def quintile(order: Any) -> sa.ColumnElement:
        return sa.case(
            (buying, sa.func.ntile(5).over(partition_by=not_buying, order_by=order)), else_=0
        )

    since = sa.func.coalesce(_acct.c.customer_since, agg.c.first_purchase)
    regularity = sa.func.coalesce(agg.c.active_quarters, 0) * 1.0 / quarters
    profit_rank = sa.func.percent_rank().over(partition_by=not_buying, order_by=profit.desc())
    ranked = (
        sa.select(
            _acct.c.id.label("account_id"),
            _acct.c.relationship_type,
            agg.c.last_purchase,
            frequency.label("frequency"),
            monetary.label("monetary_minor"),
            profit.label("profit_minor"),
            sa.func.coalesce(agg.c.previous, 0).label("previous_minor"),
            quintile(agg.c.last_purchase).label("r_score"),
            quintile(frequency).label("f_score"),
            quintile(monetary).label("m_score"),
            regularity.label("regularity"),
            (0.7 * regularity + 0.3 * _tenure(since, as_of, settings.tenure_years)).label(
                "loyalty"
            ),
            sa.and_(buying, profit > 0, profit_rank < settings.high_value_top).label("high_value"),
            sa.and_(buying, profit > 0, profit_rank < settings.most_profitable_top).label(
                "most_profitable"
            ),
        )
        .select_from(_acct.outerjoin(agg, agg.c.account_id == _acct.c.id))
        .where(_acct.c.archived_at.is_(None))
        .subquery("ranked")
    )
    loyal = ranked.c.loyalty >= settings.loyal_from
    high = ranked.c.high_value
    segment = sa.case(
        (ranked.c.frequency < settings.silent_below, Segment.silent.value),
        (sa.and_(high, loyal), Segment.top.value),
        (high, Segment.high_value_low_loyalty.value),
        (loyal, Segment.loyal.value),
        else_=Segment.small.value,
    )
    transactional = ranked.c.relationship_type == RelationshipType.transactional.value
    losing = sa.and_(
        ranked.c.previous_minor > 0,
        ranked.c.monetary_minor < ranked.c.previous_minor * (1 + settings.losing_value_below),
    )
    group = sa.case(
        (transactional, None),
        (sa.not_(high), None),
        (ranked.c.frequency < settings.silent_below, None),
        (losing, RelationalGroup.losing_value.value),
        (ranked.c.most_profitable, RelationalGroup.most_profitable.value),
        else_=RelationalGroup.could_grow.value,
    )
    return sa.select(
        ranked.c.account_id,
        ranked.c.last_purchase,
        ranked.c.frequency,
        ranked.c.monetary_minor,
        ranked.c.profit_minor,
        ranked.c.previous_minor,
        ranked.c.r_score,
        ranked.c.f_score,
        ranked.c.m_score,
        ranked.c.regularity,
        ranked.c.loyalty,
        high.label("high_value"),
        segment.label("segment"),
        transactional.label("transactional"),
        group.label("relational_group"),
    )


COLUMNS = [
    "account_id",
    "last_purchase",
    "frequency",
    "monetary_minor",
    "profit_minor",
    "previous_minor",
    "r_score",
    "f_score",
    "m_score",
    "regularity",
    "loyalty",
    "high_value",
    "segment",
    "transactional",
    "relational_group",
]


def refresh(session: Session, as_of: date) -> int:
    """Rebuild the stored segments; returns how many accounts they cover."""
    conn = session.connection()
    conn.execute(_seg.delete())
    source = segment_select(as_of, settings_service.load(session, SegmentSettings)).subquery(
        "fresh"
    )
    conn.execute(_seg.insert().from_select(COLUMNS, sa.select(*(source.c[c] for c in COLUMNS))))
    return int(conn.execute(sa.select(sa.func.count()).select_from(_seg)).scalar_one())


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """One account's stored behaviour, with what it means in words."""

    segment: Segment
    relational_group: RelationalGroup | None
    transactional: bool
    last_purchase: date | None
    frequency: int
    monetary_minor: int
    profit_minor: int
    previous_minor: int
    r_score: int
    f_score: int
    m_score: int
    loyalty: float
    high_value: bool

    @property
    def aov_minor(self) -> int | None:
        return self.monetary_minor // self.frequency if self.frequency else None

    @property
    def rfm(self) -> str:
        return f"{self.r_score}-{self.f_score}-{self.m_score}" if self.frequency else "—"

    def recency_days(self, as_of: date) -> int | None:
        return (as_of - self.last_purchase).days if self.last_purchase else None

    @property
    def group_words(self) -> str:
        if self.transactional:
            return "transactional: buys on price; keep the cost to serve low"
        if self.relational_group is None:
            return "relational (buys on value or the relationship), not among the most valuable"
        return GROUP_WORDS[self.relational_group]


def account_behaviour(session: Session, account_id: Any) -> Behaviour | None:
    row = session.get(AccountSegment, account_id)
    if row is None:
        return None
    return Behaviour(
        Segment(row.segment),
        RelationalGroup(row.relational_group) if row.relational_group else None,
        row.transactional,
        row.last_purchase,
        row.frequency,
        row.monetary_minor,
        row.profit_minor,
        row.previous_minor,
        row.r_score,
        row.f_score,
        row.m_score,
        row.loyalty,
        row.high_value,
    )


@dataclass(frozen=True)
class SegmentFigure:
    key: str
    accounts: int
    revenue_minor: int
    profit_minor: int
    share: float  # of the window's revenue


@dataclass(frozen=True)
class SegmentSummary:
    as_of: date
    settings: SegmentSettings
    segments: list[SegmentFigure]
    groups: list[SegmentFigure]  # transactional first, then the three relational groups
    key_by_segment: dict[str, int]  # key accounts in each segment


def summary(session: Session, as_of: date) -> SegmentSummary:
    conn = session.connection()
    total = int(
        conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_seg.c.monetary_minor), 0))).scalar()
        or 0
    )

    def figures(column: sa.ColumnElement, keys: list[str]) -> list[SegmentFigure]:
        found = {
            key: (int(n), int(revenue or 0), int(profit or 0))
            for key, n, revenue, profit in conn.execute(
                sa.select(
                    column,
                    sa.func.count(),
                    sa.func.sum(_seg.c.monetary_minor),
                    sa.func.sum(_seg.c.profit_minor),
                ).group_by(column)
            )
        }
        return [
            SegmentFigure(
                k, *found.get(k, (0, 0, 0)), found.get(k, (0, 0))[1] / total if total else 0.0
            )
            for k in keys
        ]

    group = sa.case(
        (_seg.c.transactional.is_(True), "transactional"),
        else_=sa.func.coalesce(_seg.c.relational_group, "other relational"),
    )
    is_key = sa.or_(_cls.c.account_class != "general", _cls.c.strategic.is_(True))
    key_by_segment = dict(
        conn.execute(
            sa.select(_seg.c.segment, sa.func.count())
            .join_from(_seg, _cls, _cls.c.account_id == _seg.c.account_id)
            .where(is_key)
            .group_by(_seg.c.segment)
        ).all()
    )
    return SegmentSummary(
        as_of,
        settings_service.load(session, SegmentSettings),
        figures(_seg.c.segment, [s.value for s in Segment]),
        figures(
            group,
            ["transactional", *(g.value for g in RelationalGroup), "other relational"],
        ),
        {k: int(v) for k, v in key_by_segment.items()},
    )


@dataclass(frozen=True)
class SegmentRow:
    name: str
    account_class: str | None
    segment: Segment
    group: str
    last_purchase: date | None
    frequency: int
    monetary_minor: int
    aov_minor: int | None
    profit_minor: int
    rfm: str
    loyalty: float


def segment_rows(session: Session, key_only: bool = False) -> list[SegmentRow]:
    """Every live account's segment, by segment then revenue (the report's --accounts)."""
    query = (
        sa.select(
            _acct.c.name,
            _cls.c.account_class,
            _cls.c.strategic,
            _seg,
        )
        .join_from(_seg, _acct, _acct.c.id == _seg.c.account_id)
        .outerjoin(_cls, _cls.c.account_id == _seg.c.account_id)
        .order_by(_seg.c.segment, _seg.c.monetary_minor.desc(), _acct.c.name_key)
    )
    if key_only:
        query = query.where(sa.or_(_cls.c.account_class != "general", _cls.c.strategic.is_(True)))
    order = {s.value: i for i, s in enumerate(Segment)}
    rows = []
    for r in session.connection().execute(query):
        group = "transactional" if r.transactional else (r.relational_group or "")
        rows.append(
            SegmentRow(
                r.name,
                r.account_class,
                Segment(r.segment),
                group,
                r.last_purchase,
                int(r.frequency),
                int(r.monetary_minor),
                int(r.monetary_minor) // int(r.frequency) if r.frequency else None,
                int(r.profit_minor),
                f"{r.r_score}-{r.f_score}-{r.m_score}" if r.frequency else "",
                float(r.loyalty),
            )
        )
    rows.sort(key=lambda r: order[r.segment.value])
    return rows
