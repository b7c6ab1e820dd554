"""Share of wallet: what a customer spends per category and period, what of it comes to us, how
fast each side grows, where competitors stand, and where we sell nothing (whitespace).

The customer's spend and the competitors' shares are estimates people enter; our part comes
from the revenue lines. A period still running is compared at its run rate (our revenue so far,
scaled to the whole period), since the estimate is for the whole period.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, KamError
from kam.models import Account, RevenueLine, WalletCompetitor, WalletEstimate
from kam.models.enums import PeriodKind
from kam.services import settings as settings_service
from kam.services.history.edits import Base, FormReader, merge
from kam.services.sql.bulk import as_uuid, id_forms
from kam.services.unit import reads, writes
from kam.services.values import periods
from kam.services.values.formatting import money, percent
from kam.services.values.parsing import parse_amount
from kam.services.values.periods import Period, run_rate

_est = WalletEstimate.__table__
_comp = WalletCompetitor.__table__
_rev = RevenueLine.__table__
_acct = Account.__table__

SETTING_KEY = "wallet"
ONE_DAY = timedelta(days=1)


def _same(column: Any) -> Any:
    return column


@dataclass(frozen=True)
class WalletSettings(settings_service.TeamSettings):
    KEY: ClassVar[str] = SETTING_KEY

    lost_share_points: float = 0.03  # a fall in share of this much or more is lost share
    growth_gap: float = 0.05  # growing this much slower than the customer is falling behind
    periods: int = 4  # how many periods the account's Wallet tab shows


@dataclass
class WalletCell:
    """One category (or all of them) in one period."""

    category: str
    period: Period
    spend_minor: int | None  # the customer's total spend; None: no estimate
    ours_minor: int  # our revenue booked in the period so far
    run_rate_minor: int  # ours scaled to the whole period (equal once the period is over)
    customer_growth: float | None = None
    our_growth: float | None = None
    previous_share: float | None = None
    competitors: list[tuple[str, float]] = field(default_factory=list)
    estimate_id: uuid.UUID | None = None

    @property
    def share(self) -> float | None:
        if not self.spend_minor:
            return None
        return self.run_rate_minor / self.spend_minor

    @property
    def whitespace(self) -> bool:
        """The customer spends here and we sell nothing."""
        return bool(self.spend_minor) and self.ours_minor == 0

    @property
    def share_change(self) -> float | None:
        if self.share is None or self.previous_share is None:
            return None
        return self.share - self.previous_share

    @property
    def growth_gap(self) -> float | None:
        """Our growth less the customer's: below zero we fall behind even while growing."""
        if self.our_growth is None or self.customer_growth is None:
            return None
        return self.our_growth - self.customer_growth

    def lost_share(self, settings: WalletSettings) -> bool:
        change = self.share_change
        return change is not None and change <= -settings.lost_share_points

    def behind(self, settings: WalletSettings) -> bool:
        gap = self.growth_gap
        return gap is not None and gap <= -settings.growth_gap


@dataclass
class WalletView:
    account_id: uuid.UUID
    as_of: date
    kind: PeriodKind
    periods: list[Period]  # oldest first
    categories: list[str]
    cells: dict[tuple[str, Period], WalletCell]
    totals: dict[Period, WalletCell]  # every estimated category together
    settings: WalletSettings

    def cell(self, category: str, period: Period) -> WalletCell | None:
        return self.cells.get((category, period))

    @property
    def latest(self) -> Period | None:
        return self.periods[-1] if self.periods else None

    @property
    def whitespace(self) -> list[str]:
        """Categories where the customer spends and we sell nothing, in the latest period."""
        last = self.latest
        if last is None:
            return []
        return [c for c in self.categories if (cell := self.cell(c, last)) and cell.whitespace]

    def partial(self, period: Period) -> bool:
        return period.elapsed(self.as_of) < 1.0


# --- reading -------------------------------------------------------------------------------


