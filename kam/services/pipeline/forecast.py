"""The forecast: one set of SQL aggregates that the board's column headers, an account's
Pipeline tab and `kam report pipeline` all read, so their numbers agree.

- weighted pipeline = sum of amount x probability over open deals (rounded once, per row
  of the result, to whole minor units);
- won deals count separately, at their full amount, in the period being looked at (the
  quarter filtered on, else the calendar year of the as-of date);
- a deal is stale when neither its stage nor an activity logged on it moved for longer than
  its stage's threshold; overdue when it is open past its expected close date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import KamError
from kam.models import (
    Account,
    Opportunity,
    Region,
    TeamMember,
)
from kam.models.enums import (
    OpportunityStage,
    PeriodKind,
)
from kam.services import settings as settings_service
from kam.services.accounts import regions
from kam.services.pipeline.filters import (
    DealFilter,
    Quarter,
    deal_conditions,
    in_key_account,
    overdue_condition,
    stale_condition,
    weighted,
)
from kam.services.pipeline.stages import GROUPINGS, NO_DATE, PipelineSettings
from kam.services.unit import reads
from kam.services.values import periods

_opp = Opportunity.__table__
_acct = Account.__table__
_member = TeamMember.__table__
_region = Region.__table__


# --- the forecast ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastRow:
    key: str
    label: str
    open_deals: int = 0
    amount_minor: int = 0
    weighted_minor: int = 0
    won_deals: int = 0
    won_minor: int = 0
    stale: int = 0
    overdue: int = 0

    @property
    def forecast_minor(self) -> int:
        """What the period should bring: won in full plus the weighted open deals."""
        return self.won_minor + self.weighted_minor


@dataclass(frozen=True)
class Forecast:
    by: str
    as_of: date
    won_period: str  # the period won deals are counted in, e.g. 2026 or 2026-Q4
    rows: list[ForecastRow]
    total: ForecastRow
    settings: PipelineSettings = field(repr=False)

    def row(self, key: str) -> ForecastRow:
        return next((r for r in self.rows if r.key == key), ForecastRow(key, key))

    def head(self, limit: int, noun: str) -> Forecast:
        """The first `limit` rows and one row summing the rest ("480 more owners"), the
        total unchanged: for a screen, where 500 owners would bury the other groupings."""
        if len(self.rows) <= limit + 1:
            return self
        rest = self.rows[limit:]
        more = ForecastRow(
            "more",
            f"{len(rest):,} more {noun}",
            *(sum(getattr(r, name) for r in rest) for name in _FIGURES),
        )
        return replace(self, rows=[*self.rows[:limit], more])


_FIGURES = [f.name for f in fields(ForecastRow)][2:]  # the numbers, after key and label


def _quarter_parts(column: sa.ColumnElement, dialect: str) -> list[sa.ColumnElement]:
    return periods.period_parts(column, PeriodKind.quarter, dialect)


def _groups(by: str, dated: sa.ColumnElement, dialect: str) -> list[sa.ColumnElement]:
    """What to group by, on the opportunity table alone (names are read for the groups)."""
    if by == "stage":
        return [_opp.c.stage]
    if by == "owner":
        return [_opp.c.owner_id]
    if by == "quarter":
        return _quarter_parts(dated, dialect)
    if by == "account":
        return [_opp.c.account_id]
    if by == "key":
        return [sa.case((in_key_account(), 1), else_=0)]
    if by == "region":
        return [regions.region_of_account(_opp.c.account_id)]
    raise KamError(f"cannot group the pipeline by {by!r} (one of: {', '.join(GROUPINGS)})")


def _group_key(by: str, parts: tuple) -> str:
    if by == "quarter":
        return NO_DATE if parts[0] is None else Quarter(int(parts[0]), int(parts[1])).label
    if by == "key":
        return "key" if parts[0] else "rest"
    return "" if parts[0] is None else str(parts[0])


def _labels(session: Session, by: str, keys: list[str]) -> dict[str, str]:
    if by == "stage":
        return {k: k.replace("_", " ") for k in keys}
    if by == "key":
        return {"key": "key accounts", "rest": "other accounts"}
    if by not in {"owner", "account", "region"}:
        return {k: k for k in keys}
    table = {"owner": _member, "account": _acct, "region": _region}[by]
    name = table.c.name
    ids = [uuid.UUID(k) for k in keys if k]
    labels = {"": f"({regions.NO_REGION})" if by == "region" else "(no owner)"}
    for start in range(0, len(ids), 500):
        rows = session.connection().execute(
            sa.select(table.c.id, name).where(table.c.id.in_(ids[start : start + 500]))
        )
        labels.update({str(i): n for i, n in rows})
    return labels


@reads
def forecast(session: Session, f: DealFilter, as_of: date, by: str = "stage") -> Forecast:
    """Open deals grouped by `by` (count, amount, weighted, stale, overdue) with the won deals
    of the period beside them; `f.state` is ignored (a forecast is of open and won deals).
    Two grouped statements over the opportunity table; the total is the sum of the groups."""
    conn = session.connection()
    dialect = conn.dialect.name
    settings = settings_service.load(session, PipelineSettings)
    stale = stale_condition(settings, as_of)
    overdue = overdue_condition(as_of)
    measures = [
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(_opp.c.amount_minor), 0),
        sa.func.coalesce(sa.func.sum(_opp.c.amount_minor * _opp.c.probability), 0),
        sa.func.coalesce(sa.func.sum(sa.case((stale, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((overdue, 1), else_=0)), 0),
    ]
    if f.quarter is not None:
        won_period, won_filter = f.quarter.label, f
    else:
        won_period, won_filter = str(as_of.year), replace(f, quarter=None)
    open_groups = _groups(by, _opp.c.expected_close, dialect)
    open_select = deal_conditions(
        conn, sa.select(*open_groups, *measures).select_from(_opp), f, state="open"
    )
    won_groups = _groups(by, _opp.c.closed_on, dialect)
    won_select = deal_conditions(
        conn,
        sa.select(
            *won_groups, sa.func.count(), sa.func.coalesce(sa.func.sum(_opp.c.amount_minor), 0)
        ).select_from(_opp),
        won_filter,
        state="won",
    )
    if f.quarter is None:
        won_select = won_select.where(
            _opp.c.closed_on >= date(as_of.year, 1, 1),
            _opp.c.closed_on < date(as_of.year + 1, 1, 1),
        )
    sums: dict[
        str, list[int]
    ] = {}  # key: open, amount, amount x %, stale, overdue, won, won amount
    width = len(open_groups)
    for row in conn.execute(open_select.group_by(*open_groups)):
        sums[_group_key(by, tuple(row[:width]))] = [int(v) for v in row[width:]] + [0, 0]
    for row in conn.execute(won_select.group_by(*won_groups)):
        figures = sums.setdefault(_group_key(by, tuple(row[:width])), [0] * 7)
        figures[5:7] = [int(row[width]), int(row[width + 1])]
    labels = _labels(session, by, list(sums))

    def as_row(key: str, label: str, v: list[int]) -> ForecastRow:
        return ForecastRow(key, label, v[0], v[1], weighted(v[2]), v[5], v[6], v[3], v[4])

    rows = [as_row(k, labels.get(k, k), v) for k, v in sums.items()]
    total = as_row(
        "total", "total", [sum(col) for col in zip(*sums.values(), strict=True)] or [0] * 7
    )
    return Forecast(by, as_of, won_period, _ordered(by, rows), total, settings)


def _ordered(by: str, rows: list[ForecastRow]) -> list[ForecastRow]:
    if by == "stage":
        order = {s.value: i for i, s in enumerate(OpportunityStage)}
        return sorted(rows, key=lambda r: order.get(r.key, 99))
    if by == "quarter":
        return sorted(rows, key=lambda r: (r.key == NO_DATE, r.key))
    if by == "key":
        return sorted(rows, key=lambda r: r.key != "key")
    return sorted(rows, key=lambda r: (-r.forecast_minor, r.label.casefold()))
