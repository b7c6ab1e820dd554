"""The headline indicators of the key-account programme, each with its trend over the last
quarters, and the Pareto curve of the portfolio. All sums run in SQL.

- share of revenue from key accounts: the current key accounts' revenue over the 12 months to
  each quarter's end, against everyone's;
- key-account retention: of the accounts that were key a year before each quarter's end (the
  top of the ranking by the classification's cut-offs over the 12 months before that, and the
  strategic ones), the share that still bought in the 12 months since;
- average share of wallet of the key accounts, per year with estimates;
- growth of key-account revenue: the 12 months to each quarter's end against the 12 before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.db import serialize
from kam.models import (
    Account,
    AccountClassification,
    Region,
    RevenueLine,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import AccountClass, PeriodKind
from kam.services import settings as settings_service
from kam.services.accounts import regions
from kam.services.classify.pareto import ClassificationSettings
from kam.services.unit import derives, reads

QUARTERS = 4
PARETO_POINTS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

_rl = RevenueLine.__table__
_cls = AccountClassification.__table__
_acct = Account.__table__
_est = WalletEstimate.__table__


@dataclass(frozen=True)
class QuarterFigures:
    label: str  # 2026-Q4 (to date for the current quarter)
    end: date  # the day after the 12 months
    key_share: float | None
    key_growth: float | None
    retention: float | None
    kept: int
    lost: int


@dataclass
class Headline:
    as_of: date
    quarters: list[QuarterFigures]  # oldest first
    wallet: list[tuple[int, float | None, int]]  # year, average share, accounts with estimates
    pareto: list[tuple[float, float]] = field(default_factory=list)  # accounts, revenue shares

    @property
    def current(self) -> QuarterFigures | None:
        return self.quarters[-1] if self.quarters else None


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31,
            30, 31, 31, 30, 31, 30, 31][month]  # fmt: skip
    return date(year, month + 1, min(day.day, last))


def _quarter_ends(as_of: date) -> list[tuple[str, date]]:
    """(label, the day after) of the last QUARTERS quarters, the current one to date."""
    start = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)
    out = [
        (f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}", as_of.fromordinal(as_of.toordinal() + 1))
    ]
    for _ in range(QUARTERS - 1):
        prev = _shift_months(start, -3)
        out.append((f"{prev.year}-Q{(prev.month - 1) // 3 + 1}", start))
        start = prev
    return list(reversed(out))


def _is_key() -> sa.ColumnElement[bool]:
    return sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))


Windows = list[tuple[date, date, date]]  # per quarter: the year before's start, its end, end


def _windows(ends: list[tuple[str, date]]) -> Windows:
    return [(_shift_months(end, -24), _shift_months(end, -12), end) for _, end in ends]


def _ranked(windows: Windows) -> sa.Subquery:
    """Per account that bought in the windows: its revenue in each quarter's year before
    (`prior{i}`) and year to the end (`recent{i}`), its rank by the year before (`n{i}`, of
    `total{i}` that bought), and whether it is key now (`is_key`, `strategic`)."""
    amount = _rl.c.amount_minor
    sums = []
    for i, (a, b, end) in enumerate(windows):
        prior = sa.and_(_rl.c.booked_on >= a, _rl.c.booked_on < b)
        recent = sa.and_(_rl.c.booked_on >= b, _rl.c.booked_on < end)
        sums.append(sa.func.sum(sa.case((prior, amount), else_=0)).label(f"prior{i}"))
        sums.append(sa.func.sum(sa.case((recent, amount), else_=0)).label(f"recent{i}"))
    per_account = (
        sa.select(_rl.c.account_id, *sums)
        .where(
            _rl.c.booked_on >= min(w[0] for w in windows),
            _rl.c.booked_on < max(w[2] for w in windows),
        )
        .group_by(_rl.c.account_id)
        .subquery()
    )
    # Per quarter, the accounts that bought in its prior year first, by that revenue: n is
    # their rank there, total how many bought.
    ranks = []
    for i in range(len(windows)):
        prior = per_account.c[f"prior{i}"]
        bought = sa.case((prior > 0, 0), else_=1)
        ranks.append(sa.func.row_number().over(order_by=(bought, prior.desc())).label(f"n{i}"))
        ranks.append(sa.func.sum(1 - bought).over().label(f"total{i}"))
    # Worked out once per account here: written in the sums below, each quarter's column
    # would read the account tables again.
    account = per_account.c.account_id
    ranked = sa.select(
        per_account,
        *ranks,
        account.in_(sa.select(_cls.c.account_id).where(_is_key())).label("is_key"),
        account.in_(sa.select(_acct.c.id).where(_acct.c.strategic.is_(True))).label("strategic"),
    ).subquery()
    return ranked


def _total(value: Any, when: sa.ColumnElement[bool] | None = None) -> sa.ColumnElement:
    summed = value if when is None else sa.case((when, value), else_=0)
    return sa.func.coalesce(sa.func.sum(summed), 0)


def _quarter_sums(ranked: sa.Subquery, i: int, cut_bp: int) -> list[sa.ColumnElement]:
    """Quarter i's sums: everyone's revenue, the key accounts' now and the year before, and
    of the accounts key a year before, how many still bought and how many did not."""
    prior, recent = ranked.c[f"prior{i}"], ranked.c[f"recent{i}"]
    n, count = ranked.c[f"n{i}"], ranked.c[f"total{i}"]
    is_key = ranked.c.is_key
    # rank <= ceil(total x cut-off), in whole numbers like the classification itself
    was_key = sa.and_(prior > 0, sa.or_(n * 10000 <= count * cut_bp + 9999, ranked.c.strategic))
    return [
        _total(recent),
        _total(recent, is_key),
        _total(prior, is_key),
        _total(1, sa.and_(was_key, recent > 0)),
        _total(1, sa.and_(was_key, recent <= 0)),
    ]


def _figures(label: str, end: date, sums: Sequence[Any]) -> QuarterFigures:
    total_recent, key_recent, key_prior, kept, lost = (int(x) for x in sums)
    return QuarterFigures(
        label,
        end,
        key_recent / total_recent if total_recent else None,
        key_recent / key_prior - 1 if key_prior else None,
        kept / (kept + lost) if kept + lost else None,
        kept,
        lost,
    )


def _quarters(session: Session, ends: list[tuple[str, date]], cut_bp: int) -> list[QuarterFigures]:
    """Each quarter's twelve months to its end against the twelve before, all quarters from
    one pass over the revenue lines (each pass reads two years of them)."""
    ranked = _ranked(_windows(ends))
    columns = [c for i in range(len(ends)) for c in _quarter_sums(ranked, i, cut_bp)]
    figures = session.connection().execute(sa.select(*columns)).one()
    return [_figures(label, end, figures[5 * i : 5 * i + 5]) for i, (label, end) in enumerate(ends)]


@dataclass(frozen=True)
class RegionFigures:
    """A region's part of the portfolio over the 12 months to the reference date."""

    name: str  # NO_REGION for the accounts in none
    owner: str | None
    accounts: int  # live accounts
    key_accounts: int
    revenue_minor: int  # the 12 months' revenue
    revenue_share: float | None  # of the whole portfolio's
    figures: QuarterFigures  # its key-account share, growth and retention


