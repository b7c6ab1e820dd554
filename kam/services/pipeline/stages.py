"""The stages of a deal: their words, their default probabilities and how long a deal may sit in
each before it is stale, as the team has set them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlmodel import Session

from kam.errors import InputErrors
from kam.models import (
    Opportunity,
)
from kam.models.base import utcnow
from kam.models.enums import (
    OPEN_STAGES,
    OpportunityStage,
)
from kam.services import settings as settings_service
from kam.services.unit import writes

_opp = Opportunity.__table__


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
OPEN_VALUES = [s.value for s in OPEN_STAGES]
GROUPINGS = ("stage", "owner", "quarter", "account", "key", "region")
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
    return settings_service.load(session, PipelineSettings)
