"""What a health is: the team's health settings, a signal's verdict, an account's score and
band, and why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from kam.errors import InputErrors
from kam.models.enums import HealthBand
from kam.services import settings as settings_service
from kam.services.health.facts import clamp
from kam.services.health.signals import ALARMS, SIGNALS, TITLES

SETTING_KEY = "health"
NO_EVIDENCE = 50  # the score when no signal has data: no evidence either way, not good news


@dataclass(frozen=True)
class HealthSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = SETTING_KEY

    weights: dict[str, int] = field(default_factory=lambda: {k: w for k, _, w in SIGNALS})
    red_below: int = 50  # a score below this is red
    amber_below: int = 70  # below this (and not red) amber; else green
    alarm_at: int = 20  # a signal this low puts the account at risk whatever its score
    falling_points: int = 10  # a fall this large over four weeks puts it at risk too
    pipeline_target: float = 0.10  # weighted pipeline as a share of a year's revenue
    satisfaction_months: int = 18  # an older survey no longer counts
    contact_left_months: int = 12  # a key contact who left within this long ago counts

    def check(self) -> None:
        errors = {}
        if not 0 < self.red_below < self.amber_below <= 100:
            errors["red_below"] = "red must be below amber, both between 1 and 100"
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            errors["weights"] = "weights are zero or more, and not all zero"
        if not 0 < self.pipeline_target <= 10:
            errors["pipeline_target"] = "a share of a year's revenue, above 0%"
        if errors:
            raise InputErrors(errors)


@dataclass(frozen=True)
class Signal:
    key: str
    weight: int
    score: int | None  # None: does not apply (no data)
    evidence: str

    @property
    def title(self) -> str:
        return TITLES[self.key]

    @property
    def lost(self) -> float:
        """Points of health this signal costs."""
        return 0.0 if self.score is None else self.weight * (100 - self.score) / 100

    def alarms(self, settings: HealthSettings) -> bool:
        """Alone enough to put the account at risk."""
        return (
            self.key in ALARMS
            and bool(self.weight)
            and self.score is not None
            and self.score <= settings.alarm_at
        )


def mean(signals: list[Signal]) -> int:
    """The weighted mean of the signals that apply (NO_EVIDENCE when none does)."""
    weighed = [(s.weight, s.score) for s in signals if s.score is not None and s.weight]
    total = sum(w for w, _ in weighed)
    return clamp(sum(w * s for w, s in weighed) / total) if total else NO_EVIDENCE


@dataclass(frozen=True)
class Health:
    account_id: uuid.UUID
    as_of: date
    score: int
    band: HealthBand
    signals: list[Signal]
    previous_score: int | None = None
    capped_by: str | None = None  # the alarm that held the score down, if one did

    @property
    def change(self) -> int | None:
        return None if self.previous_score is None else self.score - self.previous_score

    @property
    def weak(self) -> list[Signal]:
        """Signals that cost points, worst first."""
        found = [s for s in self.signals if s.score is not None and s.score < 60 and s.weight]
        return sorted(found, key=lambda s: (-s.lost, s.key))

    @property
    def reasons(self) -> str:
        weak = self.weak[:3]
        if not weak:
            return self.capped_by or "nothing stands out"
        return "; ".join(s.evidence for s in weak)

    @property
    def weighted_mean(self) -> int:
        """The score before any cap."""
        return mean(self.signals)


def band_of(score: int, settings: HealthSettings) -> HealthBand:
    if score < settings.red_below:
        return HealthBand.red
    if score < settings.amber_below:
        return HealthBand.amber
    return HealthBand.green
