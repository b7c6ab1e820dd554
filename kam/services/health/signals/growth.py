"""How the two revenue signals judge growth: the same rule over a year and over a quarter."""

from __future__ import annotations

from dataclasses import dataclass

from kam.services.health.facts import clamp
from kam.services.values.formatting import money_short


@dataclass(frozen=True)
class Span:
    """How a revenue comparison is said: the recent period, the one it is compared with, and
    the comparison itself."""

    period: str
    before: str
    compared: str


YEAR = Span("in 12 months", "the year before", "in 12 months, year on year")
QUARTER = Span("in 3 months", "the same 3 months a year before", "in 3 months, year on year")


def judge_growth(now: int, before: int, span: Span, slope: float) -> tuple[int | None, str]:
    """Flat scores 70; each point of growth moves it by `slope` points."""
    if before <= 0:
        if now > 0:
            return None, f"new revenue: {money_short(now)} {span.period}, none {span.before}"
        return None, f"no revenue {span.period} nor {span.before}"
    growth = now / before - 1
    if now == 0:
        evidence = f"no revenue {span.period} ({money_short(before)} {span.before})"
    else:
        evidence = (
            f"revenue {growth * 100:+.0f}% {span.compared} "
            f"({money_short(before)} → {money_short(now)})"
        )
    return clamp(70 + slope * growth), evidence
