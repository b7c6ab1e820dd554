"""Revenue over the last 12 months against the 12 before."""

from __future__ import annotations

from kam.services.health.facts import Seen
from kam.services.health.signals.growth import YEAR, judge_growth

KEY = "revenue_year"
TITLE = "Revenue, year"
WEIGHT = 15
ALARM = True


def judge(seen: Seen, facts: None) -> tuple[int | None, str]:
    # A fall of 25% in a year scores 20.
    year, year_before, _quarter, _quarter_before = seen.revenue
    return judge_growth(year, year_before, YEAR, 200)