@reads
def by_region(
    session: Session, as_of: date, *, region: regions.Scope | None = None
) -> tuple[QuarterFigures, list[RegionFigures]]:
    """The headline indicators of the current quarter for the whole portfolio and for each
    region (its territories within it), biggest region first; or, given a region or
    territory, for it alone beside the portfolio. Two grouped queries."""
    cut_bp = settings_service.load(session, ClassificationSettings).major_bp
    ends = _quarter_ends(as_of)[-1:]
    label, end = ends[0]
    ranked = _ranked(_windows(ends))
    tops = regions.top_regions()
    table = Region.__table__
    member = TeamMember.__table__
    conn = session.connection()
    if region is None:
        key: sa.ColumnElement = tops.c.top_id
    else:  # the scope's accounts against the rest
        key = _acct.c.region_id.in_(region.ids) if region.ids else sa.false()

    def grouped(select: sa.Select, source: sa.FromClause) -> sa.Select:
        return select.select_from(source.outerjoin(tops, tops.c.id == _acct.c.region_id)).group_by(
            key
        )

    sums = {
        r[0]: list(r[1:])
        for r in conn.execute(
            grouped(
                sa.select(key, *_quarter_sums(ranked, 0, cut_bp)),
                ranked.join(_acct, _acct.c.id == ranked.c.account_id),
            )
        )
    }
    counts = {
        r[0]: (int(r[1]), int(r[2]))
        for r in conn.execute(
            grouped(
                sa.select(
                    key, sa.func.count(), sa.func.count(_cls.c.account_id).filter(_is_key())
                ).where(_acct.c.archived_at.is_(None)),
                _acct.outerjoin(_cls, _cls.c.account_id == _acct.c.id),
            )
        )
    }
    whole = [sum(int(v[k]) for v in sums.values()) for k in range(5)]
    if region is not None:
        wanted = [True] if region.ids else []
        # A territory with no owner of its own is its region's.
        up, own, theirs = table.alias("up"), member.alias("own"), member.alias("theirs")
        owner = conn.execute(
            sa.select(sa.func.coalesce(own.c.name, theirs.c.name))
            .select_from(
                table.outerjoin(own, own.c.id == table.c.owner_id)
                .outerjoin(up, up.c.id == table.c.parent_id)
                .outerjoin(theirs, theirs.c.id == up.c.owner_id)
            )
            .where(table.c.id == (region.ids[0] if region.ids else None))
        ).scalar()
        names = {True: (region.name, owner)}
    else:
        names = {
            r.id: (r.name, r.owner)
            for r in conn.execute(
                sa.select(table.c.id, table.c.name, member.c.name.label("owner"))
                .outerjoin(member, member.c.id == table.c.owner_id)
                .where(table.c.parent_id.is_(None))
            )
        }
        wanted = [*names, None]
    out = []
    for ident in wanted:
        if ident not in sums and ident not in counts:
            continue
        name, owner = names[ident] if ident is not None else (regions.NO_REGION, None)
        mine = sums.get(ident, [0] * 5)
        accounts, key_accounts = counts.get(ident, (0, 0))
        out.append(
            RegionFigures(
                name,
                owner,
                accounts,
                key_accounts,
                int(mine[0]),
                int(mine[0]) / whole[0] if whole[0] else None,
                _figures(label, end, mine),
            )
        )
    out.sort(key=lambda r: (r.name == regions.NO_REGION, -r.revenue_minor, r.name))
    return _figures(label, end, whole), out


