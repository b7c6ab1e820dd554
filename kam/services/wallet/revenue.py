"""Revenue lines: what each account bought, and what it cost us to serve."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from kam.errors import InputError
from kam.models import Account, RevenueLine
from kam.models.enums import PeriodKind
from kam.services import settings as settings_service
from kam.services.values.parsing import MAX_AMOUNT_MINOR
from kam.services.values.periods import period_of, run_rate


@dataclass(frozen=True)
class RevenueYear:
    year: int
    revenue_minor: int
    cost_minor: int
    growth: float | None  # against the year before; a running year at its run rate
    running: bool  # the year is not over on the reference date

    @property
    def margin(self) -> float | None:
        return (
            (self.revenue_minor - self.cost_minor) / self.revenue_minor
            if self.revenue_minor
            else None
        )


def revenue_years(by_year: list[tuple[int, int, int]], as_of: date) -> list[RevenueYear]:
    """Each year's revenue, cost and growth. A year still running is compared at its run
    rate (so far, scaled to the whole year), as the wallet compares it, never eleven months
    against twelve."""
    rows, previous = [], None
    for year, revenue, cost in by_year:
        period = period_of(date(year, 1, 1), PeriodKind.year)
        running = period.elapsed(as_of) < 1.0
        now = run_rate(revenue, period, as_of) if running else revenue
        growth = now / previous - 1 if previous else None
        rows.append(RevenueYear(year, revenue, cost, growth, running))
        previous = revenue
    return rows


def add_revenue(
    session: Session,
    account_id: uuid.UUID,
    booked_on: date,
    amount_minor: int,
    *,
    cost_minor: int = 0,
    category: str = "General",
) -> RevenueLine:
    if session.get(Account, account_id) is None:
        raise InputError("account: no such account", "account")
    # A negative amount is a credit note, standing against the sales it corrects.
    if max(abs(amount_minor), cost_minor) > MAX_AMOUNT_MINOR:
        raise InputError(f"amount: more than {MAX_AMOUNT_MINOR // 100:,}", "amount")
    if cost_minor < 0:
        raise InputError("cost: must not be negative", "cost")
    category = " ".join((category or "").split())
    if not category:
        raise InputError("category: a revenue line needs a category", "category")
    line = RevenueLine(
        account_id=account_id,
        booked_on=booked_on,
        amount_minor=amount_minor,
        cost_minor=cost_minor,
        category=category,
    )
    session.add(line)
    session.flush()
    settings_service.bump_data_version(session)
    return line
