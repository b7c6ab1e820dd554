"""Accounts in groups: set by name in the account form, loops refused with the path named,
and a group's figures its members' summed (on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.db import Database
from kam.errors import InputErrors
from kam.models import Account, ChangeRecord
from kam.services.accounts import account_edit, groups
from kam.services.classify import pareto
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


# A tree: node i (1..n-1) hangs under a node before it; each node books some revenue.
TREES = st.integers(2, 9).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 10**6), min_size=n - 1, max_size=n - 1),
        st.lists(st.integers(0, 5_000_000), min_size=n, max_size=n),
    )
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=TREES)
def test_a_group_s_figures_are_its_members_summed_at_every_level(
    database: Database, tree: tuple[list[int], list[int]]
) -> None:
    picks, amounts = tree
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
                add_revenue(session, account_id, TODAY, amount)
        pareto.refresh(session, TODAY, force=True)
    with database.read() as session:
        group = groups.group_of(session, ids[-1])
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
