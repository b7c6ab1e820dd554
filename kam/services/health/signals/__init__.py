"""The health signals, one module each, in the order they are shown.

A signal module names itself (KEY, TITLE), says its default WEIGHT and whether it is an ALARM
(alone enough to put an account at risk when it scores at or below the alarm level), may
`read(ask)` its own facts for every account asked for in one query, and `judge(seen, facts)`
one account: a score 0-100 (None when it has no data) and the evidence, in words. A new signal
is a new module listed here.
"""

from __future__ import annotations

from types import ModuleType

from kam.services.health.signals import (
    complaints,
    contact,
    contact_left,
    overdue,
    pipeline,
    revenue_quarter,
    revenue_year,
    roles,
    satisfaction,
    threading,
    wallet,
)

ALL: tuple[ModuleType, ...] = (
    revenue_year,
    revenue_quarter,
    wallet,
    contact,
    overdue,
    complaints,
    satisfaction,
    threading,
    contact_left,
    roles,
    pipeline,
)
# (key, title, default weight)
SIGNALS = [(s.KEY, s.TITLE, s.WEIGHT) for s in ALL]
TITLES = {s.KEY: s.TITLE for s in ALL}
ALARMS = {s.KEY for s in ALL if s.ALARM}
