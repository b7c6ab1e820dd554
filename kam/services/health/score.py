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

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from kam.db import serialize
from kam.errors import InputErrors
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
    RevenueLine,
    SatisfactionScore,
    Setting,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import (
    OPEN_STAGES,
    AccountClass,
    AccountStatus,
    Attitude,
    BuyingRole,
    ComplaintSeverity,
    HealthBand,
    Influence,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.contact_plan import plans
from kam.services.people import team
from kam.services.sql.bulk import as_uuid, id_forms
from kam.services.sql.planner import by_account
from kam.services.unit import derives, reads
from kam.services.values.formatting import money_short, percent
from kam.services.wallet import share_of_wallet as wallet

SETTING_KEY = "health"
STATE_KEY = "health_state"

_acct = Account.__table__
_cls = AccountClassification.__table__
_rev = RevenueLine.__table__
_act = Activity.__table__
_plan = PlanItem.__table__
_complaint = Complaint.__table__
_survey = SatisfactionScore.__table__
_contact = Contact.__table__
_opp = Opportunity.__table__
_health = AccountHealth.__table__
_history = HealthHistory.__table__

# (key, title, default weight)
SIGNALS = [
    ("revenue_year", "Revenue, year", 15),
    ("revenue_quarter", "Revenue, quarter", 7),
    ("wallet", "Share of wallet", 10),
    ("contact", "Contact gap", 12),
    ("overdue", "Overdue plan", 8),
    ("complaints", "Complaints", 10),
    ("satisfaction", "Satisfaction", 8),
    ("threading", "Single-threaded", 10),
    ("contact_left", "Key contact left", 8),
    ("roles", "Buying roles", 6),
    ("pipeline", "Pipeline coverage", 6),
]
TITLES = {key: title for key, title, _ in SIGNALS}
# Signals that alone put an account at risk when they score at or below the alarm level.
ALARMS = {"revenue_year", "contact", "complaints", "threading", "contact_left"}
SEVERITY_SCORE = {
    ComplaintSeverity.high: 0,
    ComplaintSeverity.medium: 40,
    ComplaintSeverity.low: 70,
}


@dataclass(frozen=True)
class HealthSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = SETTING_KEY

    weights: dict[str, int] = field(default_factory=lambda: {k: w for k, _, w in SIGNALS})
    red_below: int = 50  # a score below this is red
    amber_below: int = 70  # below this (and not red) amber; else green
    alarm_at: int = 20  # a signal this low puts the account at risk whatever its score
    falling_points: int = 10  # a fall this large over four weeks puts it at risk too
    pipeline_target: float = 0.10  # weighted pipeline as a share of a year's revenue
    satisfaction_months: int = 18  # an older survey no longer counts
    contact_left_months: int = 12  # a key contact who left within this long ago counts

    def check(self) -> None:
        errors = {}
        if not 0 < self.red_below < self.amber_below <= 100:
            errors["red_below"] = "red must be below amber, both between 1 and 100"
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            errors["weights"] = "weights are zero or more, and not all zero"
        if not 0 < self.pipeline_target <= 10:
            errors["pipeline_target"] = "a share of a year's revenue, above 0%"
        if errors:
            raise InputErrors(errors)


@dataclass(frozen=True)
class Signal:
    key: str
    weight: int
    score: int | None  # None: does not apply (no data)
    evidence: str

    @property
    def title(self) -> str:
        return TITLES[self.key]

    @property
    def lost(self) -> float:
        """Points of health this signal costs."""
        return 0.0 if self.score is None else self.weight * (100 - self.score) / 100


@dataclass(frozen=True)
class Health:
    account_id: uuid.UUID
    as_of: date
    score: int
    band: HealthBand
    signals: list[Signal]
    previous_score: int | None = None
    capped_by: str | None = None  # the alarm that held the score down, if one did

    @property
    def change(self) -> int | None:
        return None if self.previous_score is None else self.score - self.previous_score

    @property
    def weak(self) -> list[Signal]:
        """Signals that cost points, worst first."""
        found = [s for s in self.signals if s.score is not None and s.score < 60 and s.weight]
        return sorted(found, key=lambda s: (-s.lost, s.key))

    @property
    def reasons(self) -> str:
        weak = self.weak[:3]
        if not weak:
            return self.capped_by or "nothing stands out"
        return "; ".join(s.evidence for s in weak)

    @property
    def weighted_mean(self) -> int:
        """The score before any cap."""
        return _mean(self.signals)


NO_EVIDENCE = 50  # the score when no signal has data: no evidence either way, not good news


def _mean(signals: list[Signal]) -> int:
    """The weighted mean of the signals that apply (NO_EVIDENCE when none does)."""
    weighed = [(s.weight, s.score) for s in signals if s.score is not None and s.weight]
    total = sum(w for w, _ in weighed)
    return _clamp(sum(w * s for w, s in weighed) / total) if total else NO_EVIDENCE


def band_of(score: int, settings: HealthSettings) -> HealthBand:
    if score < settings.red_below:
        return HealthBand.red
    if score < settings.amber_below:
        return HealthBand.amber
    return HealthBand.green


def _clamp(value: float) -> int:
    return round(max(0.0, min(100.0, value)))


# --- the facts, read in grouped queries -----------------------------------------------------


@dataclass
class _Facts:
    """Everything the signals need, per account."""

    revenue: dict[Any, tuple[int, int, int, int]] = field(default_factory=dict)
    tiers: dict[Any, tuple[str, str, bool]] = field(default_factory=dict)  # class, tier, strategic
    last_contact: dict[Any, date] = field(default_factory=dict)
    overdue: dict[Any, tuple[int, date]] = field(default_factory=dict)
    complaints: dict[Any, list[str]] = field(default_factory=dict)
    survey: dict[Any, tuple[date, int]] = field(default_factory=dict)
    people: dict[Any, tuple[int, int, int]] = field(default_factory=dict)  # current, dm, champ
    left: dict[Any, list[tuple[str, str, date]]] = field(default_factory=dict)
    pipeline: dict[Any, int] = field(default_factory=dict)
    wallet: dict[Any, wallet.AccountWalletRow] = field(default_factory=dict)
    threading: Callable[[Any], team.Threading] | None = None
    allowed: dict[str, int | None] = field(default_factory=dict)  # policy -> days of silence


def _scope(column: sa.ColumnElement, accounts: list[uuid.UUID] | None) -> sa.ColumnElement:
    """Every account, or only these."""
    if accounts is None:
        return sa.true()
    return column == accounts[0] if len(accounts) == 1 else column.in_(accounts)


def _read_facts(session: Session, as_of: date, account_id: list[uuid.UUID] | None) -> _Facts:
    conn = session.connection()
    key, key_of = id_forms(conn)
    facts = _Facts()
    year_ago = as_of - relativedelta(years=1)
    two_years = as_of - relativedelta(years=2)
    quarter = as_of - relativedelta(months=3)
    quarter_year_ago = year_ago - relativedelta(months=3)
    booked, amount = _rev.c.booked_on, _rev.c.amount_minor

    def total(after: date, until: date) -> Any:
        return sa.func.sum(sa.case((sa.and_(booked > after, booked <= until), amount), else_=0))

    for row in conn.execute(
        sa.select(
            key(_rev.c.account_id),
            total(year_ago, as_of),
            total(two_years, year_ago),
            total(quarter, as_of),
            total(quarter_year_ago, year_ago),
        )
        .where(_scope(_rev.c.account_id, account_id), booked > two_years, booked <= as_of)
        .group_by(_rev.c.account_id)
    ):
        facts.revenue[row[0]] = (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
    for account, cls, tier, strategic in conn.execute(
        sa.select(
            key(_cls.c.account_id), _cls.c.account_class, _cls.c.tier, _cls.c.strategic
        ).where(_scope(_cls.c.account_id, account_id))
    ):
        facts.tiers[account] = (cls, tier, bool(strategic))
    facts.last_contact = dict(
        conn.execute(
            sa.select(key(_act.c.account_id), sa.func.max(_act.c.occurred_on))
            .where(_scope(_act.c.account_id, account_id), _act.c.occurred_on <= as_of)
            .group_by(_act.c.account_id)
        ).all()
    )
    overdue = [_plan.c.active.is_(True), _plan.c.next_due < as_of]
    for account, n, first in conn.execute(
        sa.select(key(_plan.c.account_id), sa.func.count(), sa.func.min(_plan.c.next_due))
        .where(
            _scope(_plan.c.account_id, account_id),
            *(overdue if account_id is None else [by_account(*overdue)]),
        )
        .group_by(_plan.c.account_id)
    ):
        facts.overdue[account] = (int(n), first)
    for account, severity in conn.execute(
        sa.select(key(_complaint.c.account_id), _complaint.c.severity).where(
            _scope(_complaint.c.account_id, account_id),
            _complaint.c.opened_on <= as_of,
            sa.or_(_complaint.c.closed_on.is_(None), _complaint.c.closed_on > as_of),
        )
    ):
        facts.complaints.setdefault(account, []).append(severity)
    settings = settings_service.load(session, HealthSettings)
    since = as_of - relativedelta(months=settings.satisfaction_months)
    for account, day, score in conn.execute(
        sa.select(key(_survey.c.account_id), _survey.c.surveyed_on, _survey.c.score)
        .where(
            _scope(_survey.c.account_id, account_id),
            _survey.c.surveyed_on > since,
            _survey.c.surveyed_on <= as_of,
        )
        .order_by(_survey.c.surveyed_on)
    ):
        facts.survey[account] = (day, int(score))  # the latest wins
    current = sa.or_(_contact.c.left_on.is_(None), _contact.c.left_on > as_of)
    champion = sa.or_(
        _contact.c.buying_role == BuyingRole.champion.value,
        _contact.c.attitude == Attitude.champion.value,
    )

    def counted(condition: sa.ColumnElement) -> Any:
        return sa.func.sum(sa.case((sa.and_(current, condition), 1), else_=0))

    for account, n, dm, champ in conn.execute(
        sa.select(
            key(_contact.c.account_id),
            counted(sa.true()),
            counted(_contact.c.buying_role == BuyingRole.decision_maker.value),
            counted(champion),
        )
        .where(_scope(_contact.c.account_id, account_id))
        .group_by(_contact.c.account_id)
    ):
        facts.people[account] = (int(n or 0), int(dm or 0), int(champ or 0))
    left_since = as_of - relativedelta(months=settings.contact_left_months)
    for account, name, role, influence, left_on in conn.execute(
        sa.select(
            key(_contact.c.account_id),
            _contact.c.name,
            _contact.c.buying_role,
            _contact.c.influence,
            _contact.c.left_on,
        )
        .where(
            _scope(_contact.c.account_id, account_id),
            _contact.c.left_on > left_since,
            _contact.c.left_on <= as_of,
            sa.or_(
                _contact.c.buying_role.in_(
                    [BuyingRole.decision_maker.value, BuyingRole.champion.value]
                ),
                _contact.c.attitude == Attitude.champion.value,
                _contact.c.influence == Influence.high.value,
            ),
        )
        .order_by(_contact.c.left_on.desc())
    ):
        what = (role or "").replace("_", " ") or f"{influence} influence"
        facts.left.setdefault(account, []).append((name, what, left_on))
    facts.pipeline = {
        account: int(weighted or 0) // 100
        for account, weighted in conn.execute(
            sa.select(key(_opp.c.account_id), sa.func.sum(_opp.c.amount_minor * _opp.c.probability))
            .where(
                _scope(_opp.c.account_id, account_id),
                _opp.c.stage.in_([s.value for s in OPEN_STAGES]),
            )
            .group_by(_opp.c.account_id)
        )
    }
    facts.wallet = {
        key_of(r.account_id): r
        # Estimates from last year on: this year against last, or last against the one before
        # when this year has none yet. The same read for one account as for all of them.
        for r in wallet.portfolio_wallet(
            session,
            as_of,
            competitors=False,
            since=date(as_of.year - 1, 1, 1),
            accounts=account_id,
        )
    }
    facts.threading = team.threading_of_all(session, key, account_id)
    policies = plans.policies(session)
    facts.allowed = {t.value: policies.allowed_silence(t.value) for t in ValueTier}
    return facts


SLIPPED = 0.7  # a former major account whose revenue fell below this part of it is watched


def _slipped(revenue: tuple[int, int, int, int], floor: int | None) -> bool:
    """Worth a major account's revenue in the year before, and down by 30% or more since."""
    year, year_before = revenue[0], revenue[1]
    return floor is not None and year_before >= floor and year < year_before * SLIPPED


def _floor(session: Session) -> int | None:
    """The smallest revenue of a core or major account now: the last major account in the
    classification's order (revenue, highest first), or the last core one when no account is
    major. Read through the class-order index: one row, not every key account, for each
    account's health."""
    conn = session.connection()
    classes = list(AccountClass)
    for account_class in (AccountClass.major, AccountClass.core):
        revenue = conn.execute(
            sa.select(_cls.c.revenue_minor)
            .where(
                _cls.c.class_order == classes.index(account_class),
                _cls.c.revenue_minor > 0,
            )
            .order_by(_cls.c.position.desc())
            .limit(1)
        ).scalar()
        if revenue is not None:
            return int(revenue)
    return None


def _population(facts: _Facts, floor: int | None, archived: set[Any], lost: set[Any]) -> list:
    """Key accounts now, and those that were as valuable in the year before and slipped (not
    those marked lost: their win-back plan takes over), among the accounts the facts cover."""
    watched = []
    for account, (cls, _tier, strategic) in facts.tiers.items():
        if account in archived:
            continue
        key_now = cls != AccountClass.general.value or strategic
        slipping = account not in lost and _slipped(facts.revenue.get(account, (0, 0, 0, 0)), floor)
        if key_now or slipping:
            watched.append(account)
    return watched


# --- the signals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """How a revenue comparison is said: the recent period, the one it is compared with, and
    the comparison itself."""

    period: str
    before: str
    compared: str


_YEAR = _Span("in 12 months", "the year before", "in 12 months, year on year")
_QUARTER = _Span("in 3 months", "the same 3 months a year before", "in 3 months, year on year")


def _growth_signal(
    key: str, now: int, before: int, span: _Span, weight: int, slope: float
) -> Signal:
    if before <= 0:
        if now > 0:
            return Signal(
                key,
                weight,
                None,
                f"new revenue: {money_short(now)} {span.period}, none {span.before}",
            )
        return Signal(key, weight, None, f"no revenue {span.period} nor {span.before}")
    growth = now / before - 1
    if now == 0:
        evidence = f"no revenue {span.period} ({money_short(before)} {span.before})"
    else:
        evidence = (
            f"revenue {growth * 100:+.0f}% {span.compared} "
            f"({money_short(before)} → {money_short(now)})"
        )
    return Signal(key, weight, _clamp(70 + slope * growth), evidence)


def _signals(account: Any, facts: _Facts, as_of: date, settings: HealthSettings) -> list[Signal]:
    w = settings.weights
    year, year_before, quarter, quarter_before = facts.revenue.get(account, (0, 0, 0, 0))
    signals = [
        # Flat scores 70; a fall of 25% a year (or 33% in a quarter, which is noisier) 20.
        _growth_signal("revenue_year", year, year_before, _YEAR, w["revenue_year"], 200),
        _growth_signal(
            "revenue_quarter", quarter, quarter_before, _QUARTER, w["revenue_quarter"], 150
        ),
    ]
    row = facts.wallet.get(account)
    if row is None or row.share is None:
        signals.append(Signal("wallet", w["wallet"], None, "no wallet estimate"))
    else:
        scores, words = [], [f"share of wallet {percent(row.share, 0)} in {row.period}"]
        if row.share_change is not None:
            scores.append(70 + 600 * row.share_change)
            words.append(f"{row.share_change * 100:+.1f} pts")
        gap = row.growth_gap
        if gap is not None:
            scores.append(70 + 300 * gap)
            if gap < 0:
                words.append(
                    f"we grow {wallet.signed_percent(row.our_growth)} while they grow "
                    f"{wallet.signed_percent(row.customer_growth)}"
                )
        if row.whitespace:
            words.append(f"whitespace: {', '.join(row.whitespace[:3])}")
        score = _clamp(min(scores)) if scores else None
        signals.append(Signal("wallet", w["wallet"], score, ", ".join(words)))
    _cls_name, tier, _strategic = facts.tiers.get(account, ("general", "general", False))
    allowed = facts.allowed.get(tier) or facts.allowed.get(ValueTier.general.value)
    last = facts.last_contact.get(account)
    if allowed is None:
        signals.append(Signal("contact", w["contact"], None, "no contact policy for its tier"))
    elif last is None:
        signals.append(Signal("contact", w["contact"], 0, "no contact logged"))
    else:
        days = (as_of - last).days
        score = 100 if days <= allowed else _clamp(100 - 100 * (days - allowed) / allowed)
        signals.append(
            Signal(
                "contact",
                w["contact"],
                score,
                f"no contact for {days} days (policy: every {allowed})"
                if days > allowed
                else f"last contact {days} days ago (policy: every {allowed})",
            )
        )
    overdue = facts.overdue.get(account)
    if overdue is None:
        signals.append(Signal("overdue", w["overdue"], 100, "no overdue plan items"))
    else:
        n, first = overdue
        late = (as_of - first).days
        signals.append(
            Signal(
                "overdue",
                w["overdue"],
                _clamp(100 - 25 * n - late / 2),
                f"{n} overdue plan item{'s' if n > 1 else ''}, the oldest {late} days late",
            )
        )
    open_complaints = [ComplaintSeverity(s) for s in facts.complaints.get(account, [])]
    if not open_complaints:
        signals.append(Signal("complaints", w["complaints"], 100, "no open complaints"))
    else:
        worst = min(SEVERITY_SCORE[s] for s in open_complaints)
        n = len(open_complaints)
        kinds = ", ".join(
            sorted({s.value for s in open_complaints}, key=["high", "medium", "low"].index)
        )
        signals.append(
            Signal(
                "complaints",
                w["complaints"],
                _clamp(worst - 15 * (n - 1)),
                f"{n} open complaint{'s' if n > 1 else ''} ({kinds})",
            )
        )
    survey = facts.survey.get(account)
    if survey is None:
        signals.append(Signal("satisfaction", w["satisfaction"], None, "no recent survey"))
    else:
        day, score = survey
        signals.append(
            Signal(
                "satisfaction", w["satisfaction"], score * 10, f"satisfaction {score}/10 on {day}"
            )
        )
    assert facts.threading is not None
    threads = facts.threading(account)
    signals.append(
        Signal("threading", w["threading"], 20, f"single-threaded: {threads.reason}")
        if threads.single_threaded
        else Signal("threading", w["threading"], 100, "more than one person carries it")
    )
    left = facts.left.get(account, [])
    if left:
        name, what, day = left[0]
        more = f" and {len(left) - 1} more" if len(left) > 1 else ""
        signals.append(
            Signal("contact_left", w["contact_left"], 0, f"{name} ({what}) left on {day}{more}")
        )
    else:
        signals.append(Signal("contact_left", w["contact_left"], 100, "no key contact left"))
    current, dms, champions = facts.people.get(account, (0, 0, 0))
    missing = [m for m, n in (("decision maker", dms), ("champion", champions)) if not n]
    if current == 0:
        signals.append(Signal("roles", w["roles"], 0, "we know nobody there"))
    else:
        signals.append(
            Signal(
                "roles",
                w["roles"],
                100 - 50 * len(missing),
                f"no {' and no '.join(missing)} among {current} contact{'s' if current > 1 else ''}"
                if missing
                else "decision maker and champion known",
            )
        )
    weighted = facts.pipeline.get(account, 0)
    if year <= 0:
        signals.append(Signal("pipeline", w["pipeline"], None, "no revenue to compare with"))
    else:
        coverage = weighted / year
        signals.append(
            Signal(
                "pipeline",
                w["pipeline"],
                _clamp(100 * coverage / settings.pipeline_target),
                f"weighted pipeline {money_short(weighted)} = {percent(coverage, 0)} of a year's "
                f"revenue (aim {percent(settings.pipeline_target, 0)})",
            )
        )
    return signals


def _cap(signals: list[Signal], settings: HealthSettings) -> tuple[int, str] | None:
    """The highest score allowed, and why: revenue gone (a third or more of it in a year)
    keeps an account red; any other alarm keeps it out of green. Good marks elsewhere must not
    hide an account that is slipping away."""
    alarms = [
        s
        for s in signals
        if s.key in ALARMS and s.weight and s.score is not None and s.score <= settings.alarm_at
    ]
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


def _combine(account: Any, signals: list[Signal], as_of: date, settings: HealthSettings) -> Health:
    score = _mean(signals)
    cap = _cap(signals, settings)
    capped_by = None
    if cap is not None and score > cap[0]:
        score, capped_by = cap[0], cap[1]
    account_id = as_uuid(account)
    return Health(account_id, as_of, score, band_of(score, settings), signals, capped_by=capped_by)


def compute(
    session: Session, as_of: date, accounts: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, Health]:
    """Health of every watched account (or of those of `accounts` that are watched)."""
    settings = settings_service.load(session, HealthSettings)
    facts = _read_facts(session, as_of, accounts)
    key, _ = id_forms(session.connection())

    def ids_where(condition: sa.ColumnElement) -> set[Any]:
        query = sa.select(key(_acct.c.id)).where(_scope(_acct.c.id, accounts), condition)
        return set(session.connection().execute(query).scalars())

    archived = ids_where(_acct.c.archived_at.is_not(None))
    lost = ids_where(_acct.c.status == AccountStatus.lost.value)
    result = {}
    for account in _population(facts, _floor(session), archived, lost):
        health = _combine(account, _signals(account, facts, as_of, settings), as_of, settings)
        result[health.account_id] = health
    _attach_previous(session, result, as_of)
    return result


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _attach_previous(session: Session, found: dict[uuid.UUID, Health], as_of: date) -> None:
    """The score about four weeks back (the latest weekly one at least 28 days old, within
    eight weeks), for the change."""
    if not found:
        return
    newest = _monday(as_of) - timedelta(days=28)
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


# --- the stored health, for lists, the at-risk view and reports ------------------------------


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
    setting = Setting.__table__
    parts["settings"] = _stamp(
        conn.execute(
            sa.select(sa.func.max(setting.c.updated_at)).where(
                setting.c.key.in_([SETTING_KEY, plans.POLICY_KEY, wallet.SETTING_KEY])
            )
        ).scalar()
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
    week = _monday(as_of)
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
    week = _monday(as_of)
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
) -> list[RiskRow]:
    """Stored health rows with their account, in SQL order, a page at a time if asked."""
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
        alarms = [
            s
            for s in health.signals
            if s.key in ALARMS and s.score is not None and s.weight and s.score <= settings.alarm_at
        ]
        if alarms:
            why.append("alarm: " + ", ".join(s.title.lower() for s in alarms))
    return "; ".join(why)


def watched(session: Session, order: str = "score") -> list[RiskRow]:
    """Every watched account's stored health, worst first."""
    return _rows(session, listed=False, order=order)


@reads
def at_risk(
    session: Session, order: str = "score", offset: int = 0, limit: int | None = None
) -> list[RiskRow]:
    """Watched accounts in red, falling fast, or amber with an alarm signal (declining revenue,
    long silence, an open serious complaint, a single thread, a key contact gone); worst first
    (or, with order="fall", falling fastest first); a page of them with offset and limit.
    Reads the stored health: refresh it first."""
    return _rows(session, listed=True, order=order, offset=offset, limit=limit)


@reads
def count_at_risk(session: Session) -> int:
    return int(
        session.connection()
        .execute(sa.select(sa.func.count()).where(_health.c.listed_for != ""))
        .scalar_one()
    )


@dataclass(frozen=True)
class HealthSummary:
    watched: int
    bands: dict[str, int]
    at_risk: int


@reads
def summary(session: Session) -> HealthSummary:
    bands = dict(
        session.connection()
        .execute(sa.select(_health.c.band, sa.func.count()).group_by(_health.c.band))
        .all()
    )
    return HealthSummary(
        sum(bands.values()),
        {b.value: int(bands.get(b.value, 0)) for b in HealthBand},
        count_at_risk(session),
    )
