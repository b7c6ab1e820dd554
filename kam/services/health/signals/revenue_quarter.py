"""Revenue over the last 3 months against the same 3 months a year before."""

from __future__ import annotations

from kam.services.health.facts import Seen
from kam.services.health.signals.growth import QUARTER, judge_growth

KEY = "revenue_quarter"
TITLE = "Revenue, quarter"
WEIGHT = 7
ALARM = False


def judge(seen: Seen, facts: None) -> tuple[int | None, str]:
    # A quarter is noisier than a year: a fall of 33% scores 20.
    _year, _year_before, quarter, quarter_before = seen.revenue
    return judge_growth(quarter, quarter_before, QUARTER, 150)