def _growth(now: int | None, before: int | None) -> float | None:
    if not now and not before:
        return None
    if not before:
        return None
    return (now or 0) / before - 1.0


def _estimates(
    session: Session, where: sa.ColumnElement, kind: PeriodKind, key: Callable[[Any], Any] = _same
) -> list[Any]:
    return (
        session.connection()
        .execute(
            sa.select(
                key(_est.c.id).label("id"),
                key(_est.c.account_id).label("account_id"),
                _est.c.category,
                _est.c.period_start,
                _est.c.total_spend_minor,
                _est.c.customer_growth,
            ).where(where, _est.c.period_kind == kind.value)
        )
        .all()
    )


def competitors_of(
    session: Session, estimate_ids: list[Any], key: Callable[[Any], Any] = _same
) -> dict[Any, list]:
    """Each estimate's competitors as (name, share), largest share first."""
    found: dict[Any, list] = {}
    for chunk in range(0, len(estimate_ids), 5000):
        for estimate_id, name, share in session.connection().execute(
            sa.select(key(_comp.c.estimate_id), _comp.c.name, _comp.c.share)
            .where(key(_comp.c.estimate_id).in_(estimate_ids[chunk : chunk + 5000]))
            .order_by(_comp.c.share.desc(), _comp.c.name)
        ):
            found.setdefault(estimate_id, []).append((name, float(share)))
    return found


def _our_revenue(
    session: Session,
    accounts: sa.ColumnElement,
    kind: PeriodKind,
    since: date,
    until: date,
    key: Callable[[Any], Any] = _same,
) -> dict[tuple[Any, str, Period], int]:
    """Our revenue per account, category and period, summed in SQL."""
    return _revenue_by(session, accounts, kind, since, until, key(_rev.c.account_id))


def group_revenue(
    session: Session, accounts: sa.ColumnElement, kind: PeriodKind, since: date, until: date
) -> dict[tuple[str, Period], int]:
    """Our revenue from all these accounts together, per category and period."""
    found = _revenue_by(session, accounts, kind, since, until, None)
    return {(category, period): amount for (_, category, period), amount in found.items()}


def _revenue_by(
    session: Session,
    accounts: sa.ColumnElement,
    kind: PeriodKind,
    since: date,
    until: date,
    account: Any,
) -> dict[tuple[Any, str, Period], int]:
    conn = session.connection()
    parts = periods.period_parts(_rev.c.booked_on, kind, conn.dialect.name)
    each = [account] if account is not None else [sa.null()]
    grouped = [_rev.c.account_id] if account is not None else []
    rows = conn.execute(
        sa.select(*each, _rev.c.category, *parts, sa.func.sum(_rev.c.amount_minor))
        .where(accounts, _rev.c.booked_on >= since, _rev.c.booked_on < until)
        .group_by(*grouped, _rev.c.category, *parts)
    )
    return {(r[0], r[1], periods.period_from_parts(kind, *r[2:-1])): int(r[-1] or 0) for r in rows}


