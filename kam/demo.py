"""Deterministic demo data at any scale (10 to 100k accounts).

Revenue is Pareto-shaped (alpha 1.25: the top 5% of accounts bring a little over half of
revenue, the top 25% about three quarters), spread over three years with categories and a cost
to serve. Some accounts decline, fall silent or are lost; some cost more than they bring. Names
mix English and Chinese. The same seed and date always give the same database.

Rows are written with bulk inserts in storage order (ids are time-ordered, UUIDv7-style), so
100k accounts with ~2M revenue lines build in seconds rather than minutes.
"""

from __future__ import annotations

import math
import os
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from kam.db import Database, exclusive_use, open_database, process_alive, sqlite_path
from kam.errors import KamError
from kam.models import (
    Account,
    AccountTeamMember,
    Activity,
    ActivityContact,
    ActivityMember,
    Complaint,
    Contact,
    Opportunity,
    OpportunityStageChange,
    PlanItem,
    Region,
    RevenueLine,
    SatisfactionScore,
    TeamMember,
    WalletCompetitor,
    WalletEstimate,
    name_key,
)
from kam.models.enums import (
    OPEN_STAGES,
    AccountStatus,
    ActivityKind,
    Attitude,
    BuyingFactor,
    BuyingRole,
    ComplaintSeverity,
    Influence,
    OpportunityStage,
    PeriodKind,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipStrength,
    RelationshipType,
    Sentiment,
    TeamRole,
)
from kam.services import settings as settings_service
from kam.services.classify import pareto
from kam.services.health import stored as health

DEMO_MARKER = "demo"
PARETO_ALPHA = 1.25
BASE_ANNUAL_MINOR = 2_000_000  # 20,000.00 a year for the smallest accounts
YEARS = 3

