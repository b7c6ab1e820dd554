"""Single-threaded: the account rests on one person on our side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam.services.health.facts import Ask, Seen
from kam.services.people import team

KEY = "threading"
TITLE = "Single-threaded"
WEIGHT = 10
ALARM = True


def read(ask: Ask) -> Callable[[Any], team.Threading]:
    return team.threading_of_all(ask.session, ask.key, ask.accounts)


def judge(seen: Seen, facts: Callable[[Any], team.Threading]) -> tuple[int | None, str]:
    threads = facts(seen.account)
    if threads.single_threaded:
        return 20, f"single-threaded: {threads.reason}"
    return 100, "more than one person carries it"
