"""Opportunities: the pipeline, its stage settings, moves and closing, and the forecast.

The forecast is one set of SQL aggregates that the board's column headers, an account's
Pipeline tab and `kam report pipeline` all read, so their numbers agree:

- weighted pipeline = sum of amount x probability over open deals (rounded once, per row
  of the result, to whole minor units);
- won deals count separately, at their full amount, in the period being looked at (the
  quarter filtered on, else the calendar year of the as-of date);
- a deal is stale when neither its stage nor an activity logged on it moved for longer than
  its stage's threshold; overdue when it is open past its expected close date.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Session

from kam import schema
from kam.errors import InputError, InputErrors, KamError
from kam.models import (
    Account,
    AccountClassification,
    Activity,
    Opportunity,
    OpportunityStageChange,
    TeamMember,
    name_key,
)
from kam.models.base import utcnow
from kam.models.enums import (
    OPEN_STAGES,
    AccountClass,
    HistorySubject,
    OpportunityStage,
    PeriodKind,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.accounts.listing import archived_ids, like_pattern, name_contains
from kam.services.classify.pareto import ClassificationSettings
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.people import team
from kam.services.people.team import MemberChoice
from kam.services.unit import reads, writes
from kam.services.values import periods
from kam.services.values.parsing import parse_amount

_opp = Opportunity.__table__
_acct = Account.__table__
_cls = AccountClassification.__table__
_member = TeamMember.__table__
_activity = Activity.__table__

PIPELINE_KEY = "pipeline"
DEFAULT_PROBABILITY: dict[OpportunityStage, int] = {
    OpportunityStage.prospecting: 10,
    OpportunityStage.qualification: 20,
    OpportunityStage.needs_analysis: 30,
    OpportunityStage.proposal: 50,
    OpportunityStage.negotiation: 80,
    OpportunityStage.won: 100,
    OpportunityStage.lost: 0,
}
DEFAULT_STALE_DAYS = 30
CLOSED_STAGES = (OpportunityStage.won, OpportunityStage.lost)
_OPEN_VALUES = [s.value for s in OPEN_STAGES]
GROUPINGS = ("stage", "owner", "quarter", "account", "key")
STATES = ("open", "won", "lost", "closed", "all")
NO_DATE = "no date"


def stage_words(stage: OpportunityStage) -> str:
    return stage.value.replace("_", " ")


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = PIPELINE_KEY

    probability: dict[OpportunityStage, int] = field(
        default_factory=lambda: dict(DEFAULT_PROBABILITY)
    )
    stale_days: dict[OpportunityStage, int] = field(  # the open stages
        default_factory=lambda: {s: DEFAULT_STALE_DAYS for s in OPEN_STAGES}
    )

    def values(self) -> dict[str, Any]:
        """As the settings form holds them."""
        out: dict[str, Any] = {f"p_{s.value}": self.probability[s] for s in OPEN_STAGES}
        out.update({f"stale_{s.value}": self.stale_days[s] for s in OPEN_STAGES})
        return out


@reads
def pipeline_settings(session: Session) -> PipelineSettings:
    return settings_service.load(session, PipelineSettings)


@writes
def save_pipeline_settings(
    session: Session, raw: Mapping[str, Any], *, by: str
) -> PipelineSettings:
    """Read the settings form; deals whose probability follows their stage take the new
    figures at once. Won and lost stay 100 and 0."""
    errors: dict[str, str] = {}

    def number(key: str, low: int, high: int) -> int:
        text = str(raw.get(key) or "").strip().removesuffix("%").strip()
        try:
            value = int(text)
        except ValueError:
            errors[key] = f"a whole number from {low} to {high}"
            return low
        if not low <= value <= high:
            errors[key] = f"from {low} to {high}"
        return value

    probability = {s: number(f"p_{s.value}", 0, 100) for s in OPEN_STAGES}
    stale = {s: number(f"stale_{s.value}", 1, 3650) for s in OPEN_STAGES}
    if errors:
        raise InputErrors(errors)
    closed = {s: DEFAULT_PROBABILITY[s] for s in CLOSED_STAGES}
    settings_service.save(session, PipelineSettings({**probability, **closed}, stale), by=by)
    conn = session.connection()
    for stage, value in probability.items():
        conn.execute(
            _opp.update()
            .where(
                _opp.c.stage == stage.value,
                _opp.c.probability_overridden.is_(False),
                _opp.c.probability != value,
            )
            .values(probability=value, version=_opp.c.version + 1, updated_at=utcnow())
        )
    return pipeline_settings(session)


# --- what a view asks for -------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        cleaned = text.strip().upper().replace(" ", "").replace("-", "")
        year, sep, number = cleaned.partition("Q")
        if not sep or not year.isdigit() or number not in {"1", "2", "3", "4"}:
            raise InputError(f"{text!r} is not a quarter (try 2026-Q1)", "quarter")
        return cls(int(year), int(number))

    def shifted(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)


@dataclass(frozen=True)
class DealFilter:
    text: str = ""
    owner_id: uuid.UUID | None = None
    account_class: AccountClass | None = None
    tier: ValueTier | None = None
    key: bool | None = None  # key accounts only, the rest only, or both
    quarter: Quarter | None = None  # expected close (open deals) or close (closed ones)
    account_id: uuid.UUID | None = None
    stage: OpportunityStage | None = None
    state: str = "open"

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise KamError(f"deals are open, won, lost, closed or all, not {self.state!r}")


@dataclass(frozen=True)
class DealRow:
    id: uuid.UUID
    account_id: uuid.UUID
    account: str
    key_account: bool
    title: str
    category: str | None
    amount_minor: int
    stage: OpportunityStage
    probability: int
    probability_overridden: bool
    expected_close: date | None
    owner: str | None
    next_step: str | None
    next_step_due: date | None
    closed_on: date | None
    close_reason: str | None
    days_in_stage: int
    last_activity: date | None
    stale: bool
    overdue: bool

    @property
    def open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_minor(self) -> int:
        return weighted(self.amount_minor * self.probability) if self.open else 0


def weighted(amount_times_percent: int) -> int:
    """Amount x probability (in percent) as minor units, rounded half up."""
    return (int(amount_times_percent) + 50) // 100


def local_midnight_utc(day: date) -> datetime:
    """The moment the local calendar `day` starts, in UTC (how moments are stored)."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)


