"""Portfolio classification: who is a key account, by revenue over a window, in SQL.

Active accounts (revenue > 0 in the window) are ranked by revenue, ties by name. With N of
them, `core` is the top ceil(5% x N) and `major` the next ones up to ceil(25% x N) in total
(cut-offs are settings). Others are `emerging` when flagged so, else `general`. The value tier
takes the first rule that matches: problem (cost above revenue), diamond (core), gold (major),
strategic (flag), potential (emerging flag), general; a person's tier override wins.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from kam.db import serialize
from kam.errors import InputError
from kam.models import Account, AccountClassification, RevenueLine, TierChange
from kam.models.base import utcnow
from kam.models.enums import AccountClass, ChangeSource, ClassificationField, ValueTier
from kam.services import settings as settings_service
from kam.services.accounts import groups
from kam.services.classify import segments
from kam.services.unit import derives, reads, writes
from kam.services.values.formatting import money_short

_WINDOW = re.compile(r"^\s*(\d{1,3})\s*([my])\s*$", re.IGNORECASE)
CLASSIFIED_BY = ("account", "group")
CLASS_ORDER = (AccountClass.core, AccountClass.major, AccountClass.emerging, AccountClass.general)


DEFAULT_TIER_LABELS: dict[ValueTier, str] = {
    ValueTier.diamond: "Diamond",
    ValueTier.gold: "Gold",
    ValueTier.strategic: "Strategic",
    ValueTier.potential: "Potential",
    ValueTier.general: "General",
    ValueTier.problem: "Problem",
}


@dataclass(frozen=True)
class ClassificationSettings(settings_service.TeamSettings):
    """Pareto cut-offs as shares of ranked accounts, in basis points so that ceil(5% x N) is
    exact integer arithmetic (0.05 x 100 is 5.000000000000001 in floating point)."""

    core_bp: int = 500  # top 5% of accounts with revenue are `core`
    major_bp: int = 2500  # ... and up to 25% in total are `major`
    window: str = "12m"  # 12m, 24m, 3y or lifetime
    tier_labels: dict[ValueTier, str] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_TIER_LABELS)
    )
    # "account": each account is ranked on its own revenue; "group": a group is ranked on its
    # members' revenue together, and every member takes the group's class and tier.
    by: str = "account"

    def label(self, tier: ValueTier) -> str:
        return self.tier_labels.get(tier) or str(tier).title()

    KEY: ClassVar[str] = "classification"
    CHANGES_FIGURES: ClassVar[bool] = True

    def check(self) -> None:
        if not 0 < self.core_bp <= self.major_bp <= 10000:
            raise InputError(
                "cut-offs must satisfy 0 < core share <= major share <= 100%", "core_bp"
            )
        parse_window(self.window)
        if self.by not in CLASSIFIED_BY:
            raise InputError("classify by account or by group", "by")

    @property
    def by_group(self) -> bool:
        return self.by == "group"


@writes
def classify_by(session: Session, by: str, user: str) -> ClassificationSettings:
    """Whether the team ranks accounts on their own or groups on their members together."""
    current = settings_service.load(session, ClassificationSettings)
    return settings_service.save(session, dataclasses.replace(current, by=by), by=user)


def classified_by_words(settings: ClassificationSettings) -> str:
    core = settings.core_bp / 100
    major = (settings.major_bp - settings.core_bp) / 100
    words = f"core: top {core:g}% · major: next {major:g}%"
    return words + (" · by group" if settings.by_group else "")


@dataclass(frozen=True)
class Window:
    """Revenue booked after `start` (exclusive) up to `end` (inclusive); start None = lifetime."""

    start: date | None
    end: date
    label: str


def parse_window(text: str) -> relativedelta | None:
    """`12m`, `24m`, `2y`, `3y` or `lifetime`; None means lifetime."""
    if text.strip().lower() in {"lifetime", "all"}:
        return None
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"window {text!r} is not valid: use months or years such as 12m, 24m, 3y, or lifetime",
            "window",
        )
    count, unit = int(match.group(1)), match.group(2).lower()
    return relativedelta(months=count) if unit == "m" else relativedelta(years=count)


def make_window(as_of: date, text: str) -> Window:
    span = parse_window(text)
    return Window(None if span is None else as_of - span, as_of, text.strip().lower())


@dataclass(slots=True)
class ClassifiedAccount:
    account_id: str  # as stored; `uuid.UUID(account_id)` when a UUID object is needed
    name: str
    revenue_minor: int
    cost_minor: int
    rank: int | None
    share: float
    cumulative_share: float | None
    account_class: AccountClass
    computed_tier: ValueTier
    tier: ValueTier
    strategic: bool
    via_group: str | None = None  # classified by group: the top of the group it takes after

    @property
    def is_key(self) -> bool:
        return self.account_class != AccountClass.general or self.strategic


@dataclass(frozen=True)
class ClassSummary:
    account_class: AccountClass
    accounts: int
    revenue_minor: int
    share: float
    cumulative_share: float
    # This class's ranked accounts (with revenue in the window) as a share of all ranked
    # ones: the column adds up to 100%, whatever number of accounts bought nothing.
    account_share: float


@dataclass(frozen=True)
class Classification:
    window: Window
    accounts: list[ClassifiedAccount]
    classes: list[ClassSummary]
    total_revenue_minor: int
    ranked_accounts: int
    # The ranked units: accounts, or (classified by group) groups and accounts in none.
    ranked_units: int = 0


def classification_select(window: Window, settings: ClassificationSettings) -> sa.Select:
    """One SELECT with one row per live account: the heart of the classification."""
    rl = RevenueLine.__table__
    acct = Account.__table__
    # Each live account with its revenue lines in the window, summed: read in id order, each
    # account's lines are one range of the covering index on (account, date).
    in_window = [rl.c.account_id == acct.c.id, rl.c.booked_on <= window.end]
    if window.start is not None:
        in_window.append(rl.c.booked_on > window.start)
    revenue_value = sa.func.coalesce(sa.func.sum(rl.c.amount_minor), 0)
    cost_value = sa.func.coalesce(sa.func.sum(rl.c.cost_minor), 0)
    summed = (
        sa.select(
            acct.c.id.label("account_id"),
            acct.c.name,
            acct.c.name_key,
            acct.c.strategic,
            acct.c.emerging,
            acct.c.tier_override,
            revenue_value.label("revenue"),
            cost_value.label("cost"),
        )
        .select_from(acct.outerjoin(rl, sa.and_(*in_window)))
        .where(acct.c.archived_at.is_(None))
        .group_by(acct.c.id)
        .subquery("summed")
    )
    return _classified(summed, window, settings)


def _class_and_tier(
    settings: ClassificationSettings,
    rank: sa.ColumnElement,
    n_active: sa.ColumnElement,
    revenue: sa.ColumnElement,
    cost: sa.ColumnElement,
    strategic: sa.ColumnElement,
    emerging: sa.ColumnElement,
) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """The class and the computed tier of a unit (an account, or a group as a whole) from its
    rank among the `n_active` units with revenue."""
    # ceil(bp x N / 10000) is integer arithmetic, identical on SQLite and PostgreSQL.
    core_n = (settings.core_bp * n_active + 9999) // 10000
    major_n = (settings.major_bp * n_active + 9999) // 10000
    account_class = sa.case(
        (rank <= core_n, AccountClass.core.value),
        (rank <= major_n, AccountClass.major.value),
        (emerging.is_(True), AccountClass.emerging.value),
        else_=AccountClass.general.value,
    )
    computed_tier = sa.case(
        (cost > revenue, ValueTier.problem.value),
        (rank <= core_n, ValueTier.diamond.value),
        (rank <= major_n, ValueTier.gold.value),
        (strategic.is_(True), ValueTier.strategic.value),
        (emerging.is_(True), ValueTier.potential.value),
        else_=ValueTier.general.value,
    )
    return account_class, computed_tier


def _classified(summed: sa.Subquery, window: Window, settings: ClassificationSettings) -> sa.Select:
    """Every account with the top of its group (itself when it stands alone, or when only a
    loop leads to it) and the group's revenue, its members' together. By account, each
    account is ranked on its own revenue; by group, the groups are ranked and each member
    takes its group's class and tier. Either way the tops are placed by their group's revenue
    (`fold_position`, the folded accounts list's order). The groups' sums are read for the
    accounts in groups only; the places are window functions over every account."""
    tops = groups.tops()
    head = Account.__table__.alias("head")
    # The groups' revenue and cost, summed over the few accounts in groups alone (most are in
    # none, and their unit's figures are their own).
    rl = RevenueLine.__table__
    in_window = [rl.c.account_id == tops.c.id, rl.c.booked_on <= window.end]
    if window.start is not None:
        in_window.append(rl.c.booked_on > window.start)
    unit_sums = (
        sa.select(
            tops.c.top,
            sa.func.coalesce(sa.func.sum(rl.c.amount_minor), 0).label("revenue"),
            sa.func.coalesce(sa.func.sum(rl.c.cost_minor), 0).label("cost"),
        )
        .select_from(tops.outerjoin(rl, sa.and_(*in_window)))
        .group_by(tops.c.top)
        .subquery("unit_sums")
    )
    unit = sa.func.coalesce(tops.c.top, summed.c.account_id)
    together = (
        sa.select(
            *summed.c,
            unit.label("unit"),
            sa.case((tops.c.depth > 0, 0), else_=1).label("is_head"),
            sa.func.coalesce(head.c.name_key, summed.c.name_key).label("head_key"),
            sa.func.coalesce(head.c.strategic, summed.c.strategic).label("head_strategic"),
            sa.func.coalesce(head.c.emerging, summed.c.emerging).label("head_emerging"),
            sa.case(
                (tops.c.top.is_(None), summed.c.tier_override), else_=head.c.tier_override
            ).label("head_override"),
            sa.func.coalesce(unit_sums.c.revenue, summed.c.revenue).label("unit_revenue"),
            sa.func.coalesce(unit_sums.c.cost, summed.c.cost).label("unit_cost"),
        )
        .select_from(
            summed.outerjoin(tops, tops.c.id == summed.c.account_id)
            .outerjoin(head, head.c.id == tops.c.top)
            .outerjoin(unit_sums, unit_sums.c.top == tops.c.top)
        )
        .subquery("together")
    )
    c = together.c
    # The groups' order: each group's members next to each other, so a running count of the
    # tops (RANGE: a group's rows are peers) is the group's place.
    unit_active = c.unit_revenue > 0
    unit_order = (sa.case((unit_active, 0), else_=1), c.unit_revenue.desc(), c.head_key, c.unit)
    own_active = c.revenue > 0
    own_order = (sa.case((own_active, 0), else_=1), c.revenue.desc(), c.name_key, c.account_id)
    placed = sa.select(
        *together.c,
        sa.func.sum(c.is_head).over(order_by=unit_order, range_=(None, 0)).label("place"),
        sa.func.sum(sa.case((sa.and_(unit_active, c.is_head == 1), 1), else_=0))
        .over()
        .label("units_active"),
        sa.func.sum(c.revenue).over(order_by=unit_order, range_=(None, 0)).label("unit_running"),
        sa.func.row_number().over(order_by=own_order).label("own_position"),
        sa.func.sum(sa.case((own_active, 1), else_=0)).over().label("own_active"),
        sa.func.sum(c.revenue).over(order_by=own_order, rows=(None, 0)).label("own_running"),
        sa.func.sum(c.revenue).over().label("total"),
    ).subquery("placed")
    p = placed.c
    total = sa.func.nullif(p.total, 0)
    if settings.by_group:
        rank = sa.case((p.unit_revenue > 0, p.place))
        account_class, computed_tier = _class_and_tier(
            settings, rank, p.units_active, p.unit_revenue, p.unit_cost, p.head_strategic,
            p.head_emerging,
        )  # fmt: skip
        # A member's own override wins; else the group's (its top's), else the computed tier.
        tier = sa.func.coalesce(p.tier_override, p.head_override, computed_tier)
        cumulative = sa.case((p.unit_revenue > 0, sa.cast(p.unit_running, sa.Float) / total))
        via_group = sa.case((p.is_head == 0, p.unit))
        # Members follow their group's place: the top first, then by their own revenue.
        position = sa.func.row_number().over(
            order_by=(p.place, p.is_head.desc(), p.revenue.desc(), p.name_key, p.account_id)
        )
    else:
        # Active accounts come first in the window's order, so their rank is their position.
        rank = sa.case((p.revenue > 0, p.own_position))
        account_class, computed_tier = _class_and_tier(
            settings, rank, p.own_active, p.revenue, p.cost, p.strategic, p.emerging
        )
        tier = sa.func.coalesce(p.tier_override, computed_tier)
        cumulative = sa.case((p.revenue > 0, sa.cast(p.own_running, sa.Float) / total))
        via_group = sa.cast(sa.null(), sa.Uuid)
        position = p.own_position
    return sa.select(
        p.account_id,
        p.name,
        p.name_key,
        p.revenue.label("revenue_minor"),
        p.cost.label("cost_minor"),
        rank.label("rank"),
        sa.func.coalesce(sa.cast(p.revenue, sa.Float) / total, 0.0).label("share"),
        cumulative.label("cumulative_share"),
        account_class.label("account_class"),
        computed_tier.label("computed_tier"),
        tier.label("tier"),
        p.strategic,
        via_group.label("via_group_id"),
        p.unit_revenue.label("group_revenue_minor"),
        sa.case((p.is_head == 1, p.place)).label("fold_position"),
        position.label("position"),
        _ordinal(account_class, AccountClass).label("class_order"),
        _ordinal(tier, ValueTier).label("tier_order"),
    )


def _ordinal(expression: sa.ColumnElement, vocabulary: type) -> sa.ColumnElement:
    return sa.case(*((expression == m.value, i) for i, m in enumerate(vocabulary)), else_=99)


# An account's figures, as both the fresh statement and the stored classification name them.
_FIGURES = (
    "revenue_minor",
    "cost_minor",
    "rank",
    "share",
    "cumulative_share",
    "account_class",
    "computed_tier",
    "tier",
    "strategic",
    "via_group_id",
)
_READ_COLUMNS = ("name", *_FIGURES[:-1])
_CLASSES = {c.value: c for c in AccountClass}
_TIERS = {t.value: t for t in ValueTier}


def classify(
    session: Session,
    as_of: date,
    window_text: str | None = None,
    settings: ClassificationSettings | None = None,
) -> Classification:
    """Classify every live account; rows ordered by rank, unranked ones by name at the end.

    Reads the stored classification when it is current for these inputs (same date, window,
    cut-offs and data version), else computes it afresh; both give the same rows."""
    settings = settings or settings_service.load(session, ClassificationSettings)
    window = make_window(as_of, window_text or settings.window)
    conn = session.connection()
    if window.label == settings.window and is_current(session, as_of):
        query = _stored_select()
    else:
        query = classification_select(window, settings).subquery("c")
    # Position orders ranked accounts by rank, then the unranked ones by name. The statement's
    # only parameters are the window's dates and the cut-offs: written into it, the rows come
    # through the driver's cursor.
    rows = fetch_all(conn, _as_text_ids(query).order_by(query.c.position), literal_binds=True)
    classes, tiers = _CLASSES, _TIERS
    accounts = [
        ClassifiedAccount(
            account_id,
            name,
            int(revenue),
            int(cost),
            rank,
            float(share),
            None if cumulative is None else float(cumulative),
            classes[account_class],
            tiers[computed_tier],
            tiers[tier],
            bool(strategic),
            via_group,
        )
        for (
            account_id,
            name,
            revenue,
            cost,
            rank,
            share,
            cumulative,
            account_class,
            computed_tier,
            tier,
            strategic,
            via_group,
        ) in rows
    ]
    total = sum(a.revenue_minor for a in accounts)
    ranked = sum(1 for a in accounts if a.rank is not None)
    units = sum(1 for a in accounts if a.rank is not None and a.via_group is None)
    classes_summary = summarize_classes(accounts, total, ranked)
    return Classification(window, accounts, classes_summary, total, ranked, units)


def fetch_all(
    conn: sa.Connection, statement: sa.Select, *, literal_binds: bool = False
) -> list[tuple]:
    """All rows as plain tuples. A statement without parameters runs on the driver's cursor,
    which halves the cost of reading 100k rows; values come back as the driver gives them.
    `literal_binds` writes the parameters into the statement: only for numbers and dates kam
    computed itself, never for text a person typed."""
    compiled = statement.compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": literal_binds}
    )
    if compiled.params:
        return [tuple(row) for row in conn.execute(statement)]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()


def _as_text_ids(query: sa.Subquery) -> sa.Select:
    """The columns `classify` reads, ids left as stored text: 100k UUID objects cost a third
    of a second. (The sort keys kept with the stored classification are not computed.)"""
    return sa.select(
        sa.type_coerce(query.c.account_id, sa.String).label("account_id"),
        *(query.c[name] for name in _READ_COLUMNS),
        sa.type_coerce(query.c.via_group_id, sa.String).label("via_group_id"),
    )


def _stored_select() -> sa.Subquery:
    cache = AccountClassification.__table__
    acct = Account.__table__
    return (
        sa.select(
            cache.c.account_id,
            acct.c.name,
            acct.c.name_key,
            cache.c.revenue_minor,
            cache.c.cost_minor,
            cache.c.rank,
            cache.c.share,
            cache.c.cumulative_share,
            cache.c.account_class,
            cache.c.computed_tier,
            cache.c.tier,
            acct.c.strategic,
            cache.c.via_group_id,
            cache.c.position,
        )
        .join_from(cache, acct, acct.c.id == cache.c.account_id)
        .where(acct.c.archived_at.is_(None))
        .subquery("c")
    )


def summarize_classes(
    accounts: list[ClassifiedAccount], total: int, ranked: int
) -> list[ClassSummary]:
    """Each class as a whole, so a team sees whether its 5% really bring half."""
    counts = dict.fromkeys(CLASS_ORDER, 0)
    ranked_in = dict.fromkeys(CLASS_ORDER, 0)  # those with revenue in the window
    revenue = dict.fromkeys(CLASS_ORDER, 0)
    for account in accounts:
        counts[account.account_class] += 1
        if account.rank is not None:
            ranked_in[account.account_class] += 1
        revenue[account.account_class] += account.revenue_minor
    summaries, running = [], 0
    for cls in CLASS_ORDER:
        running += revenue[cls]
        summaries.append(
            ClassSummary(
                cls,
                counts[cls],
                revenue[cls],
                revenue[cls] / total if total else 0.0,
                running / total if total else 0.0,
                ranked_in[cls] / ranked if ranked else 0.0,
            )
        )
    return summaries


# --- the stored classification used by lists and the dashboard ------------------------------


def _state_key(as_of: date, settings: ClassificationSettings, version: int) -> dict:
    return {
        "as_of": as_of.isoformat(),
        "window": settings.window,
        "core_bp": settings.core_bp,
        "major_bp": settings.major_bp,
        "by": settings.by,
        "data_version": version,
    }


STATE_KEY = "classification_state"


@reads
def is_current(session: Session, as_of: date) -> bool:
    settings = settings_service.load(session, ClassificationSettings)
    wanted = _state_key(as_of, settings, settings_service.data_version(session))
    return settings_service.get_value(session, STATE_KEY) == wanted


@derives
def refresh(
    session: Session,
    as_of: date,
    *,
    force: bool = False,
    moved_at: datetime | None = None,
    with_segments: bool = True,
) -> int:
    """Rebuild the stored classification when its inputs changed (revenue, flags, settings or
    the date); record every class or tier move as a TierChange row (dated `moved_at`, default
    now); rebuild the behaviour segments from the same data. Returns the moves."""
    serialize(session, "classification")  # another process rebuilding it: wait, then see
    settings = settings_service.load(session, ClassificationSettings)
    wanted = _state_key(as_of, settings, settings_service.data_version(session))
    previous_state = settings_service.get_value(session, STATE_KEY)
    if previous_state == wanted and not force:
        return 0
    conn = session.connection()
    cache = AccountClassification.__table__
    conn.execute(sa.text("DROP TABLE IF EXISTS previous_classification"))
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE previous_classification AS "
            "SELECT account_id, account_class, tier, revenue_minor, cost_minor, rank "
            "FROM account_classification"
        )
    )
    conn.execute(cache.delete())
    window = make_window(as_of, settings.window)
    select = classification_select(window, settings)
    columns = [
        "account_id", *_FIGURES, "group_revenue_minor", "fold_position", "position",
        "class_order", "tier_order",
    ]  # fmt: skip
    source = select.subquery("fresh")
    conn.execute(
        cache.insert().from_select(columns, sa.select(*(source.c[name] for name in columns)))
    )
    moves = 0
    if previous_state is not None:
        moves = _record_moves(session, window, moved_at or utcnow())
    conn.execute(sa.text("DROP TABLE previous_classification"))
    if with_segments:
        segments.refresh(session, as_of)
    settings_service.set_value(session, STATE_KEY, wanted)
    return moves


def _record_moves(session: Session, window: Window, moved_at: datetime) -> int:
    rows = (
        session.connection()
        .execute(
            sa.text(
                "SELECT c.account_id, p.account_class, c.account_class, p.tier, c.tier, "
                "p.revenue_minor, c.revenue_minor, c.cost_minor, p.rank, c.rank "
                "FROM account_classification c "
                "JOIN previous_classification p ON p.account_id = c.account_id "
                "WHERE p.account_class <> c.account_class OR p.tier <> c.tier"
            )
        )
        .all()
    )
    changes = []
    for row in rows:
        account_id, old_class, new_class, old_tier, new_tier = row[:5]
        account_uuid = account_id if isinstance(account_id, uuid.UUID) else uuid.UUID(account_id)
        reason = _move_reason(row, window)
        for field, old, new in (
            (ClassificationField.account_class, old_class, new_class),
            (ClassificationField.tier, old_tier, new_tier),
        ):
            if old != new:
                changes.append(
                    TierChange(
                        account_id=account_uuid,
                        field=field,
                        from_value=old,
                        to_value=new,
                        changed_at=moved_at,
                        source=ChangeSource.classification,
                        reason=reason,
                    )
                )
    session.add_all(changes)
    session.flush()
    return len(changes)


STOPPED_BUYING = "no purchases"  # how a move's reason says the account bought nothing since


def is_upgrade(field: str, from_value: str | None, to_value: str, reason: str) -> bool:
    """Whether a class or tier move is an upgrade: a better place in the order (core before
    general, diamond before problem), unless the account stopped buying. An account whose
    revenue went to nothing leaves `problem` for `general` because it costs nothing either,
    which is no good news."""
    if reason.endswith(f"→ {STOPPED_BUYING}"):
        return False
    order = (
        [c.value for c in AccountClass]
        if field == "account_class"
        else [t.value for t in ValueTier]
    )

    def place(value: str | None) -> int:
        return order.index(value) if value in order else len(order)

    return place(to_value) < place(from_value)


def _move_reason(row: Any, window: Window) -> str:
    """Why an account moved, in words: its revenue and rank before and after."""
    old_revenue, new_revenue, cost, old_rank, new_rank = (int(v or 0) for v in row[5:])
    span = f"{window.label} to {window.end.isoformat()}"
    if row[4] == ValueTier.problem.value and row[3] != ValueTier.problem.value:
        return (
            f"costs more to serve than it brings: cost {money_short(cost)} vs revenue "
            f"{money_short(new_revenue)} over {span}"
        )

    def place(rank: int) -> str:
        return f"#{rank:,}" if rank else STOPPED_BUYING

    return (
        f"revenue {money_short(old_revenue)} → {money_short(new_revenue)} over {span}; "
        f"rank {place(old_rank)} → {place(new_rank)}"
    )
