"""The account list: every sort and filter gives the order a person expects, page by page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from kam.db import Database
from kam.models import Account, name_key
from kam.models.enums import AccountClass, AccountStatus, ValueTier
from kam.services.accounts import account_edit, listing
from kam.services.accounts.account_edit import archive_account, create_account
from kam.services.accounts.listing import (
    SORT_COLUMNS,
    AccountListQuery,
    count_accounts,
    list_accounts,
    search,
)
from kam.services.classify import pareto
from kam.services.health import stored
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY, TODAY

NAMES = [
    "Acme Steel",
    "acme foods",
    "Beacon Labs",
    "华东精密机械",
    "华南物流",
    "Zenith AG",
    "Orion Co",
    "Polaris Ltd",
    "Crescent plc",
    "Falcon AB",
    "50% Off_Shop",
    "Delta Inc",
]


@pytest.fixture
def listed(database: Database) -> Database:
    with database.write() as session:
        for i, name in enumerate(NAMES):
            account = create_account(
                session,
                name,
                industry=["Mining", "Retail", None][i % 3],
                region=["East", "West"][i % 2],
                status=[AccountStatus.active, AccountStatus.silent][int(i % 5 == 0)],
                emerging=i == 7,
            )
            amount = [900, 500, 500, 300, 0, 120, 80, 60, 40, 0, 20, 10][i]
            if amount:
                add_revenue(session, account.id, date(2026, 5, 1), amount, cost_minor=amount // 3)
        pareto.refresh(session, TODAY)
    return database


def every_row(
    database: Database, query: AccountListQuery, page: int = 5, matches: int | None = None
):
    rows = []
    with database.read() as session:
        total = count_accounts(session, query)
        for offset in range(0, total, page):
            rows += list_accounts(session, query, offset, page, matches=matches)
    assert len(rows) == total
    return rows


def test_default_order_is_revenue_descending_then_name(listed: Database) -> None:
    names = [r.name for r in every_row(listed, AccountListQuery())]
    assert names == [
        "Acme Steel",
        "acme foods",
        "Beacon Labs",
        "华东精密机械",
        "Zenith AG",
        "Orion Co",
        "Polaris Ltd",
        "Crescent plc",
        "50% Off_Shop",
        "Delta Inc",
        "Falcon AB",
        "华南物流",
    ]
    ascending = [r.name for r in every_row(listed, AccountListQuery(descending=False))]
    assert ascending == list(reversed(names))


@pytest.mark.parametrize("sort", sorted(SORT_COLUMNS))
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_orders_all_pages(listed: Database, sort: str, descending: bool) -> None:
    if sort == "health":
        with listed.write() as session:
            assert stored.refresh(session, date.today()) > 0
    rows = every_row(listed, AccountListQuery(sort=sort, descending=descending))
    key = {
        "name": lambda r: r.name.casefold(),
        "revenue": lambda r: r.revenue_minor,
        "share": lambda r: r.share,
        "class": lambda r: list(AccountClass).index(r.account_class),
        "tier": lambda r: list(ValueTier).index(r.tier),
        "status": lambda r: r.status.value,
        "industry": lambda r: r.industry,
        "region": lambda r: r.region,
        "owner": lambda r: r.owner,
        "health": lambda r: r.health,
    }[sort]
    values = [key(r) for r in rows]
    present = [v for v in values if v is not None]
    assert present or sort == "owner"
    # Blanks come last in either direction.
    assert values == sorted(present, reverse=descending) + [None] * (len(values) - len(present))


@pytest.mark.parametrize("matches", [None, 1, 10**9])
def test_filter_gives_the_same_rows_whichever_plan_runs(
    listed: Database, matches: int | None
) -> None:
    query = AccountListQuery(text="ACME")
    rows = every_row(listed, query, page=1, matches=matches)
    assert [r.name for r in rows] == ["Acme Steel", "acme foods"]


def test_filter_matches_chinese_and_takes_wildcards_literally(listed: Database) -> None:
    assert [r.name for r in every_row(listed, AccountListQuery(text="华东"))] == ["华东精密机械"]
    assert [r.name for r in every_row(listed, AccountListQuery(text="50%"))] == ["50% Off_Shop"]
    assert [r.name for r in every_row(listed, AccountListQuery(text="f_s"))] == ["50% Off_Shop"]
    assert (
        every_row(listed, AccountListQuery(text="%"))
        and len(every_row(listed, AccountListQuery(text="_"))) == 1
    )


def test_class_filter(listed: Database) -> None:
    rows = every_row(listed, AccountListQuery(account_class=AccountClass.emerging))
    assert [r.name for r in rows] == ["Polaris Ltd"]


def test_search_finds_accounts_by_any_part_of_the_name(listed: Database) -> None:
    with listed.read() as session:
        hits = search(session, "精密")
    assert [(h.kind, h.label) for h in hits] == [("account", "华东精密机械")]


def names_matching(database: Database, text: str, *, archived: bool = False) -> list[str]:
    query = AccountListQuery(text=text, sort="name", descending=False, archived=archived)
    return [r.name for r in every_row(database, query)]


def test_the_name_filter_follows_renames_and_archiving(listed: Database) -> None:
    with listed.write() as session:
        steel = session.exec(select(Account).where(Account.name == "Acme Steel")).one()
        steel.name = "Apex Steel"
        steel.name_key = name_key(steel.name)
        steel_id = steel.id
    assert names_matching(listed, "acme") == ["acme foods"]
    assert names_matching(listed, "ex ste") == ["Apex Steel"]
    with listed.write() as session:
        archive_account(session, steel_id, "kam")
        pareto.refresh(session, TODAY)
    assert names_matching(listed, "apex") == []
    assert names_matching(listed, "apex", archived=True) == ["Apex Steel"]


def test_the_name_index_finds_what_reading_every_name_finds(sqlite_database: Database) -> None:
    """Filters of three characters or more come from the trigram index on SQLite: it must find
    exactly the names that hold the text, with quotes, wildcards, wide and accented letters,
    after names are added, renamed and removed."""
    names = [
        'The "Quoted" Co',
        "O'Brien & Sons",
        "100% Natural_Foods",
        "北京华东精密机械有限公司",
        "上海物流",
        "Société Générale Ré",
        "ÅSA Straße GmbH",
        "ab",
        "Crème Brûlée",
        "Acme Acme Acme",
    ]
    with sqlite_database.write() as session:
        ids = {name: create_account(session, name).id for name in names}
        pareto.refresh(session, TODAY)
    with sqlite_database.write() as session:
        moved = session.get(Account, ids["Crème Brûlée"])
        moved.name, moved.name_key = "Crema Catalana", name_key("Crema Catalana")
        # Nothing in kam deletes an account, but the index must not keep one that is gone.
        session.connection().exec_driver_sql(
            "DELETE FROM account WHERE id = ?", (ids["上海物流"].hex,)
        )
        pareto.refresh(session, TODAY)
    with sqlite_database.read() as session:
        indexed = (
            session.connection()
            .exec_driver_sql("SELECT count(*) FROM account_name_search")
            .scalar()
        )
    live = [n for n in names if n not in ("Crème Brûlée", "上海物流")] + ["Crema Catalana"]
    assert indexed == len([n for n in live if len(name_key(n)) >= 3])
    probes = [
        '"quoted"',
        "o'b",
        "0% n",
        "l_f",
        "华东精密",
        "有限公司",
        "物流",
        "été gé",
        "straße",
        "crè",
        "crema",
        "me acme",
        "ab",
        "xyz",
        "ACME",
        "  Acme   acme ",
    ]
    for probe in probes:
        expected = sorted((n for n in live if name_key(probe) in name_key(n)), key=name_key)
        assert names_matching(sqlite_database, probe) == expected, probe


@pytest.mark.parametrize("sort", sorted(listing.SORT_COLUMNS))
def test_the_accounts_filter_works_under_every_sort(database, sort: str) -> None:
    with database.write() as session:
        for name in ("Acme 北京", "Acme Steel", "Bolt AB"):
            account = account_edit.create_account(session, name)
            add_revenue(session, account.id, date(2026, 6, 1), 1_000_00)
        pareto.refresh(session, MONDAY)
    with database.read() as session:
        for descending in (True, False):
            query = AccountListQuery(text="acme", sort=sort, descending=descending)
            matches = listing.count_accounts(session, query)
            rows = listing.list_accounts(session, query, 0, 50, matches=matches)
            assert sorted(r.name for r in rows) == ["Acme Steel", "Acme 北京"]