CATEGORIES = (
    "Equipment",
    "Spare parts",
    "Service contracts",
    "Consumables",
    "Software",
    "Training",
    "Engineering",
)
INDUSTRIES = (
    "Automotive",
    "Chemicals",
    "Electronics",
    "Energy",
    "Food & Beverage",
    "Logistics",
    "Machinery",
    "Medical",
    "Mining",
    "Pharma",
    "Retail",
    "Telecom",
)
REGIONS = ("North", "South", "East", "West", "Central", "Export", "华东", "华南", "华北")
# The regions the names above are in: North..Central are territories of Europe, the Chinese
# ones of 中国; Export is a region with no territories.
REGION_OF = {
    **{name: "Europe" for name in REGIONS[:5]},
    "Export": None,
    **{name: "中国" for name in REGIONS[6:]},
}
EN_PREFIX = [
    "Northwind",
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Vandelay",
    "Hooli",
    "Massive",
    "Dynamic",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Pied",
    "Piper",
    "Blue",
    "Sun",
    "Virtucon",
    "Nakatomi",
    "Zorin",
    "Gekko",
    "Duff",
    "Krusty",
    "Ollivander",
    "Sterling",
    "Cooper",
    "Bluth",
    "Dunder",
    "Prestige",
    "Atlas",
    "Summit",
    "Harbor",
    "Pioneer",
    "Evergreen",
    "Granite",
    "Silverline",
    "Redwood",
    "Ironclad",
    "Beacon",
    "Crescent",
    "Falcon",
    "Meridian",
    "Orion",
    "Polaris",
    "Quantum",
    "Riverside",
    "Sapphire",
    "Titan",
    "Vertex",
    "Zenith",
    "Alpine",
    "Cobalt",
]
EN_CORE = [
    "Steel",
    "Logistics",
    "Foods",
    "Pharma",
    "Motors",
    "Energy",
    "Systems",
    "Robotics",
    "Plastics",
    "Textiles",
    "Chemicals",
    "Instruments",
    "Packaging",
    "Aerospace",
    "Marine",
    "Mining",
    "Electronics",
    "Optics",
    "Medical",
    "Materials",
    "Tooling",
    "Foundry",
    "Analytics",
    "Devices",
    "Components",
    "Fluidics",
    "Controls",
    "Composites",
    "Polymers",
    "Hydraulics",
]
EN_SUFFIX = ("Ltd", "GmbH", "Inc", "AG", "plc", "S.A.", "Group", "Holdings", "Corp", "BV", "AB")
ZH_PLACE = (
    "华东 华南 华北 西南 东北 上海 北京 深圳 广州 杭州 苏州 天津 "
    "重庆 成都 武汉 南京 宁波 青岛 厦门 无锡 佛山 东莞 合肥 西安 长沙"
).split()
ZH_WORD = [
    "精密",
    "宏达",
    "永盛",
    "恒通",
    "华丰",
    "金桥",
    "新世纪",
    "远航",
    "百川",
    "卓越",
    "东方",
    "长城",
    "天成",
    "鼎盛",
    "瑞丰",
    "安泰",
    "海纳",
    "中联",
    "博远",
    "嘉禾",
    "汇通",
    "润丰",
    "信达",
    "正泰",
    "祥和",
    "明珠",
    "锦程",
    "腾飞",
    "同创",
    "泰和",
]
ZH_TRADE = [
    "机械",
    "化工",
    "电子",
    "物流",
    "钢铁",
    "制药",
    "汽车零部件",
    "包装",
    "纺织",
    "能源",
    "仪器",
    "材料",
    "自动化",
    "医疗器械",
    "食品",
]
ZH_FORM = ("有限公司", "股份有限公司", "集团有限公司", "科技有限公司")
EN_FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Henry",
    "Iris",
    "Jack",
    "Kate",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zoe",
]
EN_LAST = [
    "Smith",
    "Jones",
    "Miller",
    "Brown",
    "Garcia",
    "Martin",
    "Weber",
    "Rossi",
    "Novak",
    "Silva",
    "Kim",
    "Tanaka",
    "Nilsson",
    "Dubois",
    "Schmidt",
    "Walsh",
    "Moreau",
    "Costa",
    "Larsen",
    "Fischer",
]
ZH_SURNAME = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
ZH_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉")
TITLES = (
    "CEO",
    "CFO",
    "COO",
    "Head of Procurement",
    "Purchasing Manager",
    "Plant Manager",
    "Engineering Director",
    "Quality Manager",
    "Maintenance Lead",
    "IT Director",
    "Buyer",
    "R&D Manager",
)
DEPARTMENTS = ("Executive", "Procurement", "Operations", "Engineering", "Quality", "Finance", "IT")
COMPETITORS = (
    "Siemens",
    "ABB",
    "Schneider",
    "Bosch",
    "汇川技术",
    "Honeywell",
    "Emerson",
    "正泰电器",
)
PLAN_RULES = (
    (ActivityKind.visit, "FREQ=WEEKLY;INTERVAL=2"),
    (ActivityKind.executive_meeting, "FREQ=MONTHLY"),
    (ActivityKind.business_review, "FREQ=MONTHLY;INTERVAL=3"),
    (ActivityKind.greeting, "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=20"),
    (ActivityKind.call, "FREQ=MONTHLY;INTERVAL=3"),
)


# Each vocabulary listed once: listing an enum in the loops below cost seconds at 100k accounts.
_MEMBERS: dict[type, list] = {
    vocabulary: list(vocabulary)
    for vocabulary in (
        RelationshipStage,
        RelationshipHorizon,
        BuyingRole,
        Attitude,
        Influence,
        RelationshipStrength,
        Sentiment,
        ComplaintSeverity,
    )
}
_VALUES: dict[type, list[str]] = {v: [m.value for m in members] for v, members in _MEMBERS.items()}
_OTHER_ROLES = [r for r in TeamRole if r != TeamRole.account_lead]


class _Ids:
    """Time-ordered UUIDs (UUIDv7 layout) from a seeded generator: deterministic, and inserted in
    index order, which keeps bulk loads fast."""

    def __init__(self, rng: random.Random, start_ms: int) -> None:
        self._rng = rng
        self._next_ms = start_ms

    def new(self) -> int:
        """A UUID as its 128-bit integer; `_Sink.uuid` renders it for the database."""
        self._next_ms += 1
        rand = self._rng.getrandbits(74)
        return (
            (self._next_ms << 80)
            | (0x7 << 76)
            | ((rand >> 62) << 64)
            | (0b10 << 62)
            | (rand & 0x3FFFFFFFFFFFFFFF)
        )


