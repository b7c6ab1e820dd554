"""Accounts in groups: set by name in the account form, loops refused with the path named,
and a group's figures its members' summed (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.db import Database
from kam.errors import InputErrors
from kam.models import (
    Account,
    AccountClassification,
    AccountHealth,
    AccountTeamMember,
    ChangeRecord,
    Contact,
    Opportunity,
    PlanItem,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import (
    AccountClass,
    ActivityKind,
    BuyingRole,
    HealthBand,
    OpportunityStage,
    RelationshipStrength,
    TeamRole,
    ValueTier,
)
from kam.reports import review as review_report
from kam.services import settings as settings_service
from kam.services.accounts import account_edit, group_figures, groups
from kam.services.classify import pareto
from kam.services.review import weeks
from kam.services.wallet.revenue import add_revenue
from tests.support import TODAY, USER


def _set_parent(database: Database, child: uuid.UUID, parent: str) -> None:
    with database.write() as session:
        base = account_edit.open_account_form(session, child)
        raw = {k: getattr(v, "value", v) for k, v in base.values.items()}
        account_edit.update_account(session, child, base, {**raw, "parent": parent}, USER)


def _accounts(database: Database, *names: str) -> list[uuid.UUID]:
    with database.write() as session:
        return [account_edit.create_account(session, name).id for name in names]


def test_an_account_joins_a_group_by_name_and_the_move_is_in_its_history(
    database: Database,
) -> None:
    group, plant = _accounts(database, "State Grid 国家电网", "Jiangsu Power 江苏电力")
    _set_parent(database, plant, "  state grid 国家电网 ")  # case and spaces ignored
    with database.read() as session:
        assert session.get(Account, plant).parent_id == group
        form = account_edit.open_account_form(session, plant)
        assert form.values["parent"] == "State Grid 国家电网"
        moves = session.exec(
            sa.select(ChangeRecord).where(ChangeRecord.subject_id == plant)
        ).scalars()
        assert [(m.field, m.new_value) for m in moves if m.field == "parent"] == [
            ("parent", "State Grid 国家电网")
        ]
    _set_parent(database, plant, "")  # out of the group again
    with database.read() as session:
        assert session.get(Account, plant).parent_id is None


def test_a_loop_is_refused_naming_the_accounts_on_it(database: Database) -> None:
    group, company, site = _accounts(database, "Group", "Company", "Site")
    _set_parent(database, company, "Group")
    _set_parent(database, site, "Company")
    with pytest.raises(InputErrors) as refused:
        _set_parent(database, group, "Site")
    assert (
        refused.value.errors["parent"] == "that would make a loop: Group → Site → Company → Group"
    )
    with pytest.raises(InputErrors) as itself:
        _set_parent(database, group, "Group")
    assert itself.value.errors["parent"] == "an account cannot be part of itself"
    with pytest.raises(InputErrors) as unknown:
        _set_parent(database, group, "Nobody Ltd")
    assert "no live account is called 'Nobody Ltd'" in unknown.value.errors["parent"]
    with database.read() as session:
        assert session.get(Account, group).parent_id is None  # nothing half-saved


# A tree: node i (1..n-1) hangs under a node before it; each node books some revenue and
# has an open deal of some amount (0: none).
TREES = st.integers(2, 9).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 10**6), min_size=n - 1, max_size=n - 1),
        st.lists(st.integers(0, 5_000_000), min_size=n, max_size=n),
        st.lists(st.integers(0, 3_000_000), min_size=n, max_size=n),
    )
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES)
def test_a_group_s_figures_are_its_members_summed_at_every_level(
    database: Database, tree: tuple[list[int], list[int], list[int]]
) -> None:
    picks, amounts, deals = tree
    n = len(amounts)
    tag = uuid.uuid4().hex[:6]
    names = [f"{tag} node {i}" for i in range(n)]
    ids = _accounts(database, *names)
    parent: dict[int, int] = {}
    for i in range(1, n):
        parent[i] = picks[i - 1] % i
        _set_parent(database, ids[i], names[parent[i]])
    with database.write() as session:
        for account_id, amount in zip(ids, amounts, strict=True):
            if amount:
                add_revenue(session, account_id, TODAY, amount, cost_minor=amount // 3)
        for account_id, amount in zip(ids, deals, strict=True):
            if amount:
                session.add(
                    Opportunity(
                        account_id=account_id, title="Deal", amount_minor=amount,
                        stage=OpportunityStage.proposal, probability=30, opened_on=TODAY,
                    )
                )  # fmt: skip
        pareto.refresh(session, TODAY, force=True)
    with database.read() as session:
        group = groups.group_of(session, ids[-1])
        rollups = [group_figures.rollup(session, ids[i], TODAY) for i in range(n)]
    assert group is not None and group.top.id == ids[0]

    def below(i: int) -> list[int]:
        return [i, *(k for j in range(n) if parent.get(j) == i for k in below(j))]

    shown: dict[Any, groups.Member] = {m.id: m for m in group.members}
    assert set(shown) == set(ids)
    for i in range(n):
        member = shown[ids[i]]
        assert member.revenue == amounts[i]
        assert member.total == sum(amounts[k] for k in below(i))
        assert type(member.total) is int  # not PostgreSQL's numeric sum
        assert member.members == sum(1 for j in parent if parent[j] == i)
        depth, j = 0, i
        while j in parent:
            depth, j = depth + 1, parent[j]
        assert member.depth == depth
        rolled = rollups[i]
        assert rolled.accounts == len(below(i))
        assert rolled.revenue_minor == member.total
        assert rolled.cost_minor == sum(amounts[k] // 3 for k in below(i))
        assert rolled.open_minor == sum(deals[k] for k in below(i))
        assert rolled.open_deals == sum(1 for k in below(i) if deals[k])
    order = [m.id for m in group.members]
    for i in range(1, n):  # drawn as a tree: every member somewhere after its parent
        assert order.index(ids[i]) > order.index(ids[parent[i]])


def test_a_loop_that_came_in_by_other_means_is_still_drawn_and_summed_in_finite_time(
    database: Database,
) -> None:
    """Two laptops offline can each put one account under the other; the sync takes both."""
    north, south = _accounts(database, "North 北", "South 南")
    with database.write() as session:
        session.get(Account, north).parent_id = south
        session.flush()
        session.get(Account, south).parent_id = north
        add_revenue(session, north, TODAY, 100_00)
        add_revenue(session, south, TODAY, 50_00)
        pareto.refresh(session, TODAY, force=True)
    with database.read() as session:
        group = groups.group_of(session, north)
    assert group is not None and sorted(m.name for m in group.members) == ["North 北", "South 南"]
    assert [m.total for m in group.members] == [150_00, 150_00]  # each counted once


def test_kam_check_names_the_accounts_in_a_loop(database: Database) -> None:
    from kam.services.maintenance import check

    north, south, alone = _accounts(database, "North 北", "South 南", "Under 下")
    assert not check(database).problems
    with database.write() as session:
        session.get(Account, north).parent_id = south
        session.flush()
        session.get(Account, south).parent_id = north
        session.get(Account, alone).parent_id = north  # under the loop, not on it
    report = check(database)
    [problem] = report.problems
    assert problem.startswith("account groups (no account part of itself): 2 accounts in a loop")
    assert problem.endswith(": North 北; South 南")


def _figures_fixture(database: Database) -> dict[str, uuid.UUID]:
    """A group, a company under it, a site under the company and an account outside."""
    names = ["Group 集团", "Company 公司", "Site 工厂", "Outsider"]
    group, company, site, outsider = ids = _accounts(database, *names)
    _set_parent(database, company, names[0])
    _set_parent(database, site, names[1])
    with database.write() as session:
        lead = TeamMember(name="王芳")
        other = TeamMember(name="Ben Costa")
        session.add_all([lead, other])
        session.flush()
        for account_id, revenue, cost in [
            (group, 600_00, 400_00), (company, 300_00, 150_00), (site, 100_00, 50_00),
            (outsider, 9_999_00, 0),
        ]:  # fmt: skip
            add_revenue(session, account_id, TODAY, revenue, cost_minor=cost, category="Steel")
        for account_id, amount, stage, probability in [
            (group, 1_000_00, OpportunityStage.proposal, 50),
            (site, 400_00, OpportunityStage.prospecting, 10),
            (site, 777_00, OpportunityStage.won, 100),  # closed: not pipeline
            (outsider, 5_000_00, OpportunityStage.proposal, 50),
        ]:
            session.add(
                Opportunity(
                    account_id=account_id, title="Deal", amount_minor=amount, stage=stage,
                    probability=probability, opened_on=TODAY,
                )
            )  # fmt: skip
        for account_id, name, role, strength, left in [
            (group, "CEO 李总", BuyingRole.decision_maker, RelationshipStrength.trusted, None),
            (company, "CFO", BuyingRole.economic_buyer, RelationshipStrength.brief, None),
            (company, "Left", BuyingRole.decision_maker, RelationshipStrength.strong, TODAY),
            (company, "User", BuyingRole.user, RelationshipStrength.regular, None),
            (outsider, "Theirs", BuyingRole.decision_maker, RelationshipStrength.trusted, None),
        ]:
            session.add(
                Contact(
                    account_id=account_id, name=name, buying_role=role, strength=strength,
                    left_on=left,
                )
            )  # fmt: skip
        for account_id, member, role in [
            (group, lead, TeamRole.account_lead), (company, lead, TeamRole.sales),
            (site, other, TeamRole.service), (outsider, other, TeamRole.account_lead),
        ]:  # fmt: skip
            session.add(AccountTeamMember(account_id=account_id, member_id=member.id, role=role))
        for account_id, due in [(company, TODAY - timedelta(days=3)), (site, TODAY)]:
            session.add(
                PlanItem(
                    account_id=account_id, kind=ActivityKind.call, rule="monthly",
                    next_due=due, starts_on=TODAY,
                )
            )  # fmt: skip
        for account_id, score, band in [(group, 80, HealthBand.green), (site, 30, HealthBand.red)]:
            session.add(AccountHealth(account_id=account_id, as_of=TODAY, score=score, band=band))
        session.add(
            WalletEstimate(
                account_id=company, category="Steel", period_start=date(TODAY.year, 1, 1),
                total_spend_minor=4_000_00,
            )
        )  # fmt: skip
        session.add(
            WalletEstimate(
                account_id=site, category="Steel", period_start=date(TODAY.year - 1, 1, 1),
                total_spend_minor=2_000_00,
            )
        )  # fmt: skip
        session.add(
            WalletEstimate(
                account_id=site, category="Copper", period_start=date(TODAY.year, 1, 1),
                total_spend_minor=1_000_00,
            )
        )  # fmt: skip
        pareto.refresh(session, TODAY, force=True)
    return dict(zip(["group", "company", "site", "outsider"], ids, strict=True))


def test_a_group_s_figures_sum_its_members_and_name_who_matters(database: Database) -> None:
    ids = _figures_fixture(database)
    with database.read() as session:
        whole = group_figures.rollup(session, ids["group"], TODAY)
        company = group_figures.rollup(session, ids["company"], TODAY)
        # An account with no members of its own shows its whole group's figures.
        from_site = group_figures.for_account(session, ids["site"], TODAY)
        alone = group_figures.for_account(session, ids["outsider"], TODAY)
    assert alone is None
    assert from_site is not None and from_site.head == ids["group"]
    assert (whole.accounts, company.accounts) == (3, 2)
    assert (whole.revenue_minor, whole.cost_minor) == (1_000_00, 600_00)
    assert whole.margin == pytest.approx(0.4)
    assert (whole.open_deals, whole.open_minor, whole.weighted_minor) == (2, 1_400_00, 540_00)
    assert (company.open_deals, company.open_minor) == (1, 400_00)
    # Who we know: the contact who left does not count; decision makers best known first.
    assert (whole.contacts, whole.known) == (3, 2)
    assert [(p.name, p.account) for p in whole.deciders] == [
        ("CEO 李总", "Group 集团"),
        ("CFO", "Company 公司"),
    ]
    assert whole.unreached == 1  # nobody known at the site
    assert [(s.name, s.accounts, s.roles) for s in whole.team] == [
        ("王芳", 2, (TeamRole.account_lead, TeamRole.sales)),
        ("Ben Costa", 1, (TeamRole.service,)),
    ]
    assert (whole.overdue_items, whole.overdue_accounts) == (1, 1)  # due today is not late
    # Health weighted by revenue: (80 x 600 + 30 x 100) / 700 = 72.9; the site pulls it down.
    assert (whole.health, whole.band, whole.watched) == (73, HealthBand.green, 2)
    assert [(w.name, w.score) for w in whole.weak] == [("Site 工厂", 30)]
    assert company.health == 30 and company.weak == []
    # The wallet: every member's estimates and our revenue per category together.
    assert whole.wallet is not None
    year = whole.wallet.latest
    steel, copper = whole.wallet.cell("Steel", year), whole.wallet.cell("Copper", year)
    assert (steel.spend_minor, steel.ours_minor) == (4_000_00, 1_000_00)
    assert (copper.spend_minor, copper.ours_minor) == (1_000_00, 0)
    # Their spend grew from the site's 2,000 last year to the company's 4,000 this year.
    assert steel.customer_growth == pytest.approx(1.0)
    assert whole.wallet.whitespace == ["Copper"]
    assert whole.wallet.totals[year].spend_minor == 5_000_00


def _classify_by(database: Database, by: str) -> dict[str, pareto.ClassifiedAccount]:
    with database.write() as session:
        current = settings_service.load(session, pareto.ClassificationSettings)
        settings_service.save(session, dataclasses.replace(current, by=by), by=USER)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        found = pareto.classify(session, TODAY)
    return {a.name: a for a in found.accounts}


def test_classified_by_group_a_group_is_ranked_on_its_members_and_they_take_its_class(
    database: Database,
) -> None:
    # 19 accounts of their own, 100 .. 1,900; a group of three that each bring little, 1,500
    # together; and a member of the group with a tier set by hand.
    alone = [f"Solo {i:02}" for i in range(1, 20)]
    ids = dict(zip(alone, _accounts(database, *alone), strict=True))
    names = ["Grid 国家电网", "Grid Jiangsu 江苏", "Grid Jiangsu Site", "Grid Hunan 湖南"]
    ids.update(zip(names, _accounts(database, *names), strict=True))
    _set_parent(database, ids["Grid Jiangsu 江苏"], "Grid 国家电网")
    _set_parent(database, ids["Grid Jiangsu Site"], "Grid Jiangsu 江苏")
    _set_parent(database, ids["Grid Hunan 湖南"], "Grid 国家电网")
    with database.write() as session:
        for i, name in enumerate(alone, start=1):
            add_revenue(session, ids[name], TODAY, i * 100_00)
        for name, amount in zip(names, [200_00, 500_00, 600_00, 200_00], strict=True):
            add_revenue(session, ids[name], TODAY, amount)
        hunan = session.get(Account, ids["Grid Hunan 湖南"])
        hunan.tier_override, hunan.tier_override_reason = ValueTier.strategic, "a pilot"
        settings_service.bump_data_version(session)
    by_account = _classify_by(database, "account")
    assert by_account["Grid Jiangsu Site"].account_class == AccountClass.general
    assert by_account["Grid Jiangsu Site"].via_group is None
    assert by_account["Solo 19"].rank == 1
    # 20 units with revenue (19 alone and the group): core is the top ceil(5%) = 1, major up
    # to ceil(25%) = 5. The group's 1,500 ranks 5th, behind 1,900 .. 1,600.
    grouped = _classify_by(database, "group")
    top = grouped["Grid 国家电网"]
    assert (top.rank, top.account_class, top.tier, top.via_group) == (
        5, AccountClass.major, ValueTier.gold, None,
    )  # fmt: skip
    for name in names[1:]:
        member = grouped[name]
        assert member.via_group == top.account_id
        assert (member.rank, member.account_class) == (5, AccountClass.major)
        assert member.revenue_minor == by_account[name].revenue_minor  # its own revenue
    assert grouped["Grid Jiangsu Site"].tier == ValueTier.gold
    assert grouped["Grid Hunan 湖南"].tier == ValueTier.strategic  # its own override wins
    assert grouped["Solo 15"].account_class == AccountClass.general  # pushed out by the group
    assert by_account["Solo 15"].account_class == AccountClass.major
    # Every account still counts its own revenue once: the shares add up to the whole.
    assert sum(a.share for a in grouped.values()) == pytest.approx(1.0)
    with database.read() as session:
        stored = session.get(AccountClassification, ids["Grid Jiangsu Site"])
        assert stored.via_group_id == uuid.UUID(str(top.account_id))
    # The weekly report says how the classes were cut.
    with database.read() as session:
        weekly = review_report.build(session, weeks.iso_week(TODAY), TODAY)
    assert "Classes: core: top 5% · major: next 20% · by group." in (
        review_report.render_markdown(weekly)
    )
    assert "classes: core: top 5% · major: next 20% · by group" in review_report.render_html(weekly)
    # Out of the group again: classified on its own.
    _set_parent(database, ids["Grid Jiangsu Site"], "")
    again = _classify_by(database, "group")
    assert again["Grid Jiangsu Site"].via_group is None
    assert again["Grid Jiangsu Site"].account_class == AccountClass.general


def _listed(database: Database, **query: Any) -> list[tuple[str, int, int, str | None]]:
    from kam.services.accounts import listing

    with database.read() as session:
        wanted = listing.AccountListQuery(**query)
        rows = listing.list_accounts(session, wanted, 0, 50)
        assert listing.count_accounts(session, wanted) == len(rows)
        return [(r.name, r.revenue_minor, r.members, r.group) for r in rows]


def test_the_folded_list_has_a_row_per_group_with_its_members_revenue(
    database: Database,
) -> None:
    from kam.services.accounts import listing

    ids = _figures_fixture(database)
    assert _listed(database) == [
        ("Outsider", 9_999_00, 0, None),
        ("Group 集团", 1_000_00, 2, None),  # 600 + 300 + 100, two accounts under it
    ]
    assert _listed(database, sort="revenue", descending=False) == [
        ("Group 集团", 1_000_00, 2, None),
        ("Outsider", 9_999_00, 0, None),
    ]
    with database.read() as session:
        unfolded = listing.group_rows(session, ids["group"])
    assert [(r.name, r.depth, r.revenue_minor) for r in unfolded] == [
        ("Company 公司", 1, 300_00), ("Site 工厂", 2, 100_00),
    ]  # fmt: skip
    # Flat, and filtered: every account, each member with the top of its group.
    assert _listed(database, folded=False) == [
        ("Outsider", 9_999_00, 0, None),
        ("Group 集团", 600_00, 0, None),
        ("Company 公司", 300_00, 0, "Group 集团"),
        ("Site 工厂", 100_00, 0, "Group 集团"),
    ]
    assert _listed(database, text="site") == [("Site 工厂", 100_00, 0, "Group 集团")]
    # A class filter lists accounts, not groups, so what a dashboard tile counts is listed.
    assert [name for name, *_ in _listed(database, account_class=AccountClass.general)] == [
        "Group 集团", "Company 公司", "Site 工厂",
    ]  # fmt: skip


def test_an_archived_company_in_the_middle_leaves_its_site_on_its_own(
    database: Database,
) -> None:
    ids = _figures_fixture(database)
    with database.write() as session:
        account_edit.archive_account(session, ids["company"], USER)
        pareto.refresh(session, TODAY, force=True)
    assert _listed(database) == [
        ("Outsider", 9_999_00, 0, None),
        ("Group 集团", 600_00, 0, None),
        ("Site 工厂", 100_00, 0, None),
    ]