def build_view(
    account_id: Any,
    estimates: list[Any],
    ours: Mapping[tuple[str, Period], int],
    competitors: Mapping[Any, list],
    kind: PeriodKind,
    as_of: date,
    settings: WalletSettings,
    shown: int,
) -> WalletView:
    """One account's matrix from its estimates and our revenue (one code path for the Wallet
    tab and every report)."""
    spend: dict[tuple[str, Period], Any] = {}
    for e in estimates:
        spend[(e.category, periods.Period(e.period_start, kind))] = e
    estimated = sorted({p for _, p in spend})
    shown_periods = estimated[-shown:] if shown else estimated
    categories = sorted(
        {c for c, p in spend if p in shown_periods}
        | {c for (c, p), amount in ours.items() if p in shown_periods and amount}
    )
    cells: dict[tuple[str, Period], WalletCell] = {}
    totals: dict[Period, WalletCell] = {}
    for period in shown_periods:
        before = period.previous()
        total = WalletCell("All estimated", period, 0, 0, 0)
        total_before_spend = total_before_ours = 0
        for category in categories:
            estimate = spend.get((category, period))
            previous = spend.get((category, before))
            mine = ours.get((category, period), 0)
            mine_before = ours.get((category, before), 0)
            cell = WalletCell(
                category,
                period,
                estimate.total_spend_minor if estimate else None,
                mine,
                run_rate(mine, period, as_of),
                estimate_id=estimate.id if estimate else None,
                competitors=competitors.get(estimate.id, []) if estimate else [],
            )
            if estimate is not None:
                cell.customer_growth = (
                    float(estimate.customer_growth)
                    if estimate.customer_growth is not None
                    else _growth(
                        estimate.total_spend_minor, previous and previous.total_spend_minor
                    )
                )
            if previous is not None:  # a period the customer's spend is known for
                cell.our_growth = _growth(cell.run_rate_minor, mine_before)
            if previous is not None and previous.total_spend_minor:
                cell.previous_share = mine_before / previous.total_spend_minor
            cells[(category, period)] = cell
            if estimate is not None:
                total.spend_minor = (total.spend_minor or 0) + estimate.total_spend_minor
                total.ours_minor += mine
                total.run_rate_minor += cell.run_rate_minor
                if previous is not None:
                    total_before_spend += previous.total_spend_minor
                    total_before_ours += mine_before
        if total_before_spend:
            total.previous_share = total_before_ours / total_before_spend
            total.customer_growth = _growth(total.spend_minor, total_before_spend)
            total.our_growth = _growth(total.run_rate_minor, total_before_ours)
        totals[period] = total
    return WalletView(account_id, as_of, kind, shown_periods, categories, cells, totals, settings)


def _kind_for(session: Session, account_id: uuid.UUID) -> PeriodKind:
    """Years, unless the account's estimates are all by quarter."""
    kinds = set(
        session.connection()
        .execute(sa.select(_est.c.period_kind).where(_est.c.account_id == account_id).distinct())
        .scalars()
    )
    return PeriodKind.quarter if kinds == {PeriodKind.quarter.value} else PeriodKind.year


def account_wallet(
    session: Session, account_id: uuid.UUID, as_of: date, kind: PeriodKind | None = None
) -> WalletView:
    settings = settings_service.load(session, WalletSettings)
    kind = kind or _kind_for(session, account_id)
    estimates = _estimates(session, _est.c.account_id == account_id, kind)
    starts = [e.period_start for e in estimates]
    since = periods.Period(min(starts), kind).previous().start if starts else as_of
    ours = {
        (c, p): amount
        for (_, c, p), amount in _our_revenue(
            session, _rev.c.account_id == account_id, kind, since, as_of + ONE_DAY
        ).items()
    }
    found = competitors_of(session, [e.id for e in estimates])
    return build_view(account_id, estimates, ours, found, kind, as_of, settings, settings.periods)


@dataclass(frozen=True)
class AccountWalletRow:
    """One account's wallet in its latest estimated period, for the portfolio report."""

    account_id: uuid.UUID
    name: str
    period: Period
    spend_minor: int
    ours_minor: int
    run_rate_minor: int
    share: float | None
    share_change: float | None
    our_growth: float | None
    customer_growth: float | None
    whitespace: list[str]
    lost_share: list[str]  # categories where the share fell
    behind: list[str]  # categories where we grow slower than the customer
    top_competitor: str | None

    @property
    def growth_gap(self) -> float | None:
        if self.our_growth is None or self.customer_growth is None:
            return None
        return self.our_growth - self.customer_growth