def _is_key() -> sa.ColumnElement[bool]:
    """For a row joined to its classification."""
    return sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))


def _in_key_account() -> sa.ColumnElement[bool]:
    """For a deal alone: its account is a key account. A set the database builds once per
    statement, rather than a join per deal."""
    return _opp.c.account_id.in_(sa.select(_cls.c.account_id).where(_is_key()))


def _live_account() -> sa.ColumnElement[bool]:
    """The deal's account is not archived (a partial index holds the few archived ones)."""
    return _opp.c.account_id.not_in(archived_ids())


def stale_condition(settings: PipelineSettings, today: date) -> sa.ColumnElement[bool]:
    """Open, and neither the stage nor an activity on the deal moved within its threshold."""
    by_stage = []
    for stage in OPEN_STAGES:
        cutoff = today - timedelta(days=settings.stale_days[stage])
        recent = sa.exists().where(
            _activity.c.opportunity_id == _opp.c.id, _activity.c.occurred_on >= cutoff
        )
        by_stage.append(
            sa.and_(
                _opp.c.stage == stage.value,
                _opp.c.stage_changed_at < local_midnight_utc(cutoff),
                ~recent,
            )
        )
    return sa.or_(*by_stage)


def _overdue(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(_opp.c.stage.in_(_OPEN_VALUES), _opp.c.expected_close < today)


def _joined() -> sa.FromClause:
    return (
        _opp.join(_acct, _acct.c.id == _opp.c.account_id)
        .outerjoin(_cls, _cls.c.account_id == _opp.c.account_id)
        .outerjoin(_member, _member.c.id == _opp.c.owner_id)
    )


def _in_quarter(quarter: Quarter, state: str) -> sa.ColumnElement[bool]:
    open_in = sa.and_(
        _opp.c.stage.in_(_OPEN_VALUES),
        _opp.c.expected_close >= quarter.start,
        _opp.c.expected_close < quarter.end,
    )
    closed_in = sa.and_(
        _opp.c.stage.not_in(_OPEN_VALUES),
        _opp.c.closed_on >= quarter.start,
        _opp.c.closed_on < quarter.end,
    )
    if state == "open":
        return open_in
    if state in {"won", "lost", "closed"}:
        return closed_in
    return sa.or_(open_in, closed_in)


def _where(
    conn: sa.Connection, select: sa.Select, f: DealFilter, *, state: str | None = None
) -> sa.Select:
    """The filter as conditions on the opportunity table alone: what it needs of accounts
    and their classification comes in as sets, so counts and totals read no other rows."""
    state = state or f.state
    if f.account_id is not None:
        select = select.where(_opp.c.account_id == f.account_id)
    else:
        select = select.where(_live_account())
    if state == "open":
        select = select.where(_opp.c.stage.in_(_OPEN_VALUES))
    elif state in {"won", "lost"}:
        select = select.where(_opp.c.stage == state)
    elif state == "closed":
        select = select.where(_opp.c.stage.not_in(_OPEN_VALUES))
    if f.stage is not None:
        select = select.where(_opp.c.stage == f.stage.value)
    if f.text.strip():
        named = sa.select(_acct.c.id).where(name_contains(conn, f.text))
        select = select.where(
            sa.or_(
                _opp.c.account_id.in_(named),
                sa.func.lower(_opp.c.title).like(like_pattern(f.text), escape="\\"),
            )
        )
    if f.owner_id is not None:
        select = select.where(_opp.c.owner_id == f.owner_id)
    if f.account_class is not None or f.tier is not None:
        classified = sa.select(_cls.c.account_id)
        if f.account_class is not None:
            classified = classified.where(_cls.c.account_class == f.account_class.value)
        if f.tier is not None:
            classified = classified.where(_cls.c.tier == f.tier.value)
        select = select.where(_opp.c.account_id.in_(classified))
    if f.key is not None:
        select = select.where(_in_key_account() if f.key else sa.not_(_in_key_account()))
    if f.quarter is not None:
        select = select.where(_in_quarter(f.quarter, state))
    return select


# --- lists ------------------------------------------------------------------------------------

_STAGE_ORDER = sa.case(
    {s.value: i for i, s in enumerate(OpportunityStage)}, value=_opp.c.stage, else_=99
)
SORTS: dict[str, tuple[Any, ...]] = {
    "amount": (_opp.c.amount_minor,),
    "weighted": (_opp.c.amount_minor * _opp.c.probability,),
    "probability": (_opp.c.probability, _opp.c.amount_minor),
    "close": (_opp.c.expected_close,),
    "stage": (_STAGE_ORDER, _opp.c.amount_minor),
    "account": (_acct.c.name_key,),
    "title": (sa.func.lower(_opp.c.title),),
    "owner": (_member.c.name,),
    "days": (_opp.c.stage_changed_at,),  # days in stage: the oldest change has the most
}
# Sorted this way, larger figures come first when the list is "descending".
_INVERTED = {"days"}


@reads
def count_deals(session: Session, f: DealFilter) -> int:
    conn = session.connection()
    return int(
        conn.execute(_where(conn, sa.select(sa.func.count()).select_from(_opp), f)).scalar_one()
    )


@reads
def list_deals(
    session: Session,
    f: DealFilter,
    today: date,
    offset: int = 0,
    limit: int = 100,
    *,
    sort: str = "amount",
    descending: bool = True,
) -> list[DealRow]:
    if sort not in SORTS:
        raise KamError(f"cannot sort deals by {sort!r}")
    settings = pipeline_settings(session)
    descending = descending != (sort in _INVERTED)
    order = []
    for column in SORTS[sort]:
        term = column.desc() if descending else column.asc()
        order.append(term.nulls_last())
    conn = session.connection()
    select = _where(conn, _row_select(), f).order_by(*order, _opp.c.id).offset(offset).limit(limit)
    rows = conn.execute(select).all()
    return [_row(r, settings, today) for r in rows]


def first_cards(
    session: Session, f: DealFilter, today: date, limit: int = 100
) -> dict[OpportunityStage, list[DealRow]]:
    """The first `limit` open deals of every stage, largest first (a board's columns). With
    a text filter, one statement, so the names are matched once rather than per column;
    without, one index walk per column, which stops at `limit` deals."""
    if not f.text.strip():
        return {
            stage: list_deals(session, replace(f, stage=stage), today, 0, limit)
            for stage in OPEN_STAGES
        }
    settings = pipeline_settings(session)
    place = sa.func.row_number().over(
        partition_by=_opp.c.stage, order_by=(_opp.c.amount_minor.desc(), _opp.c.id)
    )
    ranked = _where(
        session.connection(),
        sa.select(_opp.c.id.label("deal_id"), place.label("place")).select_from(_opp),
        f,
        state="open",
    ).subquery()
    select = (
        _row_select()
        .join(ranked, ranked.c.deal_id == _opp.c.id)
        .where(ranked.c.place <= limit)
        .order_by(_opp.c.stage, ranked.c.place)
    )
    cards: dict[OpportunityStage, list[DealRow]] = {s: [] for s in OPEN_STAGES}
    for r in session.connection().execute(select):
        row = _row(r, settings, today)
        cards[row.stage].append(row)
    return cards


def _row_select() -> sa.Select:
    """A deal as a list shows it, with its account, owner and last activity."""
    last_activity = (
        sa.select(sa.func.max(_activity.c.occurred_on))
        .where(_activity.c.opportunity_id == _opp.c.id)
        .scalar_subquery()
    )
    return sa.select(
        _opp.c.id,
        _opp.c.account_id,
        _acct.c.name.label("account"),
        sa.func.coalesce(_is_key(), False).label("key_account"),
        _opp.c.title,
        _opp.c.category,
        _opp.c.amount_minor,
        _opp.c.stage,
        _opp.c.probability,
        _opp.c.probability_overridden,
        _opp.c.expected_close,
        _member.c.name.label("owner"),
        _opp.c.next_step,
        _opp.c.next_step_due,
        _opp.c.closed_on,
        _opp.c.close_reason,
        _opp.c.stage_changed_at,
        last_activity.label("last_activity"),
    ).select_from(_joined())


def _row(r: Any, settings: PipelineSettings, today: date) -> DealRow:
    stage = OpportunityStage(r.stage)
    changed_on = r.stage_changed_at.astimezone().date()
    days = max(0, (today - changed_on).days)
    touched = max(changed_on, r.last_activity) if r.last_activity else changed_on
    is_open = stage in OPEN_STAGES
    return DealRow(
        id=r.id,
        account_id=r.account_id,
        account=r.account,
        key_account=bool(r.key_account),
        title=r.title,
        category=r.category,
        amount_minor=int(r.amount_minor),
        stage=stage,
        probability=int(r.probability),
        probability_overridden=bool(r.probability_overridden),
        expected_close=r.expected_close,
        owner=r.owner,
        next_step=r.next_step,
        next_step_due=r.next_step_due,
        closed_on=r.closed_on,
        close_reason=r.close_reason,
        days_in_stage=days,
        last_activity=r.last_activity,
        stale=is_open and (today - touched).days > settings.stale_days[stage],
        overdue=is_open and r.expected_close is not None and r.expected_close < today,
    )


def deal_position(session: Session, f: DealFilter, deal_id: uuid.UUID) -> int | None:
    """Where a deal stands in a list sorted by amount, largest first (a board column)."""
    deal = session.get(Opportunity, deal_id)
    if deal is None:
        return None
    ahead = sa.or_(
        _opp.c.amount_minor > deal.amount_minor,
        sa.and_(_opp.c.amount_minor == deal.amount_minor, _opp.c.id < deal.id),
    )
    conn = session.connection()
    select = _where(conn, sa.select(sa.func.count()).select_from(_opp), f).where(ahead)
    return int(conn.execute(select).scalar_one())


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
        return [sa.case((_in_key_account(), 1), else_=0)]
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
    if by not in {"owner", "account"}:
        return {k: k for k in keys}
    table, name = (_member, _member.c.name) if by == "owner" else (_acct, _acct.c.name)
    ids = [uuid.UUID(k) for k in keys if k]
    labels = {"": "(no owner)"}
    for start in range(0, len(ids), 500):
        rows = session.connection().execute(
            sa.select(table.c.id, name).where(table.c.id.in_(ids[start : start + 500]))
        )
        labels.update({str(i): n for i, n in rows})
    return labels


@reads
def forecast(session: Session, f: DealFilter, today: date, by: str = "stage") -> Forecast:
    """Open deals grouped by `by` (count, amount, weighted, stale, overdue) with the won deals
    of the period beside them; `f.state` is ignored (a forecast is of open and won deals).
    Two grouped statements over the opportunity table; the total is the sum of the groups."""
    conn = session.connection()
    dialect = conn.dialect.name
    settings = pipeline_settings(session)
    stale = stale_condition(settings, today)
    overdue = _overdue(today)
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
        won_period, won_filter = str(today.year), replace(f, quarter=None)
    open_groups = _groups(by, _opp.c.expected_close, dialect)
    open_select = _where(
        conn, sa.select(*open_groups, *measures).select_from(_opp), f, state="open"
    )
    won_groups = _groups(by, _opp.c.closed_on, dialect)
    won_select = _where(
        conn,
        sa.select(
            *won_groups, sa.func.count(), sa.func.coalesce(sa.func.sum(_opp.c.amount_minor), 0)
        ).select_from(_opp),
        won_filter,
        state="won",
    )
    if f.quarter is None:
        won_select = won_select.where(
            _opp.c.closed_on >= date(today.year, 1, 1),
            _opp.c.closed_on < date(today.year + 1, 1, 1),
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
    return Forecast(by, today, won_period, _ordered(by, rows), total, settings)


def _ordered(by: str, rows: list[ForecastRow]) -> list[ForecastRow]:
    if by == "stage":
        order = {s.value: i for i, s in enumerate(OpportunityStage)}
        return sorted(rows, key=lambda r: order.get(r.key, 99))
    if by == "quarter":
        return sorted(rows, key=lambda r: (r.key == NO_DATE, r.key))
    if by == "key":
        return sorted(rows, key=lambda r: r.key != "key")
    return sorted(rows, key=lambda r: (-r.forecast_minor, r.label.casefold()))


# --- writing ----------------------------------------------------------------------------------

# The fields of the deal form, in its order; `account` only when the account is not known.
DEAL_FIELDS = (
    "title",
    "category",
    "amount_minor",
    "stage",
    "probability_override",
    "expected_close",
    "impact_months",
    "buying_factor",
    "owner_id",
    "next_step",
    "next_step_due",
    "close_reason",
)


def deal_values(deal: Opportunity) -> dict[str, Any]:
    values = {f: getattr(deal, f) for f in DEAL_FIELDS if hasattr(deal, f)}
    values["probability_override"] = deal.probability if deal.probability_overridden else None
    return values


def _subject(deal: Opportunity) -> history.Subject:
    return history.Subject(deal.account_id, HistorySubject.opportunity, deal.id, deal.title)


def _get(session: Session, deal_id: uuid.UUID) -> Opportunity:
    deal = session.get(Opportunity, deal_id, with_for_update=True)
    if deal is None:
        raise KamError("that deal no longer exists")
    return deal


def read_deal_form(
    session: Session, raw: Mapping[str, Any], *, current: Opportunity | None = None
) -> dict[str, Any]:
    r = FormReader(raw)
    values: dict[str, Any] = r.values(
        schema.DEAL, "title", "category", "stage", "expected_close", "buying_factor",
        "next_step", "next_step_due", "close_reason",
    )  # fmt: skip
    values["owner_id"] = r.reference(
        "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
    )
    try:
        amount = parse_amount(str(raw.get("amount_minor") or ""), "amount")
        if amount < 0:
            r.fail("amount_minor", "an amount cannot be negative")
        values["amount_minor"] = amount
    except InputError as exc:
        r.fail("amount_minor", str(exc).removeprefix("amount: "))
    values["probability_override"] = _percent(r, "probability_override")
    months = str(raw.get("impact_months") or "").strip()
    if not months:
        values["impact_months"] = 12
    elif not months.isdigit() or int(months) > 600:
        r.fail("impact_months", "months as a whole number, e.g. 12")
    else:
        values["impact_months"] = int(months)
    stage = values["stage"]
    if current is not None and current.stage in CLOSED_STAGES and stage != current.stage:
        r.fail(
            "stage",
            f"this deal is closed ({current.stage.value} on {current.closed_on}); "
            "a closed deal does not move",
        )
    elif stage in CLOSED_STAGES and not values["close_reason"]:
        r.fail("close_reason", f"say why the deal was {stage.value}")
    r.check()
    return values


def _percent(r: FormReader, key: str) -> int | None:
    text = str(r.raw.get(key) or "").strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        r.fail(key, "a probability from 0 to 100, or blank to follow the stage")
        return None
    if not 0 <= value <= 100 or value != int(value):
        r.fail(key, "a whole number from 0 to 100, or blank to follow the stage")
        return None
    return int(value)


def _apply_probability(deal: Opportunity, override: int | None, settings: PipelineSettings) -> None:
    if deal.stage in CLOSED_STAGES:
        deal.probability, deal.probability_overridden = DEFAULT_PROBABILITY[deal.stage], False
    elif override is not None:
        deal.probability, deal.probability_overridden = override, True
    else:
        deal.probability = settings.probability[deal.stage]
        deal.probability_overridden = False


def _member_named(session: Session, name: str) -> uuid.UUID | None:
    return (
        session.connection()
        .execute(sa.select(_member.c.id).where(_member.c.name == name).limit(1))
        .scalar()
    )


def _record_stage(
    session: Session,
    deal: Opportunity,
    old: OpportunityStage | None,
    user: str,
    today: date,
) -> None:
    """A stage change: a row in the deal's stage path, a line in the account's history."""
    now = utcnow()
    session.add(
        OpportunityStageChange(
            opportunity_id=deal.id,
            from_stage=old,
            to_stage=deal.stage,
            changed_at=now,
            changed_by_id=_member_named(session, user),
            changed_by=user[:120],
        )
    )
    deal.stage_changed_at = now
    if deal.stage in CLOSED_STAGES:
        deal.closed_on = deal.closed_on or today
        deal.next_step_due = None
    if old is not None:
        history.record(session, _subject(deal), "stage", old, deal.stage, user)


def account_by_name(session: Session, name: str) -> uuid.UUID:
    key = name_key(name or "")
    if not key:
        raise InputError("which account is the deal with?", "account")
    found = (
        session.connection()
        .execute(
            sa.select(_acct.c.id).where(_acct.c.name_key == key, _acct.c.archived_at.is_(None))
        )
        .scalars()
        .all()
    )
    if not found:
        raise InputError(f"no account is named {name.strip()!r}", "account")
    return found[0]


@writes
def create_deal(
    session: Session,
    account_id: uuid.UUID | None,
    raw: Mapping[str, Any],
    user: str,
    today: date,
) -> Opportunity:
    errors: dict[str, str] = {}
    if account_id is None:
        try:
            account_id = account_by_name(session, str(raw.get("account") or ""))
        except InputError as exc:
            errors["account"] = str(exc)
    elif session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    try:
        values = read_deal_form(session, raw)
    except InputErrors as exc:
        raise InputErrors({**errors, **exc.errors}) from None
    if errors:
        raise InputErrors(errors)
    override = values.pop("probability_override")
    deal = Opportunity(account_id=account_id, opened_on=today, **values)
    _apply_probability(deal, override, pipeline_settings(session))
    session.add(deal)
    session.flush()
    _record_stage(session, deal, None, user, today)
    history.record(session, _subject(deal), history.CREATED, None, deal.title, user)
    session.flush()
    return deal


def open_deal_form(session: Session, deal_id: uuid.UUID) -> Base:
    deal = session.get(Opportunity, deal_id)
    if deal is None:
        raise KamError("that deal no longer exists")
    return Base(deal.version, deal_values(deal))


def _readable(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "owner_id" in out:
        member = session.get(TeamMember, out["owner_id"]) if out["owner_id"] else None
        out["owner_id"] = member.name if member else None
    if "amount_minor" in out:
        out["amount_minor"] = f"{out['amount_minor'] / 100:,.2f}"
    return {k.removesuffix("_id").removesuffix("_minor"): v for k, v in out.items()}


@writes
def update_deal(
    session: Session,
    deal_id: uuid.UUID,
    base: Base,
    raw: Mapping[str, Any],
    user: str,
    today: date,
) -> Opportunity:
    deal = _get(session, deal_id)
    mine = read_deal_form(session, raw, current=deal)
    current = Base(deal.version, deal_values(deal))
    changes = merge(base, current, mine)
    if not changes:
        return deal
    old_stage = deal.stage
    if old_stage in CLOSED_STAGES and changes.get("stage", old_stage) != old_stage:
        raise InputErrors({"stage": "a closed deal does not move"})
    before = _readable(session, {k: current.values[k] for k in changes if k != "stage"})
    for name, value in changes.items():
        if name != "probability_override":
            setattr(deal, name, value)
    override = changes.get("probability_override", current.values["probability_override"])
    _apply_probability(deal, override, pipeline_settings(session))
    if deal.stage != old_stage:
        _record_stage(session, deal, old_stage, user, today)
    after = _readable(session, {k: v for k, v in changes.items() if k != "stage"})
    history.record_changes(session, _subject(deal), before, after, user)
    session.flush()
    return deal


@dataclass(frozen=True)
class Moved:
    """A deal after a stage move or a close: `id` as on the deal itself, so a screen that
    keeps its cursor on a saved deal treats both alike."""

    id: uuid.UUID
    title: str
    stage: OpportunityStage


@writes
def move_deal(session: Session, deal_id: uuid.UUID, step: int, user: str, today: date) -> Moved:
    """One open stage forward (step 1) or back (-1). Closing is `close_deal`, with a reason."""
    deal = _get(session, deal_id)
    if deal.stage in CLOSED_STAGES:
        raise KamError(f"{deal.title!r} is {deal.stage.value}: a closed deal does not move")
    index = OPEN_STAGES.index(deal.stage) + step
    if index < 0:
        raise KamError(f"{deal.title!r} is at the first stage already")
    if index >= len(OPEN_STAGES):
        raise KamError(f"{deal.title!r} is in negotiation: W marks it won, L lost")
    old = deal.stage
    deal.stage = OPEN_STAGES[index]
    if not deal.probability_overridden:
        deal.probability = pipeline_settings(session).probability[deal.stage]
    _record_stage(session, deal, old, user, today)
    session.flush()
    return Moved(deal.id, deal.title, deal.stage)


@writes
def close_deal(
    session: Session,
    deal_id: uuid.UUID,
    raw: Mapping[str, Any],
    *,
    won: bool,
    user: str,
    today: date,
) -> Moved:
    """Mark a deal won or lost: a reason is required; closed on today unless given."""
    deal = _get(session, deal_id)
    if deal.stage in CLOSED_STAGES:
        raise KamError(f"{deal.title!r} is {deal.stage.value} already")
    r = FormReader(raw, today)
    outcome = "won" if won else "lost"
    reason = r.text("close_reason", limit=500, required=f"say why the deal was {outcome}")
    closed_on = r.day("closed_on", not_after=today) or today
    if closed_on < deal.opened_on:
        r.fail("closed_on", f"the deal was opened on {deal.opened_on}")
    r.check()
    old = deal.stage
    deal.stage = OpportunityStage.won if won else OpportunityStage.lost
    deal.close_reason = reason
    deal.closed_on = closed_on
    _apply_probability(deal, None, pipeline_settings(session))
    _record_stage(session, deal, old, user, today)
    history.record(session, _subject(deal), "close reason", None, reason, user)
    session.flush()
    return Moved(deal.id, deal.title, deal.stage)


@writes
def remove_deal(session: Session, deal_id: uuid.UUID, user: str) -> None:
    """For a deal entered by mistake; a deal that did not happen is rather marked lost."""
    deal = _get(session, deal_id)
    history.record(session, _subject(deal), history.REMOVED, deal.title, None, user)
    session.delete(deal)
    session.flush()


@dataclass(frozen=True)
class StageStep:
    from_stage: OpportunityStage | None
    to_stage: OpportunityStage
    changed_at: datetime
    changed_by: str | None


def stage_paths(session: Session, deal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StageStep]]:
    """Each deal's stage changes, oldest first."""
    table = OpportunityStageChange.__table__
    paths: dict[uuid.UUID, list[StageStep]] = {deal: [] for deal in deal_ids}
    for start in range(0, len(deal_ids), 500):
        rows = session.connection().execute(
            sa.select(
                table.c.opportunity_id,
                table.c.from_stage,
                table.c.to_stage,
                table.c.changed_at,
                table.c.changed_by,
            )
            .where(table.c.opportunity_id.in_(deal_ids[start : start + 500]))
            .order_by(table.c.changed_at, table.c.id)
        )
        for r in rows:
            paths[r.opportunity_id].append(
                StageStep(
                    OpportunityStage(r.from_stage) if r.from_stage else None,
                    OpportunityStage(r.to_stage),
                    r.changed_at,
                    r.changed_by,
                )
            )
    return paths


def stage_path(session: Session, deal_id: uuid.UUID) -> list[StageStep]:
    return stage_paths(session, [deal_id])[deal_id]


@dataclass(frozen=True)
class DealForm:
    members: list[MemberChoice]
    settings: PipelineSettings
    owner: uuid.UUID | None = None  # who a new deal's owner is at first
    base: Base | None = None  # the deal as it was when an edit opened


@reads
def deal_form(
    session: Session,
    deal_id: uuid.UUID | None = None,
    *,
    user: str = "",
    owner_id: uuid.UUID | None = None,
) -> DealForm:
    """What a deal's form offers: the team and the stage probabilities; for a new deal its
    owner (`owner_id`, else `user` when on the team list), for an edit the deal itself."""
    settings = pipeline_settings(session)
    if deal_id is not None:
        base = open_deal_form(session, deal_id)
        return DealForm(
            team.members(session, include=base.values["owner_id"]), settings, None, base
        )
    members = team.members(session)
    me = next((m.id for m in members if m.name == user), None)
    return DealForm(members, settings, owner_id or me)


# --- what the pipeline screen asks for in one read or write -----------------------------------


@reads
def board_pages(
    session: Session,
    f: DealFilter,
    today: date,
    size: int,
    cursors: dict[OpportunityStage, int],
) -> dict[OpportunityStage, tuple[int, list[DealRow]]]:
    """For each stage's column, the page its cursor is on and that page's cards."""
    firsts = first_cards(session, f, today, size)
    pages = {}
    for stage, cursor in cursors.items():
        page = cursor // size
        if page:  # a column scrolled down: the page its cursor is on
            rows = list_deals(session, replace(f, stage=stage), today, page * size, size)
        else:
            rows = firsts[stage]
        pages[stage] = (page, rows)
    return pages


@writes
def move_on_board(
    session: Session, deal_id: uuid.UUID, step: int, user: str, today: date, f: DealFilter
) -> tuple[Moved, int | None]:
    """Move a deal one stage, and say where it now is in its new column under `f`."""
    moved = move_deal(session, deal_id, step, user, today)
    return moved, deal_position(session, replace(f, stage=moved.stage), deal_id)


@reads
def filter_choices(session: Session) -> tuple[list[MemberChoice], dict[ValueTier, str]]:
    """The people and the tier names the pipeline's filters offer."""
    labels = settings_service.load(session, ClassificationSettings).tier_labels
    return team.members(session), dict(labels)
