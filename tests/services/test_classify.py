"""The Pareto classification on small portfolios whose answer is known by hand."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from kam.db import Database, open_database
from kam.errors import InputError
from kam.models import TierChange
from kam.models.enums import AccountClass, ValueTier
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.accounts.account_edit import create_account
from kam.services.classify import pareto
from kam.services.classify.pareto import ClassificationSettings
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY, run

AS_OF = date(2026, 11, 22)
IN_WINDOW = date(2026, 6, 1)


def portfolio(database: Database, revenue: dict[str, int], **flags: dict) -> dict[str, object]:
    """Accounts named by `revenue` keys, each with one line in the window (0 = none)."""
    ids = {}
    with database.write() as session:
        for name, amount in revenue.items():
            account = create_account(session, name, **flags.get(name, {}))
            ids[name] = account.id
            if amount:
                add_revenue(session, account.id, IN_WINDOW, amount, cost_minor=amount // 2)
    return ids


def result(database: Database, **kwargs):
    with database.read() as session:
        return pareto.classify(session, AS_OF, **kwargs)


def by_name(res) -> dict:
    return {a.name: a for a in res.accounts}


def test_twenty_accounts_split_into_core_major_general(database: Database) -> None:
    # 20 accounts with revenue 20..1: ceil(5% x 20) = 1 core, ceil(25% x 20) = 5 -> 4 major.
    portfolio(database, {f"A{i:02d}": 21 - i for i in range(1, 21)})
    res = result(database)
    classes = [a.account_class for a in res.accounts]
    assert classes[:1] == [AccountClass.core]
    assert classes[1:5] == [AccountClass.major] * 4
    assert set(classes[5:]) == {AccountClass.general}
    assert [a.rank for a in res.accounts] == list(range(1, 21))
    assert res.accounts[0].tier == ValueTier.diamond
    assert {a.tier for a in res.accounts[1:5]} == {ValueTier.gold}
    total = sum(range(1, 21))
    assert res.total_revenue_minor == total
    assert res.accounts[0].share == pytest.approx(20 / total)
    assert res.accounts[4].cumulative_share == pytest.approx((20 + 19 + 18 + 17 + 16) / total)
    core, major, emerging, general = res.classes
    assert (core.accounts, major.accounts, emerging.accounts, general.accounts) == (1, 4, 0, 15)
    assert major.cumulative_share == pytest.approx(90 / total)
    assert general.cumulative_share == pytest.approx(1.0)


def test_ties_are_broken_by_name_ignoring_case(database: Database) -> None:
    portfolio(database, {"beta": 100, "Alpha": 100, "gamma": 100, "delta": 5})
    res = result(database)
    assert [a.name for a in res.accounts] == ["Alpha", "beta", "gamma", "delta"]
    # N = 4: core = ceil(0.2) = 1, major up to ceil(1.0) = 1: nobody is major.
    assert res.accounts[0].account_class == AccountClass.core
    assert [a.account_class for a in res.accounts[1:]] == [AccountClass.general] * 3


def test_a_single_account_is_core(database: Database) -> None:
    portfolio(database, {"Only Customer": 500})
    (only,) = result(database).accounts
    assert (only.rank, only.account_class, only.tier) == (1, AccountClass.core, ValueTier.diamond)
    assert only.share == pytest.approx(1.0) and only.cumulative_share == pytest.approx(1.0)


def test_no_revenue_at_all(database: Database) -> None:
    portfolio(database, {"Quiet": 0, "Dormant": 0})
    res = result(database)
    assert res.total_revenue_minor == 0 and res.ranked_accounts == 0
    assert {a.rank for a in res.accounts} == {None}
    assert {a.account_class for a in res.accounts} == {AccountClass.general}
    assert {a.share for a in res.accounts} == {0.0}
    assert [a.name for a in res.accounts] == ["Dormant", "Quiet"]  # unranked: by name


def test_all_equal_revenue(database: Database) -> None:
    portfolio(database, {f"Equal {i:02d}": 10 for i in range(1, 11)})
    res = result(database)
    # N = 10: core = ceil(0.5) = 1, major up to ceil(2.5) = 3.
    assert [a.account_class for a in res.accounts].count(AccountClass.core) == 1
    assert [a.account_class for a in res.accounts].count(AccountClass.major) == 2
    assert res.accounts[0].name == "Equal 01"
    assert all(a.share == pytest.approx(0.1) for a in res.accounts)


def test_accounts_without_revenue_are_listed_but_not_ranked(database: Database) -> None:
    portfolio(database, {"Buyer": 100, "Prospect": 0})
    res = by_name(result(database))
    assert res["Prospect"].rank is None and res["Prospect"].cumulative_share is None
    assert res["Buyer"].rank == 1


def test_window_excludes_revenue_outside_it(database: Database) -> None:
    ids = portfolio(database, {"Old Friend": 0, "Recent": 10})
    with database.write() as session:
        add_revenue(session, ids["Old Friend"], date(2025, 11, 22), 1000)  # just outside 12m
        add_revenue(session, ids["Old Friend"], date(2025, 11, 23), 7)  # just inside
    res = by_name(result(database))
    assert res["Old Friend"].revenue_minor == 7
    lifetime = by_name(result(database, window_text="lifetime"))
    assert lifetime["Old Friend"].revenue_minor == 1007
    two_years = by_name(result(database, window_text="24m"))
    assert two_years["Old Friend"].revenue_minor == 1007


def test_revenue_after_the_as_of_date_is_ignored(database: Database) -> None:
    ids = portfolio(database, {"Future": 0})
    with database.write() as session:
        add_revenue(session, ids["Future"], date(2026, 11, 23), 99)
    assert by_name(result(database))["Future"].revenue_minor == 0


def test_flags_give_emerging_class_and_strategic_potential_tiers(database: Database) -> None:
    revenue = {f"Big {i}": 1000 - i for i in range(8)} | {"Hopeful": 1, "Door Opener": 2}
    flags = {"Hopeful": {"emerging": True}, "Door Opener": {"strategic": True}}
    portfolio(database, revenue, **flags)
    res = by_name(result(database))
    assert res["Hopeful"].account_class == AccountClass.emerging
    assert res["Hopeful"].tier == ValueTier.potential
    assert res["Door Opener"].account_class == AccountClass.general
    assert res["Door Opener"].tier == ValueTier.strategic
    assert res["Door Opener"].is_key and res["Hopeful"].is_key
    assert not res["Big 7"].is_key


def test_problem_tier_wins_over_diamond_when_cost_exceeds_revenue(database: Database) -> None:
    ids = portfolio(database, {"Costly": 0, "Fine": 10})
    with database.write() as session:
        add_revenue(session, ids["Costly"], IN_WINDOW, 100, cost_minor=150)
    res = by_name(result(database))
    assert res["Costly"].account_class == AccountClass.core
    assert res["Costly"].tier == ValueTier.problem


def test_tier_override_wins_and_keeps_the_computed_tier(database: Database) -> None:
    flags = {"Chosen": {"tier_override": ValueTier.gold, "tier_override_reason": "reference site"}}
    portfolio(database, {"Leader": 100, "Chosen": 1}, **flags)
    chosen = by_name(result(database))["Chosen"]
    assert chosen.tier == ValueTier.gold
    assert chosen.computed_tier == ValueTier.general


def test_cut_offs_are_settings(database: Database) -> None:
    portfolio(database, {f"A{i:02d}": 21 - i for i in range(1, 21)})
    with database.write() as session:
        settings_service.save(
            session, ClassificationSettings(core_bp=1000, major_bp=5000), by="lead"
        )
    classes = [a.account_class for a in result(database).accounts]
    assert classes.count(AccountClass.core) == 2  # ceil(10% x 20)
    assert classes.count(AccountClass.major) == 8  # up to ceil(50% x 20) = 10


def test_a_saved_setting_keeps_who_changed_what_from_what(database: Database) -> None:
    with database.write() as session:
        settings_service.save(session, ClassificationSettings(core_bp=1000), by="lead")
        settings_service.save(session, ClassificationSettings(core_bp=1000), by="lead")
        labels = {**ClassificationSettings().tier_labels, ValueTier.gold: "金牌"}
        settings_service.save(
            session, ClassificationSettings(core_bp=800, tier_labels=labels), by="王芳"
        )
    with database.read() as session:
        loaded = settings_service.load(session, ClassificationSettings)
        changes = settings_service.changes(session, ClassificationSettings)
    assert (loaded.core_bp, loaded.label(ValueTier.gold)) == (800, "金牌")
    seen = sorted((c.field, c.changed_by, c.old_value, c.new_value) for c in changes)
    assert seen == [
        ("core_bp", "lead", None, "1000"),  # None: it was the default
        ("core_bp", "王芳", "1000", "800"),
        ("tier_labels", "王芳", seen[2][2], seen[2][3]),
    ]
    assert '"gold": "Gold"' in seen[2][2] and '"gold": "金牌"' in seen[2][3]


def test_a_setting_stored_in_a_shape_kam_cannot_read_is_its_default(database: Database) -> None:
    with database.write() as session:
        settings_service.set_value(
            session, ClassificationSettings.KEY, {"core_bp": "many", "window": "24m"}
        )
    with database.read() as session:
        loaded = settings_service.load(session, ClassificationSettings)
    assert (loaded.core_bp, loaded.window) == (500, "24m")


@pytest.mark.parametrize(
    "bad", [ClassificationSettings(core_bp=0), ClassificationSettings(core_bp=3000, major_bp=2000)]
)
def test_impossible_cut_offs_are_refused(database: Database, bad: ClassificationSettings) -> None:
    with database.write() as session, pytest.raises(InputError):
        settings_service.save(session, bad, by="lead")


@pytest.mark.parametrize("text", ["12x", "0m", "", "twelve months"])
def test_bad_window_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="window"):
        pareto.parse_window(text)


def test_stored_classification_matches_a_fresh_computation(database: Database) -> None:
    portfolio(
        database,
        {f"Acct {i:03d}": (i * 37) % 101 for i in range(60)},
        **{"Acct 007": {"emerging": True}, "Acct 011": {"strategic": True}},
    )
    fresh = result(database)
    with database.write() as session:
        pareto.refresh(session, AS_OF)
    with database.read() as session:
        assert pareto.is_current(session, AS_OF)
        stored = pareto.classify(session, AS_OF)
    assert [
        (a.name, a.rank, a.account_class, a.tier, a.revenue_minor) for a in stored.accounts
    ] == [(a.name, a.rank, a.account_class, a.tier, a.revenue_minor) for a in fresh.accounts]


def test_new_revenue_makes_the_stored_classification_stale(database: Database) -> None:
    ids = portfolio(database, {"Grower": 1, "Leader": 100})
    with database.write() as session:
        pareto.refresh(session, AS_OF)
    with database.write() as session:
        add_revenue(session, ids["Grower"], IN_WINDOW, 1000)
    with database.read() as session:
        assert not pareto.is_current(session, AS_OF)
    assert by_name(result(database))["Grower"].rank == 1


def test_refresh_records_tier_moves_as_history(database: Database) -> None:
    ids = portfolio(database, {"Grower": 1, "Leader": 100})
    with database.write() as session:
        assert pareto.refresh(session, AS_OF) == 0  # first classification: nothing moved
    with database.write() as session:
        add_revenue(session, ids["Grower"], IN_WINDOW, 1000)
    with database.write() as session:
        moves = pareto.refresh(session, AS_OF)
    assert moves == 4  # both accounts changed class and tier
    with database.read() as session:
        rows = session.exec(select(TierChange).where(TierChange.account_id == ids["Grower"])).all()
    changes = {(r.field.value, r.from_value, r.to_value) for r in rows}
    assert changes == {("account_class", "general", "core"), ("tier", "general", "diamond")}
    assert all("12m" in r.reason for r in rows)


def test_the_classification_sums_each_account_from_its_own_index_range(
    sqlite_database: Database,
) -> None:
    """The accounts are read in id order and each one's revenue lines in the window are one
    range of the covering index: no pass over every revenue line, no sort to group them
    (summing through the whole index, then joining, took ~0.12 s more at 100k accounts)."""
    database = sqlite_database
    portfolio(database, {"Acme": 10, "Bolt": 5, "Cobalt": 0})
    statement = pareto.classification_select(
        pareto.make_window(AS_OF, "12m"), ClassificationSettings()
    )
    with database.read() as session:
        conn = session.connection()
        compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        steps = list(conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled)))
    plan = [row[-1] for row in steps]
    # The sums of the groups, over the accounts in groups only, are their own small step.
    groups_step = next(row[0] for row in steps if row[-1] == "MATERIALIZE unit_sums")
    whole = [row[-1] for row in steps if row[1] != groups_step]
    line_reads = [step for step in plan if "revenue_line" in step]
    # Once for every account, once more for the accounts in groups (their groups' sums).
    assert line_reads == 2 * [
        "SEARCH revenue_line USING COVERING INDEX ix_revenue_line_account_booked "
        "(account_id=? AND booked_on>? AND booked_on<?) LEFT-JOIN"
    ], plan
    assert not [step for step in whole if "GROUP BY" in step], plan


def _ids(session, model) -> list[uuid.UUID]:
    return list(session.connection().execute(sa.select(model.__table__.c.id)).scalars())


def test_the_pareto_classes_share_the_ranked_accounts_and_ids_have_dashes(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io
    import json

    database = open_database(db_url)
    with database.write() as session:
        for n in range(1, 21):
            account = account_edit.create_account(session, f"Buyer {n:02}")
            add_revenue(session, account.id, date(2026, 6, 1), n * 1_000_00)
        for n in range(5):
            account_edit.create_account(session, f"Silent {n}")  # no revenue: not ranked
        emerging = account_edit.create_account(session, "Promise", emerging=True)
        ids = {str(a) for a in _ids(session, account_edit.Account)}
        assert emerging.id
    database.dispose()
    code, out, _err = run(capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22")
    assert code == 0
    summary = out[out.index("Class     Accounts") :].splitlines()
    shares = [float(line.split()[2].rstrip("%")) for line in summary[2:6]]
    assert sum(shares) == pytest.approx(100, abs=0.2)
    assert "6 accounts without revenue in the window count under Accounts" in out
    code, out, _err = run(
        capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22", "--format", "csv"
    )
    listed = {row["account_id"] for row in csv.DictReader(io.StringIO(out))}
    assert listed == ids  # dashed on SQLite as on PostgreSQL, as exports write them
    code, out, _err = run(
        capsys, "report", "pareto", "--db", db_url, "--as-of", "2026-11-22", "--format", "json"
    )
    assert {a["account_id"] for a in json.loads(out)["accounts"]} == ids


def test_an_account_that_stopped_buying_is_not_an_upgrade(database) -> None:
    from datetime import UTC, datetime

    from kam.services.portfolio import overview

    with database.write() as session:
        costly = account_edit.create_account(session, "Costly").id
        for n in range(3):
            other = account_edit.create_account(session, f"Other {n}").id
            for year in (2025, 2026):  # the same in both windows: they do not move
                add_revenue(session, other, date(year, 6, 1), 1_000_00)
        # Cost more to serve than it brought: problem, a year ago.
        add_revenue(session, costly, date(2025, 1, 10), 100_00, cost_minor=500_00)
        pareto.refresh(session, date(2025, 11, 1), moved_at=datetime(2025, 11, 1, tzinfo=UTC))
        # A year on it has bought nothing and cost nothing within the window: general.
        pareto.refresh(session, MONDAY, moved_at=datetime(2026, 11, 20, tzinfo=UTC))
    with database.read() as session:
        moves = overview.tier_moves(session, MONDAY)
    mine = [m for m in moves.latest if m.name == "Costly"]
    assert mine and mine[0].tier_from == "problem" and mine[0].tier_to == "general"
    assert not mine[0].up and moves.up == 0 and moves.down >= 1
    assert (
        pareto.is_upgrade("tier", "problem", "general", "revenue 100 → 0; rank #4 → no purchases")
        is False
    )
    assert pareto.is_upgrade("tier", "gold", "diamond", "revenue 1 → 2; rank #2 → #1") is True
