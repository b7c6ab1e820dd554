"""Account lists (paged, filtered, sorted in SQL), account detail and name search."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import KamError
from kam.models import (
    NAME_SEARCH_TABLE,
    Account,
    AccountClassification,
    AccountHealth,
    AccountTeamMember,
    Contact,
    PlanItem,
    Region,
    RevenueLine,
    TeamMember,
    TierChange,
    name_key,
)
from kam.models.enums import AccountClass, AccountStatus, HealthBand, ValueTier
from kam.services.accounts import groups
from kam.services.accounts.regions import Scope
from kam.services.people import team as team_service
from kam.services.sql.planner import by_account
from kam.services.unit import reads
from kam.services.values import periods

_acct = Account.__table__
_cls = AccountClassification.__table__
_member = TeamMember.__table__
_health = AccountHealth.__table__
_region = Region.__table__

# Each sort key's columns, all backed by an index, so a page is read in order rather than
# sorted. The list of live accounts is the stored classification (kept current by the caller)
# joined to the accounts.
SORT_COLUMNS: dict[str, tuple[sa.ColumnElement, ...]] = {
    "revenue": (_cls.c.position,),  # position ascending is revenue descending, then name
    "share": (_cls.c.position,),
    "name": (_acct.c.name_key,),
    "class": (_cls.c.class_order, _cls.c.position),
    "tier": (_cls.c.tier_order, _cls.c.position),
    "status": (_acct.c.status, _acct.c.name_key),
    "industry": (_acct.c.industry, _acct.c.name_key),
    "region": (_region.c.name_key, _acct.c.name_key),
    "owner": (_member.c.name, _acct.c.name_key),
    "health": (_health.c.score, _cls.c.position),  # unwatched accounts have none: last
}
REVERSED_SORTS = {"revenue", "share"}  # their columns ascend while the figure descends
# Below this many matches a filtered page sorts the matches; above, it walks the sort index.
FILTER_FIRST_LIMIT = 5000


@dataclass(frozen=True)
class AccountListQuery:
    text: str = ""
    sort: str = "revenue"
    descending: bool = True
    account_class: AccountClass | None = None
    tier: ValueTier | None = None
    key_only: bool = False  # key accounts only: any class but general, or strategic
    archived: bool = False  # the archive instead of the live accounts
    # A row per group (its members' revenue together) and per account in none. A name filter,
    # or a class, tier or key filter, lists every account it finds, members too, each with
    # its group.
    folded: bool = True
    region: Scope | None = None  # a region's (with its territories') accounts only

    @property
    def shows_folded(self) -> bool:
        return self.folded and not self.archived and not self.filtered

    def __post_init__(self) -> None:
        if self.sort not in SORT_COLUMNS:
            raise KamError(f"cannot sort accounts by {self.sort!r}")

    @property
    def filtered(self) -> bool:
        return bool(self.text.strip()) or self.classified_filter or self.region is not None

    @property
    def classified_filter(self) -> bool:
        """Whether the list is narrowed by what the classification says (class, tier, key)."""
        return self.account_class is not None or self.tier is not None or self.key_only

    @property
    def described(self) -> str:
        """The class, tier and key filters in words (empty when there are none)."""
        parts = ["key accounts"] if self.key_only else []
        if self.account_class is not None:
            parts.append(f"class {self.account_class.value}")
        if self.tier is not None:
            parts.append(f"tier {self.tier.value}")
        if self.region is not None:
            parts.append(f"in {self.region.name}")
        return ", ".join(parts)


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    name: str
    account_class: AccountClass
    tier: ValueTier
    revenue_minor: int
    share: float
    status: AccountStatus
    industry: str | None
    region: str | None
    owner: str | None
    strategic: bool
    rank: int | None
    single_threaded: bool = False
    health: int | None = None  # watched accounts only
    band: HealthBand | None = None
    members: int = 0  # folded: the accounts under it, at any depth (its figures include them)
    depth: int = 0  # a member listed under its group: how far below the top
    group: str | None = None  # the top of the group it is part of, by name


def archived_ids() -> sa.Select:
    """The ids of archived accounts: few, and held by a partial index, so
    `column.not_in(archived_ids())` keeps them out of a query without a join to every account."""
    return sa.select(_acct.c.id).where(_acct.c.archived_at.is_not(None))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the user's % and _ taken literally."""
    escaped = name_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The trigram index of account names (SQLite only; see migration 0009) and the shortest filter
