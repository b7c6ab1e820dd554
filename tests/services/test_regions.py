"""Regions and territories: a proper dimension with an owner, set in the account form or by
import, kept in the history, and every figure filtered or grouped by it agreeing with the
whole portfolio's (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import Database, open_database
from kam.errors import InputError
from kam.models import Account, Region
from kam.services.accounts import account_edit, regions
from kam.services.health import stored as health
from kam.services.pipeline import filters, forecast
from kam.services.portfolio import indicators, overview
from kam.services.review import queue
from tests.support import TODAY, USER, region_of


def _edit(database: Database, account_id: uuid.UUID, **changes: str) -> None:
    with database.write() as session:
        base = account_edit.open_account_form(session, account_id)
        raw = {k: getattr(v, "value", v) for k, v in base.values.items()}
        account_edit.update_account(session, account_id, base, {**raw, **changes}, USER)


def _history(database: Database, account_id: uuid.UUID) -> list[tuple[str, str | None, str]]:
    from kam.services.history import changes

    with database.read() as session:
        rows = changes.account_history(session, account_id)
    return [(r.old_value, r.new_value, r.changed_by) for r in rows if r.field == "region"]


def test_a_region_typed_in_the_form_is_made_once_and_a_move_is_in_the_history(
    database: Database,
) -> None:
    with database.write() as session:
        acme = account_edit.create_account(session, "Acme").id
        bolt = account_edit.create_account(session, "Bolt").id
    _edit(database, acme, region="华东")
    _edit(database, bolt, region=" 华东 ")  # the same region, spaces aside
    _edit(database, acme, region="Nordics")
    with database.read() as session:
        names = sorted(session.exec(sa.select(Region.name)).scalars())  # type: ignore[call-overload]
    assert names == ["Nordics", "华东"]
    assert (region_of(database, acme), region_of(database, bolt)) == ("Nordics", "华东")
    assert _history(database, acme) == [("华东", "Nordics", USER), (None, "华东", USER)]


def test_a_territory_is_part_of_one_region_and_its_accounts_count_under_it(
    database: Database,
) -> None:
    with database.write() as session:
        regions.add_region(session, "Europe")
        regions.add_region(session, "Nordics", in_region="europe")
        ids = [account_edit.create_account(session, n).id for n in ("Acme", "Bolt", "Cobalt")]
    _edit(database, ids[0], region="Europe")
    _edit(database, ids[1], region="nordics")
    _edit(database, ids[2], region="Asia")  # new: a region of its own
    with database.read() as session:
        europe = regions.scope(session, "EUROPE")
        nordics = regions.scope(session, "Nordics")
        assert sorted(regions.account_ids(session, europe)) == sorted(ids[:2])
        assert regions.account_ids(session, nordics) == [ids[1]]
        listed = {r.name: (r.region, r.accounts) for r in regions.regions(session)}
    assert listed == {"Europe": (None, 2), "Nordics": ("Europe", 1), "Asia": (None, 1)}


def test_what_a_region_cannot_be_is_refused_with_the_reason(database: Database) -> None:
    with database.write() as session:
        regions.add_region(session, "Europe")
        regions.add_region(session, "Nordics", in_region="Europe")
    cases = [
        (lambda s: regions.add_region(s, "europe"), "is called 'europe' already"),
        (lambda s: regions.add_region(s, "Lapland", in_region="Nordics"), "is a territory"),
        (lambda s: regions.update_region(s, "Europe", in_region="Nordics"), "has no territ"),
        (lambda s: regions.update_region(s, "Europe", owner="Nobody"), "no team member"),
        (lambda s: regions.scope(s, "Asia"), "there are: Europe, Nordics"),
    ]
    for call, words in cases:
        with pytest.raises(InputError, match=words), database.write() as session:
            call(session)
    with database.read() as session:
        rows = [(r.name, r.region, r.owner) for r in regions.regions(session)]
    assert rows == [("Europe", None, None), ("Nordics", "Europe", None)]  # nothing half-done


def test_an_owner_and_a_new_name_are_saved(database: Database) -> None:
    from kam.services.people import team

    with database.write() as session:
        team.create_member(session, {"name": "王芳", "email": "wang@example.com"})
        regions.add_region(session, "East", owner="wang@example.com")
        regions.update_region(session, "East", rename="East China")
    with database.read() as session:
        rows = [(r.name, r.owner) for r in regions.regions(session)]
        assert regions.owned_by(session, "王芳") == ["East China"]
    assert rows == [("East China", "王芳")]


# --- every figure by region adds up to the portfolio's -------------------------------------


@pytest.fixture(scope="module")
def demo(demo_file) -> Path:
    return demo_file(400, 11)


def _read(path: Path):
    return open_database(f"sqlite:///{path}")


def test_the_pipeline_by_region_adds_up_and_a_region_s_filter_agrees(demo: Path) -> None:
    database = _read(demo)
    with database.read() as session:
        whole = forecast.forecast(session, filters.DealFilter(), TODAY, "region")
        by_stage = forecast.forecast(session, filters.DealFilter(), TODAY, "stage")
        assert whole.total == by_stage.total
        assert {r.label for r in whole.rows} == {"Europe", "中国", "Export"}
        for row in whole.rows:
            scope = regions.scope(session, row.label)
            mine = forecast.forecast(session, filters.DealFilter(region=scope), TODAY, "stage")
            assert (mine.total.open_deals, mine.total.weighted_minor) == (
                row.open_deals,
                row.weighted_minor,
            )
    database.dispose()


def test_health_and_the_review_queue_of_a_region_are_its_accounts_only(demo: Path) -> None:
    database = _read(demo)
    with database.read() as session:
        every = health.summary(session)
        by_region = health.by_region(session)
        assert sum(r.watched for r in by_region) == every.watched
        assert sum(r.at_risk for r in by_region) == every.at_risk
        for row in by_region:
            scope = regions.scope(session, row.region)
            mine = set(regions.account_ids(session, scope))
            listed = health.at_risk(session, region=scope)
            assert len(listed) == row.at_risk == health.count_at_risk(session, region=scope)
            assert {r.account_id for r in listed} <= mine
            assert health.summary(session, region=scope).bands == row.bands
        china = regions.scope(session, "中国")
        order = queue.queue_order(session, TODAY, queue.QueueFilter(region=china))
        everyone = queue.queue_order(session, TODAY, queue.QueueFilter())
        mine = set(regions.account_ids(session, china))
        assert order.ids and set(order.ids) <= mine
        assert set(order.ids) == set(everyone.ids) & mine
    database.dispose()


def test_a_region_s_indicators_and_dashboard_agree_with_the_portfolio_s(demo: Path) -> None:
    database = _read(demo)
    with database.read() as session:
        whole, rows = indicators.by_region(session, TODAY)
        assert whole == indicators.headline(session, TODAY).current
        assert (
            sum(r.revenue_minor for r in rows) == overview.dashboard(session, TODAY).revenue_minor
        )
        assert sum(r.accounts for r in rows) == overview.dashboard(session, TODAY).accounts
        assert sum(r.figures.kept for r in rows) == whole.kept
        assert sum(r.revenue_share or 0 for r in rows) == pytest.approx(1.0)
        for row in rows:
            scope = regions.scope(session, row.name)
            page = overview.dashboard(session, TODAY, region=scope)
            assert (page.accounts, page.key_accounts) == (row.accounts, row.key_accounts)
            assert sum(f.accounts for f in page.by_class) == row.accounts
            alone = indicators.by_region(session, TODAY, region=scope)[1]
            assert alone == [row]
        # A territory with no owner of its own is seen as its region's.
        china = next(r for r in rows if r.name == "中国")
        unowned = [r.name for r in regions.regions(session) if r.region == "中国" and not r.owner]
        assert china.owner and unowned
        for name in unowned:
            one = indicators.by_region(session, TODAY, region=regions.scope(session, name))[1]
            assert one[0].owner == china.owner
            # A territory's figures are part of its region's.
        north = indicators.by_region(session, TODAY, region=regions.scope(session, "North"))
        europe = next(r for r in rows if r.name == "Europe")
        assert 0 < north[1][0].revenue_minor < europe.revenue_minor
    database.dispose()


def test_demo_regions_have_owners_and_territories(demo: Path) -> None:
    database = _read(demo)
    with database.read() as session:
        rows = regions.regions(session)
        accounts = session.execute(sa.select(sa.func.count()).select_from(Account)).scalar_one()
        unplaced = session.execute(
            sa.select(sa.func.count()).where(Account.__table__.c.region_id.is_(None))
        ).scalar_one()
    tops = [r for r in rows if r.region is None]
    assert {r.name for r in tops} == {"Europe", "中国", "Export"}
    assert all(r.owner for r in tops)
    assert sum(r.accounts for r in tops) == accounts and unplaced == 0
    database.dispose()


def test_the_accounts_list_of_a_region_is_its_accounts_flat(demo: Path) -> None:
    from kam.services.accounts.listing import AccountListQuery, count_accounts, list_accounts

    database = _read(demo)
    with database.read() as session:
        china = regions.scope(session, "中国")
        query = AccountListQuery(region=china, key_only=True)
        assert not query.shows_folded and query.described == "key accounts, in 中国"
        n = count_accounts(session, query)
        rows = list_accounts(session, query, 0, n + 5, matches=n)
        assert len(rows) == n > 0
        assert {r.region for r in rows} <= {"中国", "华东", "华南", "华北"}
        everyone = list_accounts(session, AccountListQuery(key_only=True, folded=False), 0, 10_000)
        assert {r.id for r in rows} == {
            r.id for r in everyone if r.region in {"华东", "华南", "华北"}
        }
        # A region of many accounts is read in the list's order, not sorted: the same page.
        page = [r.id for r in rows[5:15]]
        assert [r.id for r in list_accounts(session, query, 5, 10, matches=10**6)] == page
    database.dispose()