def _wallet(session: Session, as_of: date) -> list[tuple[int, float | None, int]]:
    """The key accounts' average share of wallet per year with yearly estimates (capped at
    100% per account, as an estimate below what we sell is a wrong estimate, not a share)."""
    out = []
    conn = session.connection()
    for year in range(as_of.year - 2, as_of.year + 1):
        start, end = date(year, 1, 1), date(year + 1, 1, 1)
        spend = (
            sa.select(_est.c.account_id, sa.func.sum(_est.c.total_spend_minor).label("spend"))
            .where(_est.c.period_kind == PeriodKind.year.value, _est.c.period_start == start)
            .where(_est.c.account_id.in_(sa.select(_cls.c.account_id).where(_is_key())))
            .group_by(_est.c.account_id)
            .subquery()
        )
        ours = (
            sa.select(_rl.c.account_id, sa.func.sum(_rl.c.amount_minor).label("ours"))
            .where(_rl.c.booked_on >= start, _rl.c.booked_on < min(end, _next(as_of)))
            .where(_rl.c.account_id.in_(sa.select(spend.c.account_id)))
            .group_by(_rl.c.account_id)
            .subquery()
        )
        # The year so far is scaled to a whole year, as the wallet screen does.
        elapsed = 1.0 if end <= as_of else max(1, (as_of - start).days + 1) / (end - start).days
        share = sa.func.coalesce(ours.c.ours, 0) / elapsed / spend.c.spend
        capped = sa.case((share > 1.0, 1.0), else_=share)
        avg, n = conn.execute(
            sa.select(sa.func.avg(capped), sa.func.count())
            .select_from(spend.outerjoin(ours, ours.c.account_id == spend.c.account_id))
            .where(spend.c.spend > 0)
        ).one()
        out.append((year, float(avg) if avg is not None else None, int(n)))
    return out


def _next(day: date) -> date:
    return day.fromordinal(day.toordinal() + 1)


def pareto_curve(session: Session) -> list[tuple[float, float]]:
    """(share of ranked accounts, share of revenue they bring), from the stored ranking."""
    conn = session.connection()
    total = conn.execute(sa.select(sa.func.count()).where(_cls.c.rank.is_not(None))).scalar_one()
    if not total:
        return []
    ranks = {max(1, math.ceil(total * p)): p for p in PARETO_POINTS}
    found = dict(
        conn.execute(
            sa.select(_cls.c.rank, _cls.c.cumulative_share).where(_cls.c.rank.in_(list(ranks)))
        ).all()
    )
    return [(0.0, 0.0)] + [(ranks[r], float(found[r] or 0.0)) for r in sorted(ranks) if r in found]


