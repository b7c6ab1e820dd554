"""The stored health: brought up to date when the data behind it changed (only the accounts
that changed, when that can be told), kept weekly for the change over four weeks, and read by
the lists, the at-risk view and the reports."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.db import serialize
from kam.models import (
    Account,
    AccountClassification,
    AccountHealth,
    AccountTeamMember,
    Activity,
    ChangeRecord,
    Complaint,
    Contact,
    HealthHistory,
    Opportunity,
    PlanItem,
    SatisfactionScore,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import HealthBand
from kam.services import settings as settings_service
from kam.services.accounts.regions import Scope
from kam.services.contact_plan import policies
from kam.services.health.model import Health, HealthSettings, Signal
from kam.services.health.score import compute, monday
from kam.services.unit import derives, reads
from kam.services.wallet import share_of_wallet as wallet

STATE_KEY = "health_state"

_acct = Account.__table__
_cls = AccountClassification.__table__
_health = AccountHealth.__table__
_history = HealthHistory.__table__


# The tables behind the signals, and how a changed row names its account.
_WATCHED_TABLES = {
    "activity": (Activity, Activity.__table__.c.account_id),
    "plan_item": (PlanItem, PlanItem.__table__.c.account_id),
    "contact": (Contact, Contact.__table__.c.account_id),
    "complaint": (Complaint, Complaint.__table__.c.account_id),
    "satisfaction_score": (SatisfactionScore, SatisfactionScore.__table__.c.account_id),
    "opportunity": (Opportunity, Opportunity.__table__.c.account_id),
    "wallet_estimate": (WalletEstimate, WalletEstimate.__table__.c.account_id),
    "account_team_member": (AccountTeamMember, AccountTeamMember.__table__.c.account_id),
    "account": (Account, Account.__table__.c.id),
}
# Removals from these tables are written to the change history with their account.
_REMOVALS_IN_HISTORY = {"activity", "plan_item", "contact", "opportunity", "account_team_member"}
INCREMENTAL_LIMIT = 2000  # more changed accounts than this: score everyone again


def _stamp(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _fingerprint(session: Session) -> dict:
    """What health depends on beyond the classification: row counts and last edits of the
    tables behind its signals (and the change history, which names removed rows' accounts),
    so a change made anywhere (another window, an import, another laptop on a team database)
    is noticed."""
    conn = session.connection()
    parts: dict[str, Any] = {}
    for name, (model, _column) in _WATCHED_TABLES.items():
        table = model.__table__
        count, last = conn.execute(
            sa.select(sa.func.count(), sa.func.max(table.c.updated_at))
        ).one()
        parts[name] = [int(count), _stamp(last)]
    history = ChangeRecord.__table__
    count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(history.c.changed_at))).one()
    parts["change_record"] = [int(count), _stamp(last)]
    parts["settings"] = _stamp(
        settings_service.last_changed(
            session, HealthSettings, policies.Policies, wallet.WalletSettings
        )
    )
    return parts


def _state(session: Session, as_of: date) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "data_version": settings_service.data_version(session),
        "fingerprint": _fingerprint(session),
    }


@reads
def is_current(session: Session, as_of: date) -> bool:
    return settings_service.get_value(session, STATE_KEY) == _state(session, as_of)


def _changed_accounts(session: Session, old: Any, new: dict) -> list[uuid.UUID] | None:
    """The accounts whose signals may have moved since the stored health, or None when only
    scoring everyone again will do (another day, revenue or settings changed, a removal kam
    cannot place, or too many changes)."""
    if not isinstance(old, dict) or not isinstance(old.get("fingerprint"), dict):
        return None
    before, now = old["fingerprint"], new["fingerprint"]
    if (
        old.get("as_of") != new["as_of"]
        or old.get("data_version") != new["data_version"]
        or before.get("settings") != now["settings"]
        or set(before) != set(now)
    ):
        return None
    conn = session.connection()
    changed: set[uuid.UUID] = set()
    for name, (model, column) in _WATCHED_TABLES.items():
        if before[name] == now[name]:
            continue
        if now[name][0] < before[name][0] and name not in _REMOVALS_IN_HISTORY:
            return None
        table = model.__table__
        since = before[name][1]
        query = sa.select(column).distinct()
        if since is not None:
            query = query.where(table.c.updated_at > datetime.fromisoformat(since))
        changed.update(conn.execute(query.limit(INCREMENTAL_LIMIT + 1)).scalars())
    if before["change_record"] != now["change_record"]:
        history = ChangeRecord.__table__
        since = before["change_record"][1]
        query = sa.select(history.c.account_id).distinct()
        if since is not None:
            query = query.where(history.c.changed_at > datetime.fromisoformat(since))
        changed.update(conn.execute(query.limit(INCREMENTAL_LIMIT + 1)).scalars())
    if len(changed) > INCREMENTAL_LIMIT:
        return None
    return sorted(changed, key=str)


@derives
def refresh(session: Session, as_of: date, *, force: bool = False) -> int:
    """Bring the stored health up to date and keep this week's score in the history: only the
    accounts whose data changed since, when that can be told, else every watched account.
    Returns how many accounts were scored (0 when the stored health was current)."""
    serialize(session, "health")  # another process rebuilding it: wait, then see
    wanted = _state(session, as_of)
    previous = settings_service.get_value(session, STATE_KEY)
    if not force and previous == wanted:
        return 0
    accounts = None if force else _changed_accounts(session, previous, wanted)
    settings = settings_service.load(session, HealthSettings)
    found = compute(session, as_of, accounts) if accounts != [] else {}
    conn = session.connection()
    week = monday(as_of)
    if accounts is None:
        conn.execute(_health.delete())
        conn.execute(_history.delete().where(_history.c.week_start == week))
    else:
        for start in range(0, len(accounts), 500):
            chunk = accounts[start : start + 500]
            conn.execute(_health.delete().where(_health.c.account_id.in_(chunk)))
            conn.execute(
                _history.delete().where(
                    _history.c.week_start == week, _history.c.account_id.in_(chunk)
                )
            )
    rows = [
        {
            "account_id": h.account_id,
            "as_of": as_of,
            "score": h.score,
            "band": h.band.value,
            "previous_score": h.previous_score,
            "reasons": h.reasons,
            "listed_for": why_listed(h, settings),
            "signals": json.dumps(
                {
                    "capped_by": h.capped_by,
                    "signals": [
                        {"key": s.key, "weight": s.weight, "score": s.score, "evidence": s.evidence}
                        for s in h.signals
                    ],
                },
                ensure_ascii=False,
            ),
        }
        for h in found.values()
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(_health.insert(), rows[start : start + 5000])
    _insert_history(session, found, week)
    settings_service.set_value(session, STATE_KEY, wanted)
    return len(found)


def _insert_history(session: Session, found: dict[uuid.UUID, Health], week: date) -> None:
    rows = [
        {"account_id": h.account_id, "week_start": week, "score": h.score} for h in found.values()
    ]
    for start in range(0, len(rows), 5000):
        session.connection().execute(_history.insert(), rows[start : start + 5000])


def record_week(session: Session, as_of: date) -> int:
    """Score every watched account as of `as_of` into the weekly history only (the stored
    health stays as it is): how a history is seeded for an earlier week."""
    found = compute(session, as_of)
    week = monday(as_of)
    session.connection().execute(_history.delete().where(_history.c.week_start == week))
    _insert_history(session, found, week)
    return len(found)


def stored(
    session: Session, account_ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, Health]:
    query = sa.select(_health)
    if account_ids is not None:
        query = query.where(_health.c.account_id.in_(list(account_ids)))
    found = {}
    for r in session.connection().execute(query):
        saved = json.loads(r.signals)
        signals = [Signal(**s) for s in saved["signals"]]
        found[r.account_id] = Health(
            r.account_id,
            r.as_of,
            int(r.score),
            HealthBand(r.band),
            signals,
            r.previous_score,
            saved["capped_by"],
        )
    return found


@dataclass(frozen=True)
class RiskRow:
    account_id: uuid.UUID
    name: str
    account_class: str | None
    tier: str | None
    owner: str | None
    revenue_minor: int
    score: int
    band: HealthBand
    change: int | None
    reasons: str
    why_listed: str  # red, falling, or the alarm


def _rows(
    session: Session,
    *,
    listed: bool,
    order: str = "score",
    offset: int = 0,
    limit: int | None = None,
    region: Scope | None = None,
) -> list[RiskRow]:
    """Stored health rows with their account, in SQL order, a page at a time if asked; a
    region's accounts only, with one."""
    member = TeamMember.__table__
    change = _health.c.score - _health.c.previous_score  # NULL without an earlier score
    fall = sa.func.coalesce(change, 0)
    if order == "fall":
        ordering = (fall, _health.c.score, _acct.c.name_key, _acct.c.id)
    else:
        ordering = (_health.c.score, fall, _acct.c.name_key, _acct.c.id)
    query = (
        sa.select(
            _health.c.account_id,
            _acct.c.name,
            _cls.c.account_class,
            _cls.c.tier,
            member.c.name.label("owner"),
            _cls.c.revenue_minor,
            _health.c.score,
            _health.c.band,
            change.label("change"),
            _health.c.reasons,
            _health.c.listed_for,
        )
        .join_from(_health, _acct, _acct.c.id == _health.c.account_id)
        .outerjoin(_cls, _cls.c.account_id == _health.c.account_id)
        .outerjoin(member, member.c.id == _acct.c.owner_id)
        .where(_health.c.listed_for != "" if listed else sa.true())
        .where(_in_region(region))
        .order_by(*ordering)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        RiskRow(
            r.account_id,
            r.name,
            r.account_class,
            r.tier,
            r.owner,
            int(r.revenue_minor or 0),
            int(r.score),
            HealthBand(r.band),
            r.change,
            r.reasons,
            r.listed_for,
        )
        for r in session.connection().execute(query)
    ]


def why_listed(health: Health, settings: HealthSettings) -> str:
    """Why an account belongs on the at-risk list ("" when it does not): red, a fall over four
    weeks, or amber with an alarm signal."""
    why = []
    if health.band == HealthBand.red:
        why.append("red")
    if health.change is not None and health.change <= -settings.falling_points:
        why.append(f"fell {-health.change} points in 4 weeks")
    if not why and health.band == HealthBand.amber:
        alarms = [s for s in health.signals if s.alarms(settings)]
        if alarms:
            why.append("alarm: " + ", ".join(s.title.lower() for s in alarms))
    return "; ".join(why)


def _in_region(region: Scope | None) -> sa.ColumnElement[bool]:
    return sa.true() if region is None else _health.c.account_id.in_(region.accounts())


def watched(
    session: Session, order: str = "score", *, region: Scope | None = None
) -> list[RiskRow]:
    """Every watched account's stored health, worst first."""
    return _rows(session, listed=False, order=order, region=region)


@reads
def at_risk(
    session: Session,
    order: str = "score",
    offset: int = 0,
    limit: int | None = None,
    *,
    region: Scope | None = None,
) -> list[RiskRow]:
    """Watched accounts in red, falling fast, or amber with an alarm signal (declining revenue,
    long silence, an open serious complaint, a single thread, a key contact gone); worst first
    (or, with order="fall", falling fastest first); a page of them with offset and limit.
    Reads the stored health: refresh it first."""
    return _rows(session, listed=True, order=order, offset=offset, limit=limit, region=region)


@reads
def count_at_risk(session: Session, *, region: Scope | None = None) -> int:
    return int(
        session.connection()
        .execute(sa.select(sa.func.count()).where(_health.c.listed_for != "", _in_region(region)))
        .scalar_one()
    )


@dataclass(frozen=True)
class HealthSummary:
    watched: int
    bands: dict[str, int]
    at_risk: int


@reads
def summary(session: Session, *, region: Scope | None = None) -> HealthSummary:
    bands = dict(
        session.connection()
        .execute(
            sa.select(_health.c.band, sa.func.count())
            .where(_in_region(region))
            .group_by(_health.c.band)
        )
        .all()
    )
    return HealthSummary(
        sum(bands.values()),
        {b.value: int(bands.get(b.value, 0)) for b in HealthBand},
        count_at_risk(session, region=region),
    )


@dataclass(frozen=True)
class RegionHealth:
    region: str  # NO_REGION for the accounts in none
    watched: int
    bands: dict[str, int]
    at_risk: int
    average: float | None  # the watched accounts' average score


@reads
def by_region(session: Session) -> list[RegionHealth]:
    """The stored health per region (its territories within it), most at risk first: one
    grouped query."""
    from kam.services.accounts import regions

    top = regions.region_of_account(_health.c.account_id).label("top")
    grouped = sa.select(
        top,
        _health.c.band,
        sa.func.count().label("n"),
        sa.func.count().filter(_health.c.listed_for != "").label("risk"),
        sa.func.sum(_health.c.score).label("score"),
    ).group_by(top, _health.c.band)
    conn = session.connection()
    found: dict[Any, list[Any]] = {}
    for r in conn.execute(grouped):
        entry = found.setdefault(r.top, [{}, 0, 0])
        entry[0][r.band] = int(r.n)
        entry[1] += int(r.risk)
        entry[2] += int(r.score or 0)
    names = regions.names_of(session, [k for k in found if k is not None])
    out = []
    for key, (bands, risk, score) in found.items():
        watched = sum(bands.values())
        out.append(
            RegionHealth(
                names.get(key, regions.NO_REGION) if key is not None else regions.NO_REGION,
                watched,
                {b.value: int(bands.get(b.value, 0)) for b in HealthBand},
                risk,
                score / watched if watched else None,
            )
        )
    out.sort(key=lambda r: (r.region == regions.NO_REGION, -r.at_risk, r.region.casefold()))
    return out