class _Sink:
    """Collects rows per table and writes them in bulk, in the database's own storage format."""

    def __init__(self, conn: sa.Connection, batch: int = 50_000) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.batch = batch
        self.pending: dict[sa.Table, list[tuple]] = {}
        self.counts: dict[str, int] = {}

    def uuid(self, value: int | None) -> object:
        if value is None:
            return None
        return f"{value:032x}" if self.sqlite else uuid.UUID(int=value)

    def day(self, value: date | None) -> object:
        if value is None:
            return None
        return value.isoformat() if self.sqlite else value

    def moment(self, value: datetime) -> object:
        if self.sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def add(self, model: type[SQLModel], row: tuple) -> None:
        table = model.__table__  # type: ignore[attr-defined]
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush()

    def adder(self, model: type[SQLModel]) -> Callable[[tuple], None]:
        """`add` for one table, for loops that write millions of its rows."""
        table = model.__table__  # type: ignore[attr-defined]
        pending, batch, flush = self.pending, self.batch, self.flush

        def add(row: tuple) -> None:
            rows = pending.get(table)
            if rows is None:
                rows = pending[table] = []
            rows.append(row)
            if len(rows) >= batch:
                flush()

        return add

    def flush(self) -> None:
        """Write everything pending, parents before children (foreign keys are on)."""
        for tbl in SQLModel.metadata.sorted_tables:
            rows = self.pending.get(tbl) or []
            if not rows:
                continue
            columns = [c.name for c in tbl.columns]
            if len(rows[0]) != len(columns):
                raise RuntimeError(
                    f"demo rows for {tbl.name} do not match its {len(columns)} columns"
                )
            if self.sqlite:
                sql = (
                    f"INSERT INTO {tbl.name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                self.conn.exec_driver_sql(sql, rows)
            else:
                self.conn.execute(tbl.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
            self.counts[tbl.name] = self.counts.get(tbl.name, 0) + len(rows)
            self.pending[tbl] = []


def _groups(account_rows: list[tuple[int, str, bool]], by_size: list[int]) -> dict[int, int]:
    """Which account each member of a group hangs under (by index): about one group per 300
    accounts, headed by a larger account, with 2-8 members of the same language, and one
    group in three a level deeper (a company's sites). Drawn from its own random source, so
    the rest of the demo is the same with or without them."""
    rng = random.Random(len(account_rows) * 7919 + 13)
    count = max(1, len(account_rows) // 300) if len(account_rows) >= 20 else 0
    heads = by_size[: max(count * 4, 1)]
    rng.shuffle(heads)
    free = set(range(len(account_rows))) - set(heads[:count])
    pools = {lang: sorted(i for i in free if account_rows[i][2] == lang) for lang in (False, True)}
    taken: set[int] = set()
    parent_of: dict[int, int] = {}

    def pick(lang: bool, n: int) -> list[int]:
        pool = pools[lang]
        found = []
        for _ in range(n * 4):
            if len(found) == n or not pool:
                break
            i = pool[rng.randrange(len(pool))]
            if i not in taken:
                taken.add(i)
                found.append(i)
        return found

    for head in heads[:count]:
        if head in taken:
            continue
        taken.add(head)
        members = pick(account_rows[head][2], rng.randint(2, 8))
        for member in members:
            parent_of[member] = head
        if members and rng.random() < 1 / 3:
            for site in pick(account_rows[head][2], rng.randint(1, 3)):
                parent_of[site] = members[0]
    return parent_of


def _person_name(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return rng.choice(ZH_SURNAME) + "".join(rng.choices(ZH_GIVEN, k=rng.choice((1, 2))))
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def _company_names(rng: random.Random, count: int) -> list[tuple[str, bool]]:
    names: list[tuple[str, bool]] = []
    seen: set[str] = set()
    while len(names) < count:
        chinese = rng.random() < 0.35
        if chinese:
            name = rng.choice(ZH_PLACE) + rng.choice(ZH_WORD) + rng.choice(ZH_TRADE)
            name += rng.choice(ZH_FORM)
        else:
            name = f"{rng.choice(EN_PREFIX)} {rng.choice(EN_CORE)} {rng.choice(EN_SUFFIX)}"
        key = name_key(name)
        if key in seen:
            region = rng.choice(REGIONS[6:] if chinese else REGIONS[:6])
            name = f"{name} ({region} {len(names) % 97 + 2})"
            key = name_key(name)
            if key in seen:
                continue
        seen.add(key)
        names.append((name, chinese))
    return names


def build_demo(
    database: Database,
    accounts: int,
    seed: int = 7,
    as_of: date | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    unjournaled: bool = False,
) -> dict[str, int]:
    """Fill an empty, migrated database with a demo portfolio. Returns rows per table."""
    if accounts < 1:
        raise KamError("the demo needs at least 1 account")
    as_of = as_of or date.today()
    rng = random.Random(seed)
    start_ms = int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp() * 1000)
    ids = _Ids(random.Random(seed ^ 0x5EED), start_ms - 10**10)
    now = datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=8)
    first_day = as_of - timedelta(days=365 * YEARS - 1)
    days = [first_day + timedelta(days=i) for i in range(365 * YEARS)]
    say = progress or (lambda _msg: None)

    with database.engine.connect() as conn, _bulk_load(conn, private=unjournaled), conn.begin():
        counts, current_user = _build_rows(conn, rng, ids, as_of, now, days, accounts, say)
        say("indexing")

    with database.write() as session:
        settings_service.set_value(
            session, DEMO_MARKER, {"seed": seed, "accounts": accounts, "as_of": as_of.isoformat()}
        )
        settings_service.set_value(session, "current_user", str(current_user))
        settings_service.bump_data_version(session)
        say("classifying")
        # A quarter ago first, so the tier moves since then are in the history.
        quarter_ago = as_of - timedelta(days=91)
        pareto.refresh(
            session,
            quarter_ago,
            force=True,
            moved_at=datetime.combine(quarter_ago, now.timetz()),
            with_segments=False,  # made afresh for today just below
        )
        pareto.refresh(session, as_of, force=True, moved_at=now)
        say("scoring health")
        # Four weeks ago first, so the history shows which accounts are falling.
        health.record_week(session, as_of - timedelta(days=28))
        health.refresh(session, as_of, force=True)
    return counts


@contextmanager
def _bulk_load(conn: sa.Connection, *, private: bool) -> Iterator[None]:
    """Settings for writing a whole database at once. A private SQLite file (renamed into place
    only once complete) is written unjournaled, its secondary indexes made once the rows are in
    and its foreign keys checked once over the whole file: several times faster than keeping
    indexes and checks up to date row by row."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA cache_size = -200000")
    if not private:
        yield
        return
    driver.execute("PRAGMA journal_mode = OFF")
    driver.execute("PRAGMA synchronous = OFF")
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        indexes = driver.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in indexes:
            driver.execute(f'DROP INDEX "{name}"')
        yield
        for _name, sql in indexes:
            driver.execute(sql)
        broken = driver.execute("PRAGMA foreign_key_check").fetchone()
        if broken:
            raise KamError(f"the demo data breaks a foreign key: {tuple(broken)}")
    finally:
        driver.execute("PRAGMA foreign_keys = ON")
    driver.execute("PRAGMA journal_mode = WAL")
    driver.execute("PRAGMA synchronous = FULL")


def _build_rows(
    conn: sa.Connection,
    rng: random.Random,
    ids: _Ids,
    as_of: date,
    now: datetime,
    days: list[date],
    accounts: int,
    say: Callable[[str], None],
) -> tuple[dict[str, int], uuid.UUID]:
    sink = _Sink(conn)
    day_text = [sink.day(d) for d in days]
    stamp = sink.moment(now)

    # Our team.
    member_count = max(6, min(600, accounts // 200))
    members = []
    member_names: dict[int, str] = {}
    for i in range(member_count):
        mid = ids.new()
        members.append(mid)
        name = _person_name(rng, chinese=i % 3 == 2)
        member_names[mid] = name
        sink.add(
            TeamMember,
            (sink.uuid(mid), stamp, stamp, 1, name, None, "Account manager", True),
        )

    # Regions (each with an owner) and their territories, as the accounts name them.
    region_ids: dict[str, int] = {}
    for n, name in enumerate(["Europe", "中国", *REGIONS]):
        above = REGION_OF.get(name)
        parent = region_ids[above] if above else None
        rid = region_ids[name] = ids.new()
        owner = members[(n * 3 + 1) % member_count] if parent is None or n % 2 else None
        sink.add(
            Region,
            (
                sink.uuid(rid),
                stamp,
                stamp,
                1,
                name,
                name_key(name),
                sink.uuid(parent),
                sink.uuid(owner),
            ),
        )

    # Accounts and their sizes.
    say("accounts")
    names = _company_names(rng, accounts)
    sizes = []
    account_ids = []
    account_rows = []
    for name, chinese in names:
        aid = ids.new()
        account_ids.append(aid)
        u = 1.0 - rng.random()
        annual = min(BASE_ANNUAL_MINOR / u ** (1 / PARETO_ALPHA), 4e10)
        sizes.append(annual)
        account_rows.append((aid, name, chinese))
    order = sorted(range(accounts), key=lambda i: -sizes[i])
    size_rank = [0] * accounts
    for rank, i in enumerate(order):
        size_rank[i] = rank
    key_cut = max(1, math.ceil(accounts * 0.3))  # the key accounts and those near the line
    parent_of = _groups(account_rows, order)

    lines = 0
    add_line = sink.adder(RevenueLine)
    for i, (aid, name, chinese) in enumerate(account_rows):
        big = size_rank[i] < key_cut
        fate = rng.random()
        status = AccountStatus.active
        last_active = len(days)
        if fate < 0.03:
            status, last_active = AccountStatus.silent, len(days) - 365 - rng.randrange(180)
        elif fate < 0.045:
            status, last_active = AccountStatus.lost, len(days) - 540 - rng.randrange(180)
        declining = 0.045 <= fate < 0.10
        problem = 0.10 <= fate < 0.13
        growth = rng.uniform(-0.55, -0.3) if declining else rng.gauss(0.06, 0.15)
        owner = members[i % member_count]
        factor = rng.choices(
            (BuyingFactor.relationship, BuyingFactor.price, BuyingFactor.value), (46, 36, 18)
        )[0]
        emerging = not big and rng.random() < 0.03
        strategic = rng.random() < (0.04 if big else 0.005)
        big = big or emerging or strategic  # looked after as key accounts are
        since = (
            days[0] - timedelta(days=rng.randrange(0, 4000))
            if rng.random() < 0.85
            else days[0]  # won during the years the demo covers
        )
        sink.add(
            Account,
            (
                sink.uuid(aid),
                stamp,
                stamp,
                1,
                name,
                name_key(name),
                rng.choice(INDUSTRIES),
                sink.uuid(region_ids[rng.choice(REGIONS[6:] if chinese else REGIONS[:6])]),
                sink.uuid(owner),
                rng.choice(_VALUES[RelationshipStage])
                if big
                else RelationshipStage.transactional.value,
                RelationshipHorizon.long_term.value
                if big
                else rng.choice(_VALUES[RelationshipHorizon]),
                RelationshipType.transactional.value
                if factor == BuyingFactor.price and rng.random() < 0.6
                else RelationshipType.relational.value,
                factor.value,
                strategic,
                emerging,
                None,
                None,
                status.value,
                sink.day(since),
                "",
                f"CRM-{i + 1:06d}",  # the id the CRM it came from knows it by
                int(sizes[i] * (15 + (i * 7919) % 65)) // 100 * 100,  # the customer's own size
                None,
                sink.uuid(account_rows[parent_of[i]][0]) if i in parent_of else None,
            ),
        )

        # Revenue: ~20 lines over three years, fewer for small accounts.
        n_lines = rng.randint(8, 24) + min(16, int(2 * math.log2(1 + sizes[i] / 2e6)))
        categories = rng.sample(CATEGORIES, k=rng.randint(1, 4))
        cost_ratio = rng.uniform(1.05, 1.3) if problem else rng.uniform(0.55, 0.88)
        per_line = sizes[i] * YEARS / n_lines
        # A third buy in bursts (projects, seasons) rather than steadily: less loyal.
        bursts = (
            [rng.randrange(0, last_active) for _ in range(rng.randint(2, 4))]
            if last_active > 90 and rng.random() < 0.35
            else None
        )
        account_key = sink.uuid(aid)
        for k in range(n_lines):
            if bursts:
                d = min(last_active - 1, rng.choice(bursts) + rng.randrange(0, 45))
            else:  # spread over the active days, so each year has its share of orders
                d = int((k + rng.random()) * last_active / n_lines) if last_active > 0 else 0
            years_back = (len(days) - d) / 365
            amount = int(per_line * rng.uniform(0.75, 1.25) / (1 + growth) ** years_back)
            amount = max(100, amount)
            add_line(
                (
                    sink.uuid(ids.new()),
                    account_key,
                    day_text[d],
                    rng.choice(categories),
                    amount,
                    int(amount * cost_ratio * rng.uniform(0.9, 1.1)),
                ),
            )
        lines += n_lines

        # Our account team.
        roles = [TeamRole.account_lead] if rng.random() > (0.1 if big else 0.3) else []
        if big:
            roles += rng.sample(_OTHER_ROLES, k=rng.randint(1, 4))
        team = [owner]
        for role in roles:
            member = owner if role == TeamRole.account_lead else rng.choice(members)
            team.append(member)
            sink.add(
                AccountTeamMember,
                (
                    sink.uuid(ids.new()),
                    stamp,
                    stamp,
                    1,
                    sink.uuid(aid),
                    sink.uuid(member),
                    role.value,
                ),
            )

        # Their contacts: a hierarchy under a top person.
        contact_ids: list[int] = []
        for c in range(rng.randint(3, 6) if big else rng.randint(0, 2)):
            cid = ids.new()
            reports_to = contact_ids[0] if c and contact_ids else None
            if c >= 3:
                reports_to = rng.choice(contact_ids[1:3])
            cname = _person_name(rng, chinese)
            left = (
                sink.day(as_of - timedelta(days=rng.randrange(10, 200)))
                if rng.random() < 0.04
                else None
            )
            role = rng.choice(_MEMBERS[BuyingRole]) if c else BuyingRole.decision_maker
            sink.add(
                Contact,
                (
                    sink.uuid(cid),
                    stamp,
                    stamp,
                    1,
                    sink.uuid(aid),
                    cname,
                    None,  # no other system's id
                    rng.choice(TITLES[:3]) if c == 0 else rng.choice(TITLES),
                    rng.choice(DEPARTMENTS),
                    None if chinese else f"{cname.split()[0].lower()}{c}@example.com",
                    f"+86 1{rng.randrange(10**9, 10**10)}" if chinese else None,
                    role.value,
                    rng.choice(_VALUES[Attitude]),
                    (Influence.high if c == 0 else rng.choice(_MEMBERS[Influence])).value,
                    rng.choice(_VALUES[RelationshipStrength]),
                    sink.uuid(reports_to),
                    sink.uuid(rng.choice(team)),  # who on our side holds the relationship
                    left,
                    "",
                ),
            )
            contact_ids.append(cid)

        # Opportunities in every stage.
        n_opps = rng.randint(1, 4) if big else (1 if rng.random() < 0.08 else 0)
        for _ in range(n_opps):
            _add_opportunity(
                sink, rng, ids, aid, (owner, member_names[owner]), sizes[i], as_of, now, factor
            )

        # Contact plan; some items overdue.
        if big or rng.random() < 0.12:
            rules = rng.sample(PLAN_RULES[:4], k=rng.randint(2, 3)) if big else [PLAN_RULES[4]]
            for kind, rule in rules:
                offset = rng.randint(-45, 60)  # a few days overdue at most, most ahead
                offset = offset if offset >= -6 else 7 + (offset + 45) % 54
                due = as_of + timedelta(days=offset)
                sink.add(
                    PlanItem,
                    (
                        sink.uuid(ids.new()),
                        stamp,
                        stamp,
                        1,
                        sink.uuid(aid),
                        kind.value,
                        rule,
                        sink.uuid(owner),
                        sink.uuid(contact_ids[0]) if contact_ids else None,
                        sink.day(due),
                        status == AccountStatus.active,
                        "",
                        sink.day(due),
                        None,
                    ),
                )
            # Most key accounts were seen lately; the rest drift.
            recent = big and status == AccountStatus.active and rng.random() < 0.75
            for n in range(rng.randint(1, 4)):
                when = as_of - timedelta(days=rng.randint(1, 25 if recent and n == 0 else 200))
                activity_id = ids.new()
                sink.add(
                    Activity,
                    (
                        sink.uuid(activity_id),
                        stamp,
                        stamp,
                        1,
                        sink.uuid(aid),
                        rng.choice(
                            (ActivityKind.visit, ActivityKind.call, ActivityKind.email)
                        ).value,
                        sink.day(when),
                        "Discussed current orders and next quarter's demand",
                        "",
                        rng.choice(_VALUES[Sentiment]),
                        None,
                        None,
                        None,
                    ),
                )
                # Who took part: the owner, often with a colleague; and their contact.
                attendees = {owner}
                if len(team) > 1 and rng.random() < 0.7:
                    attendees.add(rng.choice(team[1:]))
                for member in attendees:
                    sink.add(ActivityMember, (sink.uuid(activity_id), sink.uuid(member)))
                if contact_ids:
                    sink.add(
                        ActivityContact,
                        (sink.uuid(activity_id), sink.uuid(rng.choice(contact_ids[:3]))),
                    )

        # Wallet estimates for the largest accounts, with one whitespace category.
        if size_rank[i] < max(1, accounts // 10):
            wallet_categories = [
                *categories,
                rng.choice([c for c in CATEGORIES if c not in categories] or categories),
            ]
            for category in dict.fromkeys(wallet_categories):
                share = rng.uniform(0.15, 0.7)
                rivals = rng.sample(COMPETITORS, k=rng.randint(1, 2))
                for year_back in range(YEARS):
                    eid = ids.new()
                    spend = int(sizes[i] / len(categories) / share * (1 + rng.uniform(-0.1, 0.2)))
                    sink.add(
                        WalletEstimate,
                        (
                            sink.uuid(eid),
                            stamp,
                            stamp,
                            1,
                            sink.uuid(aid),
                            category,
                            PeriodKind.year.value,
                            sink.day(date(as_of.year - year_back, 1, 1)),
                            spend,
                            round(rng.uniform(-0.05, 0.15), 3),
                            "",
                        ),
                    )
                    left = 1.0 - share
                    for competitor in rivals:
                        part = round(left * rng.uniform(0.3, 0.6), 3)
                        left -= part
                        sink.add(
                            WalletCompetitor,
                            (
                                sink.uuid(ids.new()),
                                stamp,
                                stamp,
                                1,
                                sink.uuid(eid),
                                competitor,
                                part,
                            ),
                        )

        # Complaints and satisfaction on some accounts.
        if big and rng.random() < 0.15:
            opened = as_of - timedelta(days=rng.randint(5, 120))
            closed = None if rng.random() < 0.5 else sink.day(opened + timedelta(days=10))
            sink.add(
                Complaint,
                (
                    sink.uuid(ids.new()),
                    stamp,
                    stamp,
                    1,
                    sink.uuid(aid),
                    sink.day(opened),
                    closed,
                    rng.choice(_VALUES[ComplaintSeverity]),
                    "Late delivery of spare parts",
                ),
            )
        if big and rng.random() < 0.4:
            sink.add(
                SatisfactionScore,
                (
                    sink.uuid(ids.new()),
                    stamp,
                    stamp,
                    1,
                    sink.uuid(aid),
                    sink.day(as_of - timedelta(days=rng.randint(10, 300))),
                    rng.choices(range(11), weights=(1, 1, 1, 2, 2, 4, 6, 9, 10, 8, 5))[0],
                    "",
                ),
            )
        if i % 10_000 == 9_999:
            say(f"{i + 1:,} accounts")
    sink.flush()
    return dict(sink.counts), uuid.UUID(int=members[0])


def _add_opportunity(
    sink: _Sink,
    rng: random.Random,
    ids: _Ids,
    account_id: int,
    owner_and_name: tuple[int, str],
    size: float,
    as_of: date,
    now: datetime,
    factor: BuyingFactor,
) -> None:
    owner, owner_name = owner_and_name
    stages = list(OpportunityStage)
    stage = rng.choices(stages, weights=(14, 14, 12, 12, 8, 20, 20))[0]
    probability = {
        OpportunityStage.prospecting: 10,
        OpportunityStage.qualification: 20,
        OpportunityStage.needs_analysis: 30,
        OpportunityStage.proposal: 50,
        OpportunityStage.negotiation: 80,
        OpportunityStage.won: 100,
        OpportunityStage.lost: 0,
    }[stage]
    oid = ids.new()
    opened = as_of - timedelta(days=rng.randint(20, 400))
    closed = stage in (OpportunityStage.won, OpportunityStage.lost)
    close = as_of + timedelta(days=rng.randint(-40, 270)) if not closed else None
    closed_on = min(as_of, opened + timedelta(days=rng.randint(30, 200))) if closed else None
    changed = now - timedelta(days=rng.randint(1, 90) // 2)  # a third stale, at 30 days
    sink.add(
        Opportunity,
        (
            sink.uuid(oid),
            sink.moment(now),
            sink.moment(now),
            1,
            sink.uuid(account_id),
            rng.choice(
                (
                    "Line upgrade",
                    "Service renewal",
                    "New plant",
                    "Framework agreement",
                    "Retrofit",
                    "扩产项目",
                    "年度框架协议",
                )
            ),
            None,  # no other system's id
            rng.choice(CATEGORIES),
            int(size * rng.uniform(0.1, 0.8)) // 100 * 100,
            stage.value,
            probability,
            False,
            sink.day(close or closed_on),
            rng.choice((12, 12, 24, 36)),
            factor.value,
            None if closed else "Send revised proposal",
            None if closed else sink.day(as_of + timedelta(days=rng.randint(-10, 20))),
            sink.uuid(owner),
            ("Best value" if stage == OpportunityStage.won else "Lost on price")
            if closed
            else None,
            sink.day(opened),
            sink.day(closed_on),
            sink.moment(changed),
        ),
    )
    path = (
        stages[: stages.index(stage) + 1]
        if stage in OPEN_STAGES or stage == OpportunityStage.won
        else [OpportunityStage.prospecting, OpportunityStage.lost]
    )
    previous = None
    for step, to_stage in enumerate(path):
        at = changed - timedelta(days=(len(path) - 1 - step) * 12)
        sink.add(
            OpportunityStageChange,
            (
                sink.uuid(ids.new()),
                sink.uuid(oid),
                None if previous is None else previous.value,
                to_stage.value,
                sink.moment(at),
                sink.uuid(owner),
                owner_name,
            ),
        )
        previous = to_stage


def demo_user(session: Session) -> str | None:
    """The demo's account manager, so the demo's plans and history have a "me"."""
    value = settings_service.get_value(session, "current_user")
    member = session.get(TeamMember, uuid.UUID(value)) if value else None
    return member.name if member else None


def create_demo_database(
    url: str,
    accounts: int,
    seed: int = 7,
    as_of: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Build a demo database at `url`. A SQLite file is built beside the target and moved into
    place only when complete, so a failure never leaves half a database; an existing file is
    replaced only if it is itself a demo database."""
    path = sqlite_path(url)
    if path is None:
        database = open_database(url)
        try:
            _refuse_non_demo(database)
            _clear(database)
            return build_demo(database, accounts, seed, as_of, progress)
        finally:
            database.dispose()
    if path.exists() and path.stat().st_size > 0:
        existing = open_database(url)
        try:
            _refuse_non_demo(existing)
        finally:
            existing.dispose()
    if not path.parent.is_dir():
        raise KamError(f"directory does not exist: {path.parent}")
    _remove_abandoned_builds(path)
    temp = path.with_name(f".{path.name}.building-{os.getpid()}")
    _remove_sqlite_files(temp)
    try:
        database = open_database(f"sqlite:///{temp}")
        try:
            counts = build_demo(database, accounts, seed, as_of, progress, unjournaled=True)
            with database.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            database.dispose()
        with exclusive_use(path):  # not under a kam window that has the demo open
            # The old demo stays whole until the new one takes its name in one rename: its
            # journal is folded into its file first, so removing the journal loses nothing,
            # and a build stopped at any moment leaves one demo or the other.
            _fold_journal(path)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            os.replace(temp, path)
    finally:
        _remove_sqlite_files(temp)
    return counts


def _fold_journal(path: Path) -> None:
    """Write what the write-ahead journal of the SQLite file at `path` holds into the file
    itself, leaving the journal empty (nothing to do when there is no file)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-open"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _remove_abandoned_builds(path: Path) -> None:
    """What a build that was stopped half-way (killed, a full disk) left beside the demo."""
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if not pid.isdigit():  # a -wal, -shm or -open beside one: goes with it
            pid = leftover.name.split(".building-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _refuse_non_demo(database: Database) -> None:
    with database.read() as session:
        is_demo = settings_service.get_value(session, DEMO_MARKER) is not None
        has_accounts = (
            session.connection().execute(sa.text("SELECT 1 FROM account LIMIT 1")).first()
        )
    if has_accounts and not is_demo:
        raise KamError(
            f"{database.display_name} holds real data (not a demo database); "
            "give the demo another --db"
        )


def _clear(database: Database) -> None:
    with database.write() as session:
        conn = session.connection()
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
