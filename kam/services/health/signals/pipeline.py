"""Pipeline coverage: the weighted open pipeline as a share of a year's revenue."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kam.models import Opportunity
from kam.models.enums import OPEN_STAGES
from kam.services.health.facts import Ask, Seen, clamp
from kam.services.values.formatting import money_short, percent

KEY = "pipeline"
TITLE = "Pipeline coverage"
WEIGHT = 6
ALARM = False

_opp = Opportunity.__table__


def read(ask: Ask) -> dict[Any, int]:
    return {
        account: int(weighted or 0) // 100
        for account, weighted in ask.conn.execute(
            sa.select(
                ask.key(_opp.c.account_id), sa.func.sum(_opp.c.amount_minor * _opp.c.probability)
            )
            .where(
                ask.scope(_opp.c.account_id),
                _opp.c.stage.in_([s.value for s in OPEN_STAGES]),
            )
            .group_by(_opp.c.account_id)
        )
    }


def judge(seen: Seen, facts: dict[Any, int]) -> tuple[int | None, str]:
    year = seen.revenue[0]
    if year <= 0:
        return None, "no revenue to compare with"
    weighted = facts.get(seen.account, 0)
    coverage = weighted / year
    target = seen.settings.pipeline_target
    return (
        clamp(100 * coverage / target),
        f"weighted pipeline {money_short(weighted)} = {percent(coverage, 0)} of a year's "
        f"revenue (aim {percent(target, 0)})",
    )
