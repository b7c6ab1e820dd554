"""Account health and early warning: an explainable score 0-100 per valuable account.

Each signal scores 0-100 with its own weight and the evidence behind it, in words; the health
is the weighted mean of the signals that apply (a signal with no data, such as a satisfaction
score never surveyed, is left out and the others carry its weight). Red, amber and green are
bands of the score; the reasons are the signals that cost the most points.

Which accounts: the key accounts (core, major, emerging, strategic) and those that were worth
as much in the year before (revenue at least that of the smallest major account now) and lost
30% or more of it since, so a valuable account that is slipping away or fell silent is still
watched (until it is marked lost: then its win-back plan takes over).

Every signal is read for the whole portfolio in a few grouped queries, then combined per
account; the same code serves one account (its screen) and all of them (lists, reports).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import Account, HealthHistory
from kam.models.enums import AccountStatus
from kam.services import settings as settings_service
from kam.services.health import facts as shared_facts
from kam.services.health.facts import NO_REVENUE, Ask, Seen
from kam.services.health.model import Health, HealthSettings, Signal, band_of, mean
from kam.services.health.signals import ALL
from kam.services.sql.bulk import as_uuid, id_forms

_acct = Account.__table__
_history = HealthHistory.__table__


def _cap(signals: list[Signal], settings: HealthSettings) -> tuple[int, str] | None:
    """The highest score allowed, and why: revenue gone (a third or more of it in a year)
    keeps an account red; any other alarm keeps it out of green. Good marks elsewhere must not
    hide an account that is slipping away."""
    alarms = [s for s in signals if s.alarms(settings)]
    if any(s.key == "revenue_year" and s.score == 0 for s in alarms):
        return settings.red_below - 1, "revenue fell by a third or more"
    if alarms:
        return settings.amber_below - 1, alarms[0].title.lower()
    revenue = [s for s in signals if s.key in ("revenue_year", "revenue_quarter")]
    if revenue and all(s.score is None for s in revenue):
        # No revenue in two years: nothing shows the account is healthy, whatever else
        # scores well (a new strategic account, one that stopped buying long ago).
        return settings.amber_below - 1, "no revenue to judge it by"
    return None


def _combine(seen: Seen, signals: list[Signal]) -> Health:
    settings = seen.settings
    score = mean(signals)
    cap = _cap(signals, settings)
    capped_by = None
    if cap is not None and score > cap[0]:
        score, capped_by = cap[0], cap[1]
    return Health(
        as_uuid(seen.account),
        seen.as_of,
        score,
        band_of(score, settings),
        signals,
        capped_by=capped_by,
    )


def compute(
    session: Session, as_of: date, accounts: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, Health]:
    """Health of every watched account (or of those of `accounts` that are watched)."""
    settings = settings_service.load(session, HealthSettings)
    ask = Ask(session, as_of, settings, accounts)
    shared = shared_facts.read_shared(ask)
    own = [(s, s.read(ask) if hasattr(s, "read") else None) for s in ALL]

    def ids_where(condition: sa.ColumnElement) -> set[Any]:
        query = sa.select(ask.key(_acct.c.id)).where(ask.scope(_acct.c.id), condition)
        return set(ask.conn.execute(query).scalars())

    archived = ids_where(_acct.c.archived_at.is_not(None))
    lost = ids_where(_acct.c.status == AccountStatus.lost.value)
    floor = shared_facts.major_floor(session)
    weights = settings.weights
    result = {}
    for account in shared_facts.population(shared, floor, archived, lost):
        tier = shared.tiers.get(account, ("general", "general", False))[1]
        seen = Seen(account, as_of, settings, shared.revenue.get(account, NO_REVENUE), tier)
        signals = [
            Signal(s.KEY, weights.get(s.KEY, s.WEIGHT), *s.judge(seen, facts)) for s, facts in own
        ]
        health = _combine(seen, signals)
        result[health.account_id] = health
    _attach_previous(session, result, as_of)
    return result


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _attach_previous(session: Session, found: dict[uuid.UUID, Health], as_of: date) -> None:
    """The score about four weeks back (the latest weekly one at least 28 days old, within
    eight weeks), for the change."""
    if not found:
        return
    newest = monday(as_of) - timedelta(days=28)
    oldest = newest - timedelta(days=28)
    key, key_of = id_forms(session.connection())
    query = (
        sa.select(key(_history.c.account_id), _history.c.week_start, _history.c.score)
        .where(_history.c.week_start <= newest, _history.c.week_start >= oldest)
        .order_by(_history.c.week_start)
    )
    if len(found) <= 1000:
        query = query.where(_history.c.account_id.in_(list(found)))
    previous: dict[Any, int] = {}
    for account, _week, score in session.connection().execute(query):
        previous[account] = int(score)
    for account_id, health in list(found.items()):
        before = previous.get(key_of(account_id))
        if before is not None:
            found[account_id] = replace(health, previous_score=before)


def account_health(session: Session, account_id: uuid.UUID, as_of: date) -> Health | None:
    """One account's health, read live (None when the account is not watched)."""
    return compute(session, as_of, [account_id]).get(account_id)
