"""What a pipeline view asks for (a quarter, an owner, a tier, a state, a word) and the SQL
conditions that select it, which the lists, the board and the forecast share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    AccountClassification,
    Activity,
    Opportunity,
    TeamMember,
)
from kam.models.enums import (
    OPEN_STAGES,
    AccountClass,
    OpportunityStage,
    ValueTier,
)
from kam.services.accounts.listing import archived_ids, like_pattern, name_contains
from kam.services.accounts.regions import Scope
from kam.services.pipeline.stages import OPEN_VALUES, STATES, PipelineSettings

_opp = Opportunity.__table__
_acct = Account.__table__
_cls = AccountClassification.__table__
_member = TeamMember.__table__
_activity = Activity.__table__


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
    region: Scope | None = None  # a region's (with its territories') accounts only

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


def is_key() -> sa.ColumnElement[bool]:
    """For a row joined to its classification."""
    return sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))


def in_key_account() -> sa.ColumnElement[bool]:
    """For a deal alone: its account is a key account. A set the database builds once per
    statement, rather than a join per deal."""
    return _opp.c.account_id.in_(sa.select(_cls.c.account_id).where(is_key()))


def _live_account() -> sa.ColumnElement[bool]:
    """The deal's account is not archived (a partial index holds the few archived ones)."""
    return _opp.c.account_id.not_in(archived_ids())


def stale_condition(settings: PipelineSettings, as_of: date) -> sa.ColumnElement[bool]:
    """Open, and neither the stage nor an activity on the deal moved within its threshold."""
    by_stage = []
    for stage in OPEN_STAGES:
        cutoff = as_of - timedelta(days=settings.stale_days[stage])
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


def overdue_condition(as_of: date) -> sa.ColumnElement[bool]:
    return sa.and_(_opp.c.stage.in_(OPEN_VALUES), _opp.c.expected_close < as_of)


def joined_tables() -> sa.FromClause:
    return (
        _opp.join(_acct, _acct.c.id == _opp.c.account_id)
        .outerjoin(_cls, _cls.c.account_id == _opp.c.account_id)
        .outerjoin(_member, _member.c.id == _opp.c.owner_id)
    )


def _in_quarter(quarter: Quarter, state: str) -> sa.ColumnElement[bool]:
    open_in = sa.and_(
        _opp.c.stage.in_(OPEN_VALUES),
        _opp.c.expected_close >= quarter.start,
        _opp.c.expected_close < quarter.end,
    )
    closed_in = sa.and_(
        _opp.c.stage.not_in(OPEN_VALUES),
        _opp.c.closed_on >= quarter.start,
        _opp.c.closed_on < quarter.end,
    )
    if state == "open":
        return open_in
    if state in {"won", "lost", "closed"}:
        return closed_in
    return sa.or_(open_in, closed_in)


def deal_conditions(
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
        select = select.where(_opp.c.stage.in_(OPEN_VALUES))
    elif state in {"won", "lost"}:
        select = select.where(_opp.c.stage == state)
    elif state == "closed":
        select = select.where(_opp.c.stage.not_in(OPEN_VALUES))
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
    if f.region is not None:
        select = select.where(_opp.c.account_id.in_(f.region.accounts()))
    if f.account_class is not None or f.tier is not None:
        classified = sa.select(_cls.c.account_id)
        if f.account_class is not None:
            classified = classified.where(_cls.c.account_class == f.account_class.value)
        if f.tier is not None:
            classified = classified.where(_cls.c.tier == f.tier.value)
        select = select.where(_opp.c.account_id.in_(classified))
    if f.key is not None:
        select = select.where(in_key_account() if f.key else sa.not_(in_key_account()))
    if f.quarter is not None:
        select = select.where(_in_quarter(f.quarter, state))
    return select