def portfolio_wallet(
    session: Session,
    as_of: date,
    *,
    competitors: bool = True,
    since: date | None = None,
    accounts: list[uuid.UUID] | None = None,
) -> list[AccountWalletRow]:
    """Every account (of `accounts`, when given) with yearly wallet estimates, in its latest
    estimated year (estimates from `since` on, when given), largest spend first. The sums run
    in SQL; the comparison per account is the Wallet tab's own."""
    settings = settings_service.load(session, WalletSettings)
    kind = PeriodKind.year
    conn = session.connection()
    key, _ = id_forms(conn)
    recent = sa.and_(
        _est.c.period_start >= since if since else sa.true(),
        _est.c.account_id.in_(accounts) if accounts is not None else sa.true(),
    )
    estimates = _estimates(session, sa.and_(_est.c.period_start <= as_of, recent), kind, key)
    if not estimates:
        return []
    latest: dict[Any, date] = {}
    for e in estimates:
        if e.period_start > latest.get(e.account_id, date.min):
            latest[e.account_id] = e.period_start
    # Each account is compared in its latest estimated year against the year before: nothing
    # older is read (at 100k accounts with three years of estimates, half the revenue lines).
    first = periods.Period(min(latest.values()), kind).previous().start
    by_account: dict[Any, list] = {}
    for e in estimates:
        if e.period_start >= first:
            by_account.setdefault(e.account_id, []).append(e)
    with_estimates = sa.select(_est.c.account_id).where(_est.c.period_kind == kind.value, recent)
    ours_all = _our_revenue(
        session, _rev.c.account_id.in_(with_estimates), kind, first, as_of + ONE_DAY, key
    )
    ours_by_account: dict[Any, dict[tuple[str, Period], int]] = {}
    for (account, category, period), amount in ours_all.items():
        ours_by_account.setdefault(account, {})[(category, period)] = amount
    found: dict[Any, list] = {}
    if competitors:
        latest_ids = []
        for rows in by_account.values():
            last = max(r.period_start for r in rows)
            latest_ids += [r.id for r in rows if r.period_start == last]
        found = competitors_of(session, latest_ids, key)
    names = dict(
        conn.execute(
            sa.select(key(_acct.c.id), _acct.c.name).where(
                _acct.c.id.in_(with_estimates), _acct.c.archived_at.is_(None)
            )
        ).all()
    )
    result = []
    for account, rows in by_account.items():
        if account not in names:
            continue
        view = build_view(
            as_uuid(account), rows, ours_by_account.get(account, {}), found, kind, as_of,
            settings, 1,
        )  # fmt: skip
        result.append(_summary(view, names[account]))
    result.sort(key=lambda r: (-r.spend_minor, r.name))
    return result


def _summary(view: WalletView, name: str) -> AccountWalletRow:
    last = view.latest
    assert last is not None
    total = view.totals[last]
    cells = [c for c in (view.cell(cat, last) for cat in view.categories) if c is not None]
    rivals: dict[str, int] = {}
    for cell in cells:
        for rival, share in cell.competitors:
            rivals[rival] = rivals.get(rival, 0) + round(share * (cell.spend_minor or 0))
    return AccountWalletRow(
        view.account_id,
        name,
        last,
        total.spend_minor or 0,
        total.ours_minor,
        total.run_rate_minor,
        total.share,
        total.share_change,
        total.our_growth,
        total.customer_growth,
        [c.category for c in cells if c.whitespace],
        [c.category for c in cells if c.lost_share(view.settings)],
        [c.category for c in cells if c.behind(view.settings)],
        max(rivals, key=lambda r: (rivals[r], r)) if rivals else None,
    )


# --- describing ----------------------------------------------------------------------------


def signed_percent(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 100:+.0f}%"


def points(value: float | None) -> str:
    """A change in share, in percentage points."""
    if value is None:
        return ""
    return f"{value * 100:+.1f} pts"


