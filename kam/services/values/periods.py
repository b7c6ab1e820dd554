"""Calendar years and quarters: naming them, reading them, and grouping dated rows by them in SQL
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from kam.errors import InputError
from kam.models.enums import PeriodKind


@dataclass(frozen=True, order=True)
class Period:
    start: date
    kind: PeriodKind

    @property
    def end(self) -> date:
        """The first day after the period."""
        return _shift(self.start, 12 if self.kind == PeriodKind.year else 3)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.year:
            return str(self.start.year)
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def previous(self) -> Period:
        return Period(_shift(self.start, -12 if self.kind == PeriodKind.year else -3), self.kind)

    def elapsed(self, as_of: date) -> float:
        """The part of the period before `as_of` (1.0 once it is over, 0.0 before it starts)."""
        if as_of >= self.end:
            return 1.0
        if as_of <= self.start:
            return 0.0
        return (as_of - self.start).days / (self.end - self.start).days

    def __str__(self) -> str:
        return self.label


def run_rate(amount: int, period: Period, as_of: date) -> int:
    """`amount` so far scaled to the whole period while it runs (the amount itself once it
    is over): how a running year or quarter is compared with a whole one, everywhere."""
    part = period.elapsed(as_of)
    if part >= 1.0 or part <= 0.0:
        return amount
    return round(amount / part)


def _shift(first_of_month: date, months: int) -> date:
    """The first of the month `months` away (periods start on the first of a month)."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(day: date, kind: PeriodKind) -> Period:
    if kind == PeriodKind.year:
        return Period(date(day.year, 1, 1), kind)
    return Period(date(day.year, (day.month - 1) // 3 * 3 + 1, 1), kind)


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$|^Q([1-4])\s*-?\s*(\d{4})$", re.IGNORECASE)


def parse_period(text: str, field: str = "period") -> Period:
    """`2026` (a year) or `2026-Q3`, `2026 Q3`, `Q3 2026` (a quarter)."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise InputError(f"{field}: a year (2026) or a quarter (2026-Q3) is required", field)
    if m := _YEAR.match(cleaned):
        year = int(m.group(1))
        if 1900 <= year <= 2200:
            return Period(date(year, 1, 1), PeriodKind.year)
    elif m := _QUARTER.match(cleaned):
        year = int(m.group(1) or m.group(4))
        quarter = int(m.group(2) or m.group(3))
        if 1900 <= year <= 2200:
            return Period(date(year, 3 * quarter - 2, 1), PeriodKind.quarter)
    raise InputError(f"{field}: {cleaned!r} is not a year (2026) or a quarter (2026-Q3)", field)


def year_of(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    if dialect == "sqlite":
        return sa.cast(sa.func.strftime("%Y", column), sa.Integer)
    return sa.cast(sa.extract("year", column), sa.Integer)


def quarter_of(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    if dialect == "sqlite":
        return (sa.cast(sa.func.strftime("%m", column), sa.Integer) + 2) // 3
    return sa.cast(sa.extract("quarter", column), sa.Integer)


def period_parts(column: sa.ColumnElement, kind: PeriodKind, dialect: str) -> list:
    """Columns that name the period a date falls in: [year] or [year, quarter]."""
    if kind == PeriodKind.year:
        return [year_of(column, dialect)]
    return [year_of(column, dialect), quarter_of(column, dialect)]


def period_from_parts(kind: PeriodKind, year: int, quarter: int | None = None) -> Period:
    if kind == PeriodKind.year:
        return Period(date(int(year), 1, 1), kind)
    return Period(date(int(year), 3 * int(quarter or 1) - 2, 1), kind)
