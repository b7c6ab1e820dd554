"""Review weeks (ISO weeks, as a team says them: 2026-W48) and the team's review settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

from sqlmodel import Session

from kam.errors import InputError
from kam.services import settings as settings_service
from kam.services.unit import reads

REVIEW_KEY = "review"
DEFAULT_UNREVIEWED_WEEKS = 4
DEFAULT_ACTION_DUE_DAYS = 7
MOVED_DAYS = 7  # a deal that changed stage within this many days "moved"
TIER_DAYS = 28  # a tier move within this many days is on the agenda


# --- weeks ----------------------------------------------------------------------------------

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week such as 2026-W47; InputError for anything else."""
    m = _WEEK.match((week or "").strip())
    if not m:
        raise InputError(f"week: {week!r} is not a week like 2026-W47", "week")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"week: {week!r} has no such week", "week") from None


def check_week(week: str) -> str:
    monday = week_start(week)
    return iso_week(monday)


@dataclass(frozen=True)
class ReviewSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = REVIEW_KEY

    unreviewed_weeks: int = DEFAULT_UNREVIEWED_WEEKS  # a key account is due after this long
    action_due_days: int = DEFAULT_ACTION_DUE_DAYS  # an action's due date when none is typed

    def check(self) -> None:
        if not 1 <= self.unreviewed_weeks <= 52:
            raise InputError("review every 1 to 52 weeks", "unreviewed_weeks")
        if not 1 <= self.action_due_days <= 366:
            raise InputError("an action is due 1 to 366 days after the review", "action_due_days")


@reads
def default_action_due(session: Session, as_of: date) -> date:
    due_days = settings_service.load(session, ReviewSettings).action_due_days
    return as_of + timedelta(days=due_days)
