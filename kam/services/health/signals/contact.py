"""The contact gap: days since the last activity against the silence its tier's contact
policy allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from kam.models import Activity
from kam.models.enums import ValueTier
from kam.services import settings as settings_service
from kam.services.contact_plan import policies
from kam.services.health.facts import Ask, Seen, clamp

KEY = "contact"
TITLE = "Contact gap"
WEIGHT = 12
ALARM = True

_act = Activity.__table__


@dataclass(frozen=True)
class Facts:
    last: dict[Any, date]  # account -> last activity
    allowed: dict[str, int | None]  # tier -> days of silence its policy allows


def read(ask: Ask) -> Facts:
    last = dict(
        ask.conn.execute(
            sa.select(ask.key(_act.c.account_id), sa.func.max(_act.c.occurred_on))
            .where(ask.scope(_act.c.account_id), _act.c.occurred_on <= ask.as_of)
            .group_by(_act.c.account_id)
        ).all()
    )
    team_policies = settings_service.load(ask.session, policies.Policies)
    return Facts(last, {t.value: team_policies.allowed_silence(t.value) for t in ValueTier})


def judge(seen: Seen, facts: Facts) -> tuple[int | None, str]:
    allowed = facts.allowed.get(seen.tier) or facts.allowed.get(ValueTier.general.value)
    last = facts.last.get(seen.account)
    if allowed is None:
        return None, "no contact policy for its tier"
    if last is None:
        return 0, "no contact logged"
    days = (seen.as_of - last).days
    if days <= allowed:
        return 100, f"last contact {days} days ago (policy: every {allowed})"
    score = clamp(100 - 100 * (days - allowed) / allowed)
    return score, f"no contact for {days} days (policy: every {allowed})"
