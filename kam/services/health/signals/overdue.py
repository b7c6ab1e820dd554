"""Overdue contact-plan items: how many, and how late the oldest is."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from kam.models import PlanItem
from kam.services.health.facts import Ask, Seen, clamp
from kam.services.sql.planner import by_account

KEY = "overdue"
TITLE = "Overdue plan"
WEIGHT = 8
ALARM = False

_plan = PlanItem.__table__


def read(ask: Ask) -> dict[Any, tuple[int, date]]:
    overdue = [_plan.c.active.is_(True), _plan.c.next_due < ask.as_of]
    return {
        account: (int(n), first)
        for account, n, first in ask.conn.execute(
            sa.select(ask.key(_plan.c.account_id), sa.func.count(), sa.func.min(_plan.c.next_due))
            .where(
                ask.scope(_plan.c.account_id),
                *(overdue if ask.accounts is None else [by_account(*overdue)]),
            )
            .group_by(_plan.c.account_id)
        )
    }


def judge(seen: Seen, facts: dict[Any, tuple[int, date]]) -> tuple[int | None, str]:
    overdue = facts.get(seen.account)
    if overdue is None:
        return 100, "no overdue plan items"
    n, first = overdue
    late = (seen.as_of - first).days
    return (
        clamp(100 - 25 * n - late / 2),
        f"{n} overdue plan item{'s' if n > 1 else ''}, the oldest {late} days late",
    )
