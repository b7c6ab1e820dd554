"""The account list: every sort and filter gives the order a person expects, page by page."""

from __future__ import annotations

from datetime import date

import pytest

from kam.db import Database
from kam.models.enums import AccountClass, AccountStatus, ValueTier
from kam.services import classify, health
from kam.services.account_edit import create_account
from kam.services.accounts import (
    SORT_COLUMNS,
    AccountListQuery,
    count_accounts,
    list_accounts,
    search,
)
from kam.services.revenue import add_revenue

TODAY = date(2026, 11, 22)
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
        classify.refresh(session, TODAY)
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
            assert health.refresh(session, date.today()) > 0
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