# it can answer.
_name_search = sa.table(NAME_SEARCH_TABLE, sa.column("name_key"), sa.column("account_id"))
NAME_SEARCH_MIN = 3


def _has_name_search(conn: sa.Connection) -> bool:
    """Whether this database has the trigram index of names (looked up once a connection)."""
    found = conn.info.get("kam_name_search")
    if found is None:
        found = conn.dialect.name == "sqlite" and bool(
            conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (NAME_SEARCH_TABLE,),
            ).first()
        )
        conn.info["kam_name_search"] = found
    return found


def name_contains(conn: sa.Connection, text: str) -> sa.ColumnElement[bool]:
    """Accounts whose name holds `text` anywhere (case and spacing ignored): from the trigram
    index for three characters or more where the database has one, else by reading the names."""
    key = name_key(text)
    if len(key) >= NAME_SEARCH_MIN and _has_name_search(conn):
        phrase = '"' + key.replace('"', '""') + '"'
        return _acct.c.id.in_(
            sa.select(_name_search.c.account_id).where(_name_search.c.name_key.match(phrase))
        )
    return _acct.c.name_key.like(like_pattern(text), escape="\\")


def _in_region(conn: sa.Connection, region: Scope, *, in_order: bool) -> sa.ColumnElement[bool]:
    """The accounts of a region; `in_order` for a region that holds many, where SQLite reads
    the list's order index and skips the others rather than sorting all of them (the unary
    `+` keeps it off the region's index)."""
    column: sa.ColumnElement = _acct.c.region_id
    if in_order and conn.dialect.name == "sqlite":
        column = sa.literal_column(f"+{_acct.name}.region_id", _acct.c.region_id.type)
    return column.in_(region.ids)


def _filtered(
    conn: sa.Connection, select: sa.Select, query: AccountListQuery, *, many: bool = False
) -> sa.Select:
    if query.archived:  # the archive is small and unclassified: name filter only
        select = select.where(_acct.c.archived_at.is_not(None))
        query = replace(query, account_class=None, tier=None, key_only=False)
    else:
        select = select.where(_acct.c.archived_at.is_(None))
    if query.text.strip():
        select = select.where(name_contains(conn, query.text))
    if query.region is not None:
        in_order = many and not query.text.strip()
        select = select.where(_in_region(conn, query.region, in_order=in_order))
    if query.account_class is not None:
        select = select.where(_cls.c.account_class == query.account_class.value)
    if query.tier is not None:
        select = select.where(_cls.c.tier == query.tier.value)
    if query.key_only:
        select = select.where(
            sa.or_(_cls.c.account_class != AccountClass.general.value, _cls.c.strategic.is_(True))
        )
    if query.shows_folded:
        select = select.where(_cls.c.fold_position.is_not(None))
    return select


@reads
def count_accounts(session: Session, query: AccountListQuery) -> int:
    if query.shows_folded:
        # The tops of groups and the accounts in none are placed 1..N without gaps: the
        # count is the last place, read off its index.
        last = sa.select(sa.func.max(_cls.c.fold_position))
        return int(session.connection().execute(last).scalar_one() or 0)
    select = sa.select(sa.func.count()).select_from(_acct)
    if not query.archived and query.classified_filter:
        select = select.select_from(_acct.join(_cls, _cls.c.account_id == _acct.c.id))
    conn = session.connection()
    return int(conn.execute(_filtered(conn, select, query)).scalar_one())


