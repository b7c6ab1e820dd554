"""The latest satisfaction survey, while it is recent enough to count."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from kam.models import SatisfactionScore
from kam.services.health.facts import Ask, Seen

KEY = "satisfaction"
TITLE = "Satisfaction"
WEIGHT = 8
ALARM = False

_survey = SatisfactionScore.__table__


def read(ask: Ask) -> dict[Any, tuple[date, int]]:
    since = ask.as_of - relativedelta(months=ask.settings.satisfaction_months)
    found = {}
    for account, day, score in ask.conn.execute(
        sa.select(ask.key(_survey.c.account_id), _survey.c.surveyed_on, _survey.c.score)
        .where(
            ask.scope(_survey.c.account_id),
            _survey.c.surveyed_on > since,
            _survey.c.surveyed_on <= ask.as_of,
        )
        .order_by(_survey.c.surveyed_on)
    ):
        found[account] = (day, int(score))  # the latest wins
    return found


def judge(seen: Seen, facts: dict[Any, tuple[date, int]]) -> tuple[int | None, str]:
    survey = facts.get(seen.account)
    if survey is None:
        return None, "no recent survey"
    day, score = survey
    return score * 10, f"satisfaction {score}/10 on {day}"
