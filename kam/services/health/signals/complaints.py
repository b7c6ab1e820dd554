"""Open complaints: the worst one's severity, less for each more."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kam.models import Complaint
from kam.models.enums import ComplaintSeverity
from kam.services.health.facts import Ask, Seen, clamp

KEY = "complaints"
TITLE = "Complaints"
WEIGHT = 10
ALARM = True

SEVERITY_SCORE = {
    ComplaintSeverity.high: 0,
    ComplaintSeverity.medium: 40,
    ComplaintSeverity.low: 70,
}
_complaint = Complaint.__table__


def read(ask: Ask) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = {}
    for account, severity in ask.conn.execute(
        sa.select(ask.key(_complaint.c.account_id), _complaint.c.severity).where(
            ask.scope(_complaint.c.account_id),
            _complaint.c.opened_on <= ask.as_of,
            sa.or_(_complaint.c.closed_on.is_(None), _complaint.c.closed_on > ask.as_of),
        )
    ):
        found.setdefault(account, []).append(severity)
    return found


def judge(seen: Seen, facts: dict[Any, list[str]]) -> tuple[int | None, str]:
    open_complaints = [ComplaintSeverity(s) for s in facts.get(seen.account, [])]
    if not open_complaints:
        return 100, "no open complaints"
    worst = min(SEVERITY_SCORE[s] for s in open_complaints)
    n = len(open_complaints)
    kinds = ", ".join(
        sorted({s.value for s in open_complaints}, key=["high", "medium", "low"].index)
    )
    return clamp(worst - 15 * (n - 1)), f"{n} open complaint{'s' if n > 1 else ''} ({kinds})"