def _unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """The same order, but not one an index can give: makes the planner filter first."""
    if isinstance(column.type, sa.Enum):
        # An enum's `|| ''` would bind '' as one of its values, which is none of them.
        return sa.cast(column, sa.String)
    if isinstance(column.type, sa.String):
        return column.concat("")
    return column + 0


def _row_columns(folded: bool) -> list[sa.ColumnElement]:
    """What a row of the list shows; folded, a group's revenue and share are its members'."""
    if folded:
        total = sa.select(sa.func.sum(_cls.c.revenue_minor)).scalar_subquery()
        revenue = _cls.c.group_revenue_minor
        share = sa.cast(revenue, sa.Float) / sa.func.nullif(total, 0)
    else:
        revenue, share = _cls.c.revenue_minor, _cls.c.share
    return [
        _acct.c.id,
        _acct.c.name,
        _acct.c.parent_id,
        _cls.c.account_class,
        _cls.c.tier,
        revenue.label("revenue_minor"),
        share.label("share"),
        _acct.c.status,
        _acct.c.industry,
        _region.c.name.label("region"),
        _member.c.name.label("owner"),
        _acct.c.strategic,
        _cls.c.rank,
        _health.c.score.label("health"),
        _health.c.band,
    ]


def _with_people_and_health(source: sa.FromClause) -> sa.FromClause:
    return (
        source.outerjoin(_member, _member.c.id == _acct.c.owner_id)
        .outerjoin(_region, _region.c.id == _acct.c.region_id)
        .outerjoin(_health, _health.c.account_id == _acct.c.id)
    )


@reads
def list_accounts(
    session: Session,
    query: AccountListQuery,
    offset: int,
    limit: int,
    *,
    matches: int | None = None,
) -> list[AccountRow]:
    """One page of the account list; only the rows asked for leave the database.

    `matches` (the count for this query, when the caller has it) chooses the plan: a few
    matches are found by name and sorted; many are read in index order until the page is full.
    """
    folded = query.shows_folded
    columns = SORT_COLUMNS[query.sort]
    if folded and query.sort in REVERSED_SORTS:
        columns = (_cls.c.fold_position,)  # the groups' place, by their members' revenue
    blanks_possible = [getattr(c, "nullable", False) or c.table is _health for c in columns]
    descending = query.descending != (query.sort in REVERSED_SORTS)
    select = sa.select(*_row_columns(folded))
    if query.archived:  # archived accounts are not classified
        select = select.select_from(
            _with_people_and_health(_acct.outerjoin(_cls, _acct.c.id == _cls.c.account_id))
        )
    else:
        select = select.select_from(
            _with_people_and_health(_cls.join(_acct, _acct.c.id == _cls.c.account_id))
        )
    if not query.filtered and not query.archived and query.sort in REVERSED_SORTS:
        # Positions are 1..N without gaps: the page starts at a known position.
        place = columns[0]
        if descending:
            last = sa.select(sa.func.coalesce(sa.func.max(place), 0)).scalar_subquery()
            select = select.where(place <= last - offset)
        else:
            select = select.where(place > offset)
        offset = 0
    elif query.text.strip() and matches is not None and matches <= FILTER_FIRST_LIMIT:
        columns = tuple(_unindexed(c) for c in columns)
    # Blanks (no industry, no owner) go last whichever way the list is sorted.
    order = []
    for column, nullable in zip(columns, blanks_possible, strict=True):
        term = column.desc() if descending else column.asc()
        order.append(term.nulls_last() if nullable else term)
    conn = session.connection()
    many = matches is not None and matches > FILTER_FIRST_LIMIT
    select = _filtered(conn, select, query, many=many).order_by(*order).offset(offset)
    select = select.limit(limit)
    rows = conn.execute(select).all()
    members = groups.member_counts(session, [r.id for r in rows]) if folded else {}
    in_group = [r.id for r in rows if r.parent_id is not None]
    tops = groups.top_names(session, in_group) if in_group else {}
    return _account_rows(session, rows, members=members, tops=tops)


