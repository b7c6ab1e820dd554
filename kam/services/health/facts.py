"""What every signal reads before it judges: the request (which accounts, as of when), the
facts all signals share (revenue and classification), and who is watched.

Each signal reads its own facts for the whole portfolio (or the accounts asked for) in one
grouped query; these are the ones several of them need.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from kam.models import AccountClassification, RevenueLine
from kam.models.enums import AccountClass
from kam.services.sql.bulk import id_forms

if TYPE_CHECKING:
    from kam.services.health.model import HealthSettings

_cls = AccountClassification.__table__
_rev = RevenueLine.__table__

NO_REVENUE = (0, 0, 0, 0)


def clamp(value: float) -> int:
    """A score: rounded, between 0 and 100."""
    return round(max(0.0, min(100.0, value)))


@dataclass
class Ask:
    """One reading of the facts: the session, the date, the settings, and the accounts (None:
    the whole portfolio). `key` reads an account id column in the form the facts are keyed by;
    `key_of` turns a UUID into that form."""

    session: Session
    as_of: date
    settings: HealthSettings
    accounts: list[uuid.UUID] | None
    key: Callable[[Any], Any] = field(init=False)
    key_of: Callable[[Any], Any] = field(init=False)

    def __post_init__(self) -> None:
        self.key, self.key_of = id_forms(self.session.connection())

    @property
    def conn(self) -> sa.Connection:
        return self.session.connection()

    def scope(self, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        """Every account, or only those asked for."""
        return scope(column, self.accounts)


def scope(column: sa.ColumnElement, accounts: list[uuid.UUID] | None) -> sa.ColumnElement[bool]:
    if accounts is None:
        return sa.true()
    return column == accounts[0] if len(accounts) == 1 else column.in_(accounts)


@dataclass
class Shared:
    """The facts several signals need, per account."""

    # revenue in the last 12 months, the 12 before, the last 3 months, the same 3 a year before
    revenue: dict[Any, tuple[int, int, int, int]] = field(default_factory=dict)
    tiers: dict[Any, tuple[str, str, bool]] = field(default_factory=dict)  # class, tier, strategic


@dataclass(frozen=True)
class Seen:
    """One account as every signal sees it: its shared facts, the date and the settings."""

    account: Any
    as_of: date
    settings: HealthSettings
    revenue: tuple[int, int, int, int]
    tier: str


def read_shared(ask: Ask) -> Shared:
    shared = Shared()
    as_of = ask.as_of
    year_ago = as_of - relativedelta(years=1)
    two_years = as_of - relativedelta(years=2)
    quarter = as_of - relativedelta(months=3)
    quarter_year_ago = year_ago - relativedelta(months=3)
    booked, amount = _rev.c.booked_on, _rev.c.amount_minor

    def total(after: date, until: date) -> Any:
        return sa.func.sum(sa.case((sa.and_(booked > after, booked <= until), amount), else_=0))

    for row in ask.conn.execute(
        sa.select(
            ask.key(_rev.c.account_id),
            total(year_ago, as_of),
            total(two_years, year_ago),
            total(quarter, as_of),
            total(quarter_year_ago, year_ago),
        )
        .where(ask.scope(_rev.c.account_id), booked > two_years, booked <= as_of)
        .group_by(_rev.c.account_id)
    ):
        shared.revenue[row[0]] = (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
    for account, cls, tier, strategic in ask.conn.execute(
        sa.select(
            ask.key(_cls.c.account_id), _cls.c.account_class, _cls.c.tier, _cls.c.strategic
        ).where(ask.scope(_cls.c.account_id))
    ):
        shared.tiers[account] = (cls, tier, bool(strategic))
    return shared


SLIPPED = 0.7  # a former major account whose revenue fell below this part of it is watched


def slipped(revenue: tuple[int, int, int, int], floor: int | None) -> bool:
    """Worth a major account's revenue in the year before, and down by 30% or more since."""
    year, year_before = revenue[0], revenue[1]
    return floor is not None and year_before >= floor and year < year_before * SLIPPED


def major_floor(session: Session) -> int | None:
    """The smallest revenue of a core or major account now: the last major account in the
    classification's order (revenue, highest first), or the last core one when no account is
    major. Read through the class-order index: one row, not every key account."""
    conn = session.connection()
    classes = list(AccountClass)
    for account_class in (AccountClass.major, AccountClass.core):
        revenue = conn.execute(
            sa.select(_cls.c.revenue_minor)
            .where(
                _cls.c.class_order == classes.index(account_class),
                _cls.c.revenue_minor > 0,
            )
            .order_by(_cls.c.position.desc())
            .limit(1)
        ).scalar()
        if revenue is not None:
            return int(revenue)
    return None


def population(shared: Shared, floor: int | None, archived: set[Any], lost: set[Any]) -> list:
    """Key accounts now, and those that were as valuable in the year before and slipped (not
    those marked lost: their win-back plan takes over), among the accounts the facts cover."""
    watched = []
    for account, (cls, _tier, strategic) in shared.tiers.items():
        if account in archived:
            continue
        key_now = cls != AccountClass.general.value or strategic
        slipping = account not in lost and slipped(shared.revenue.get(account, NO_REVENUE), floor)
        if key_now or slipping:
            watched.append(account)
    return watched