def describe_cell(cell: WalletCell, settings: WalletSettings) -> list[str]:
    """What a person should notice about one cell, in words."""
    notes = []
    if cell.spend_minor is None:
        notes.append("no estimate of the customer's spend")
    elif cell.whitespace:
        notes.append(f"whitespace: they spend {money(cell.spend_minor)} and buy nothing from us")
    if cell.lost_share(settings):
        notes.append(f"lost share: {percent(cell.previous_share, 0)} → {percent(cell.share, 0)}")
    if cell.behind(settings):
        notes.append(
            f"falling behind: we grow {signed_percent(cell.our_growth)}, "
            f"they grow {signed_percent(cell.customer_growth)}"
        )
    return notes


# --- writing -------------------------------------------------------------------------------


def parse_competitors(text: str, field_name: str = "competitors") -> list[tuple[str, float]]:
    """`Acme 30%, Beta Corp 15%` (or `Acme: 30`): names with their share of the spend."""
    found: list[tuple[str, float]] = []
    for part in [p.strip() for p in (text or "").replace(";", ",").replace("，", ",").split(",")]:
        if not part:
            continue
        name, _, share_text = part.replace(":", " ").rstrip("%").strip().rpartition(" ")
        name = name.strip()
        try:
            share = float(share_text) / 100
        except ValueError:
            raise InputError(
                f"{part!r}: write a name and its share, e.g. Acme 30%", field_name
            ) from None
        if not name:
            raise InputError(f"{part!r}: the competitor's name is missing", field_name)
        if not 0 <= share <= 1:
            raise InputError(f"{part!r}: a share is between 0% and 100%", field_name)
        if any(n.casefold() == name.casefold() for n, _ in found):
            raise InputError(f"{name} is named twice", field_name)
        found.append((name, round(share, 4)))
    if sum(s for _, s in found) > 1.0001:
        raise InputError("the competitors' shares add up to more than 100%", field_name)
    return found


def competitors_text(competitors: list[tuple[str, float]]) -> str:
    return ", ".join(f"{name} {share * 100:g}%" for name, share in competitors)


def parse_growth(text: str, field_name: str) -> float | None:
    cleaned = (text or "").strip().rstrip("%").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned) / 100
    except ValueError:
        raise InputError(
            f"{text.strip()!r} is not a growth rate (try 12% or -5%)", field_name
        ) from None
    if not -1 <= value <= 10:
        raise InputError("a growth rate is between -100% and 1000%", field_name)
    return round(value, 4)


def _form_text(
    category: str,
    period: Period,
    spend_minor: int,
    growth: float | None,
    competitors: list[tuple[str, float]],
    notes: str,
) -> dict[str, str]:
    """An estimate as its form shows it (and as edits are compared)."""
    return {
        "category": category,
        "period": period.label,
        "spend": money(spend_minor),
        "customer_growth": "" if growth is None else f"{growth * 100:g}%",
        "competitors": competitors_text(competitors),
        "notes": notes,
    }


def estimate_values(estimate: WalletEstimate, competitors: list[tuple[str, float]]) -> dict:
    return _form_text(
        estimate.category,
        Period(estimate.period_start, PeriodKind(estimate.period_kind)),
        estimate.total_spend_minor,
        estimate.customer_growth,
        competitors,
        estimate.notes,
    )


def _read_form(raw: Mapping[str, Any]) -> dict[str, Any]:
    form = FormReader(raw)
    values: dict[str, Any] = {
        "category": form.text("category", limit=80, required="the category is required")
    }
    for name, reader in (
        ("period", lambda t: periods.parse_period(t, "period")),
        ("spend", lambda t: parse_amount(t, "spend")),
        ("customer_growth", lambda t: parse_growth(t, "customer_growth")),
        ("competitors", lambda t: parse_competitors(t, "competitors")),
    ):
        try:
            values[name] = reader(str(raw.get(name) or ""))
        except InputError as exc:
            message = str(exc).split(": ", 1)[-1] if str(exc).startswith(name) else str(exc)
            form.fail(name, message)
    if isinstance(values.get("spend"), int) and values["spend"] < 0:
        form.fail("spend", "the customer's spend cannot be negative")
    values["notes"] = form.text("notes", limit=500) or ""
    form.check()
    return values