Inputs = tuple[str, int, int, str]
STORED_KEY = "headline_indicators"  # the last ones worked out, with the inputs they came from


def inputs_version(session: Session, as_of: date) -> Inputs:
    """A value that changes whenever what the headline indicators are worked out from does:
    the date, the data version (revenue, flags, archiving, settings) and the wallet estimates
    (their number and latest edit), which the data version does not follow."""
    stamp = sa.select(sa.func.count(), sa.func.max(_est.c.updated_at))
    estimates, latest = session.connection().execute(stamp).one()
    version = settings_service.data_version(session)
    return (as_of.isoformat(), version, int(estimates), str(latest))


def headline(session: Session, as_of: date) -> Headline:
    cut_bp = settings_service.load(session, ClassificationSettings).major_bp
    quarters = _quarters(session, _quarter_ends(as_of), cut_bp)
    return Headline(as_of, quarters, _wallet(session, as_of), pareto_curve(session))


@reads
def current_headline(
    session: Session, as_of: date, *, shown: Inputs | None = None, fresh: bool = False
) -> tuple[Inputs, Headline, bool] | None:
    """The headline indicators as the data is now, with the inputs they come from and whether
    they were worked out just now (seconds at 100k accounts; `store_headline` keeps them for
    the next time, in a write of its own so a busy database never holds them back). None when
    `shown`, the inputs of the ones on screen, are still current. `fresh` works them out even
    if the stored ones are current."""
    inputs = inputs_version(session, as_of)
    if inputs == shown:
        return None
    if not fresh:
        stored = settings_service.get_value(session, STORED_KEY)
        if stored and tuple(stored["inputs"]) == inputs:
            return inputs, _from_json(stored["headline"]), False
    return inputs, headline(session, as_of), True


@derives
def store_headline(session: Session, inputs: Inputs, data: Headline) -> None:
    """Keep `data`, worked out from `inputs`, for whoever asks next with the same inputs."""
    serialize(session, "indicators")
    settings_service.set_value(session, STORED_KEY, {"inputs": inputs, "headline": _to_json(data)})


def _to_json(data: Headline) -> dict[str, Any]:
    return {
        "as_of": data.as_of.isoformat(),
        "quarters": [
            [q.label, q.end.isoformat(), q.key_share, q.key_growth, q.retention, q.kept, q.lost]
            for q in data.quarters
        ],
        "wallet": [list(w) for w in data.wallet],
        "pareto": [list(p) for p in data.pareto],
    }


def _from_json(raw: dict[str, Any]) -> Headline:
    return Headline(
        date.fromisoformat(raw["as_of"]),
        [
            QuarterFigures(label, date.fromisoformat(end), share, growth, retention, kept, lost)
            for label, end, share, growth, retention, kept, lost in raw["quarters"]
        ],
        [(int(year), share, int(n)) for year, share, n in raw["wallet"]],
        [(float(x), float(y)) for x, y in raw["pareto"]],
    )


def pareto_chart(curve: list[tuple[float, float]], width: int = 40, height: int = 8) -> list[str]:
    """The curve as lines of block characters: accounts left to right, revenue upwards."""
    if len(curve) < 2:
        return ["no revenue ranked yet"]

    def at(x: float) -> float:
        for (x0, y0), (x1, y1) in pairwise(curve):
            if x <= x1:
                return y0 + (y1 - y0) * ((x - x0) / (x1 - x0) if x1 > x0 else 1)
        return curve[-1][1]

    heights = [at((i + 1) / width) * height for i in range(width)]
    blocks = " ▁▂▃▄▅▆▇█"
    lines = []
    for row in range(height, 0, -1):
        line = ""
        for h in heights:
            fill = h - (row - 1)
            line += blocks[8] if fill >= 1 else blocks[max(0, int(fill * 8))] if fill > 0 else " "
        label = f"{row / height:>4.0%} " if row in (height, height // 2) else "     "
        lines.append(label + "│" + line)
    lines.append("     └" + "─" * width)
    lines.append("      0%" + "50%".center(width - 6) + "100%")
    return lines