def _account_rows(
    session: Session,
    rows: Sequence[sa.Row],
    *,
    members: dict[uuid.UUID, int] | None = None,
    tops: dict[uuid.UUID, str] | None = None,
    depths: dict[uuid.UUID, int] | None = None,
) -> list[AccountRow]:
    lonely = team_service.single_threaded_ids(session, [row.id for row in rows])
    members, tops, depths = members or {}, tops or {}, depths or {}
    return [
        AccountRow(
            id=row.id,
            name=row.name,
            account_class=AccountClass(row.account_class or AccountClass.general),
            tier=ValueTier(row.tier or ValueTier.general),
            revenue_minor=int(row.revenue_minor or 0),
            share=float(row.share or 0),
            status=AccountStatus(row.status),
            industry=row.industry,
            region=row.region,
            owner=row.owner,
            strategic=bool(row.strategic),
            rank=row.rank,
            single_threaded=row.id in lonely,
            health=row.health,
            band=HealthBand(row.band) if row.band else None,
            members=members.get(row.id, 0),
            depth=depths.get(row.id, 0),
            group=tops.get(row.id),
        )
        for row in rows
    ]


@reads
def group_rows(session: Session, head: uuid.UUID) -> list[AccountRow]:
    """Every live account under `head`, at any depth, in tree order (each right under its
    parent), with its own figures: what unfolding a group in the list shows."""
    tree = groups.tree_under(head)
    select = (
        sa.select(*_row_columns(False), tree.c.depth)
        .select_from(
            _with_people_and_health(
                tree.join(_acct, _acct.c.id == tree.c.id).join(
                    _cls, _cls.c.account_id == _acct.c.id
                )
            )
        )
        .where(tree.c.depth > 0)
        .order_by(tree.c.path)
    )
    rows = session.connection().execute(select).all()
    return _account_rows(session, rows, depths={r.id: r.depth for r in rows})


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "account" or "contact"
    id: uuid.UUID
    account_id: uuid.UUID
    label: str
    detail: str


@reads
def search(session: Session, text: str, limit: int = 20) -> list[SearchHit]:
    """Accounts and contacts whose name contains `text` (any case, Chinese included)."""
    if not text.strip():
        return []
    pattern = like_pattern(text)
    conn = session.connection()
    accounts = conn.execute(
        sa.select(_acct.c.id, _acct.c.name, _acct.c.industry, _region.c.name.label("region"))
        .outerjoin(_region, _region.c.id == _acct.c.region_id)
        .where(_acct.c.archived_at.is_(None), name_contains(conn, text))
        .order_by(sa.func.length(_acct.c.name_key), _acct.c.name_key)
        .limit(limit)
    ).all()
    hits = [
        SearchHit("account", r.id, r.id, r.name, " · ".join(filter(None, [r.industry, r.region])))
        for r in accounts
    ]
    contact = Contact.__table__
    contacts = conn.execute(
        sa.select(contact.c.id, contact.c.name, contact.c.title, contact.c.account_id, _acct.c.name)
        .join_from(contact, _acct, _acct.c.id == contact.c.account_id)
        .where(
            _acct.c.archived_at.is_(None),
            sa.func.lower(contact.c.name).like(pattern, escape="\\"),
        )
        .order_by(sa.func.length(contact.c.name), contact.c.name)
        .limit(max(0, limit - len(hits)))
    ).all()
    hits += [
        SearchHit("contact", r[0], r[3], r[1], f"{r[2] or 'contact'} at {r[4]}") for r in contacts
    ]
    return hits


@reads
def complete_name(session: Session, typed: str) -> str | None:
    """The first live account (by name) whose name starts with `typed`, any case."""
    key = " ".join(typed.split()).casefold()
    if not key:
        return None
    return (
        session.connection()
        .execute(
            sa.select(_acct.c.name)
            .where(
                _acct.c.archived_at.is_(None),
                _acct.c.name_key >= key,
                _acct.c.name_key < key + "\U0010ffff",
            )
            .order_by(_acct.c.name_key)
            .limit(1)
        )
        .scalar()
    )