def _refuse_duplicate(
    session: Session, account_id: uuid.UUID, values: dict, keep: uuid.UUID | None
) -> None:
    period: Period = values["period"]
    clash = (
        session.connection()
        .execute(
            sa.select(_est.c.id).where(
                _est.c.account_id == account_id,
                sa.func.lower(_est.c.category) == values["category"].lower(),
                _est.c.period_kind == period.kind.value,
                _est.c.period_start == period.start,
            )
        )
        .scalar()
    )
    if clash is not None and clash != keep:
        raise InputError(
            f"{values['category']} in {period.label} has an estimate already: edit that one",
            "period",
        )


def _set_competitors(
    session: Session, estimate_id: uuid.UUID, competitors: list[tuple[str, float]]
) -> None:
    session.connection().execute(_comp.delete().where(_comp.c.estimate_id == estimate_id))
    session.add_all(
        WalletCompetitor(estimate_id=estimate_id, name=name, share=share)
        for name, share in competitors
    )


@writes
def create_estimate(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any]
) -> WalletEstimate:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    values = _read_form(raw)
    _refuse_duplicate(session, account_id, values, None)
    period: Period = values["period"]
    estimate = WalletEstimate(
        account_id=account_id,
        category=values["category"],
        period_kind=period.kind,
        period_start=period.start,
        total_spend_minor=values["spend"],
        customer_growth=values["customer_growth"],
        notes=values["notes"],
    )
    session.add(estimate)
    session.flush()
    _set_competitors(session, estimate.id, values["competitors"])
    session.flush()
    return estimate


def _get(session: Session, estimate_id: uuid.UUID) -> WalletEstimate:
    estimate = session.get(WalletEstimate, estimate_id, with_for_update=True)
    if estimate is None:
        raise KamError("that wallet estimate no longer exists")
    return estimate


def _current_competitors(session: Session, estimate_id: uuid.UUID) -> list[tuple[str, float]]:
    return competitors_of(session, [estimate_id]).get(estimate_id, [])


@reads
def open_estimate_form(session: Session, estimate_id: uuid.UUID) -> Base:
    estimate = _get(session, estimate_id)
    return Base(
        estimate.version,
        estimate_values(estimate, _current_competitors(session, estimate_id)),
    )


@writes
def update_estimate(
    session: Session, estimate_id: uuid.UUID, base: Base, raw: Mapping[str, Any]
) -> WalletEstimate:
    estimate = _get(session, estimate_id)
    values = _read_form(raw)
    period: Period = values["period"]
    mine = _form_text(
        values["category"],
        period,
        values["spend"],
        values["customer_growth"],
        values["competitors"],
        values["notes"],
    )
    current = Base(
        estimate.version, estimate_values(estimate, _current_competitors(session, estimate_id))
    )
    changes = merge(base, current, mine)
    if not changes:
        return estimate
    if "category" in changes:
        estimate.category = values["category"]
    if "period" in changes:
        estimate.period_kind = period.kind
        estimate.period_start = period.start
    if "spend" in changes:
        estimate.total_spend_minor = values["spend"]
    if "customer_growth" in changes:
        estimate.customer_growth = values["customer_growth"]
    if "notes" in changes:
        estimate.notes = values["notes"]
    if "category" in changes or "period" in changes:
        _refuse_duplicate(
            session,
            estimate.account_id,
            {
                "category": estimate.category,
                "period": Period(estimate.period_start, estimate.period_kind),
            },
            estimate.id,
        )
    session.add(estimate)
    if "competitors" in changes:
        _set_competitors(session, estimate.id, values["competitors"])
    session.flush()
    return estimate


@writes
def remove_estimate(session: Session, estimate_id: uuid.UUID) -> None:
    estimate = _get(session, estimate_id)
    session.delete(estimate)
    session.flush()