# --- one account -------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamEntry:
    member: str
    role: str


@dataclass(frozen=True)
class TierMove:
    changed_at: str
    field: str
    from_value: str | None
    to_value: str
    reason: str


@dataclass
class AccountDetail:
    account: Account
    owner: str | None
    classification: AccountClassification | None
    revenue_by_year: list[tuple[int, int, int]]  # year, revenue, cost
    revenue_by_category: dict[str, dict[int, int]]  # category -> year -> revenue
    team: list[TeamEntry]
    contacts: int
    overdue_plan_items: int
    tier_moves: list[TierMove] = field(default_factory=list)
    region: str | None = None  # its region or territory, "territory (region)" for a territory


def account_detail(session: Session, account_id: uuid.UUID, as_of: date) -> AccountDetail:
    account = session.get(Account, account_id)
    if account is None:
        raise KamError("that account no longer exists")
    conn = session.connection()
    owner = session.get(TeamMember, account.owner_id) if account.owner_id else None
    region = session.get(Region, account.region_id) if account.region_id else None
    region_label = region.name if region is not None else None
    if region is not None and region.parent_id is not None:
        above = session.get(Region, region.parent_id)
        region_label = f"{region.name} ({above.name})" if above is not None else region.name
    rl = RevenueLine.__table__
    year = periods.year_of(rl.c.booked_on, conn.dialect.name)
    by_year = conn.execute(
        sa.select(year, sa.func.sum(rl.c.amount_minor), sa.func.sum(rl.c.cost_minor))
        .where(rl.c.account_id == account_id)
        .group_by(year)
        .order_by(year)
    ).all()
    by_category: dict[str, dict[int, int]] = {}
    for category, y, amount in conn.execute(
        sa.select(rl.c.category, year, sa.func.sum(rl.c.amount_minor))
        .where(rl.c.account_id == account_id)
        .group_by(rl.c.category, year)
    ):
        by_category.setdefault(category, {})[int(y)] = int(amount)
    team_table = AccountTeamMember.__table__
    team = [
        TeamEntry(name, role)
        for name, role in conn.execute(
            sa.select(_member.c.name, team_table.c.role)
            .join_from(team_table, _member, _member.c.id == team_table.c.member_id)
            .where(team_table.c.account_id == account_id)
            .order_by(team_table.c.role, _member.c.name)
        )
    ]
    contact = Contact.__table__
    contacts = conn.execute(
        sa.select(sa.func.count())
        .select_from(contact)
        .where(contact.c.account_id == account_id, contact.c.left_on.is_(None))
    ).scalar_one()
    plan = PlanItem.__table__
    overdue = conn.execute(
        sa.select(sa.func.count())
        .select_from(plan)
        .where(
            plan.c.account_id == account_id,
            by_account(plan.c.active.is_(True), plan.c.next_due < as_of),
        )
    ).scalar_one()
    tc = TierChange.__table__
    moves = [
        TierMove(r.changed_at.strftime("%Y-%m-%d"), r.field, r.from_value, r.to_value, r.reason)
        for r in session.exec(  # type: ignore[call-overload]
            sa.select(TierChange)
            .where(tc.c.account_id == account_id)
            .order_by(tc.c.changed_at.desc())
            .limit(20)
        ).scalars()
    ]
    return AccountDetail(
        account=account,
        owner=owner.name if owner else None,
        region=region_label,
        classification=session.get(AccountClassification, account_id),
        revenue_by_year=[(int(y), int(r), int(c)) for y, r, c in by_year],
        revenue_by_category=by_category,
        team=team,
        contacts=int(contacts),
        overdue_plan_items=int(overdue),
        tier_moves=moves,
    )
