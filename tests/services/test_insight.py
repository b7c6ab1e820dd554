"""Share of wallet, segments, tier moves and health on hand-made accounts: one that grows 10%
while its customer grows 30%, one gone silent, one single-threaded, one with whitespace."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from kam.db import Database
from kam.errors import InputError, InputErrors
from kam.models import Account, AccountClassification, TierChange
from kam.models.enums import AccountClass, HealthBand, PeriodKind, RelationalGroup, Segment
from kam.services import workspace
from kam.services.accounts import account_edit
from kam.services.classify import pareto, segments
from kam.services.contact_plan import activities, plan_items
from kam.services.health import feedback, model, score
from kam.services.health import stored as stored_health
from kam.services.health.signals import growth
from kam.services.people import contacts, team
from kam.services.portfolio import overview as portfolio
from kam.services.values import periods
from kam.services.wallet import share_of_wallet
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY, TODAY, USER

ME = "Ann Lee"


def _account(database: Database, name: str, **fields) -> uuid.UUID:
    with database.write() as session:
        return account_edit.save_new_account(session, {"name": name, **fields}, ME).id


def _revenue(database: Database, account_id: uuid.UUID, lines: list[tuple[date, int, str]]):
    with database.write() as session:
        for day, amount, category in lines:
            add_revenue(
                session, account_id, day, amount * 100, cost_minor=amount * 50, category=category
            )


def _estimate(database: Database, account_id: uuid.UUID, **raw) -> uuid.UUID:
    with database.write() as session:
        return share_of_wallet.create_estimate(session, account_id, raw).id


def _monthly(year: int, amount: int, category: str = "Equipment", months=range(1, 13)):
    return [(date(year, m, 15), amount, category) for m in months]


@pytest.fixture
def book(database: Database) -> dict[str, uuid.UUID]:
    """Four accounts, plus a crowd of small ones so the four rank as key accounts."""
    ids = {}
    with database.write() as session:
        lead = team.create_member(session, {"name": "Li Wei"}).id
        other = team.create_member(session, {"name": "Bo Chen"}).id
    ids["lead"], ids["other"] = lead, other
    # Grows 10% a year while the customer's spend grows 30%.
    ids["grower"] = _account(database, "Grower 成长 Ltd")
    _revenue(database, ids["grower"], _monthly(2024, 1000) + _monthly(2025, 1100))
    _revenue(database, ids["grower"], _monthly(2026, 1210, months=range(1, 12)))
    # Was big in the year before, bought nothing for the last twelve months.
    ids["silent"] = _account(database, "Silent Co")
    _revenue(
        database, ids["silent"], _monthly(2024, 1500) + _monthly(2025, 1500, months=range(1, 11))
    )
    # Steady, but only one person on our side holds it.
    ids["single"] = _account(database, "Single Thread AG")
    _revenue(
        database, ids["single"], _monthly(2025, 900) + _monthly(2026, 900, months=range(1, 12))
    )
    # Steady and well covered, buys Equipment and none of our Service.
    ids["white"] = _account(database, "Whitespace GmbH")
    _revenue(database, ids["white"], _monthly(2025, 800) + _monthly(2026, 800, months=range(1, 12)))
    for i in range(16):
        small = _account(database, f"Small {i:02d}")
        _revenue(database, small, [(date(2026, 3, 1), 50 + i, "Equipment")])
    with database.write() as session:
        for key in ("grower", "white", "silent"):
            team.add_to_team(session, ids[key], {"member_id": lead, "role": "account_lead"}, ME)
            team.add_to_team(session, ids[key], {"member_id": other, "role": "sales"}, ME)
            for name, role in (("Wang Fang", "decision_maker"), ("Tom Ek", "champion")):
                contacts.create_contact(
                    session, ids[key], {"name": f"{name} {key}", "buying_role": role}, ME
                )
            activities.log_activity(
                session,
                ids[key],
                {
                    "kind": "visit",
                    "occurred_on": "2026-11-15",
                    "member_ids": [str(lead), str(other)],
                },
                ME,
                TODAY,
            )
        # The single-threaded one: no account lead, one contact, everything through Li Wei.
        contacts.create_contact(
            session,
            ids["single"],
            {"name": "Solo Contact", "buying_role": "decision_maker", "owner_id": str(lead)},
            ME,
        )
        activities.log_activity(
            session,
            ids["single"],
            {"kind": "call", "occurred_on": "2026-11-10", "member_ids": [str(lead)]},
            ME,
            TODAY,
        )
        pareto.refresh(session, TODAY)
    return ids


# --- periods --------------------------------------------------------------------------------


def test_periods_are_read_named_and_measured() -> None:
    q = periods.parse_period("Q3 2026")
    assert (q.kind, q.start, q.end, q.label) == (
        PeriodKind.quarter,
        date(2026, 7, 1),
        date(2026, 10, 1),
        "2026-Q3",
    )
    assert periods.parse_period("2026").previous().label == "2025"
    assert periods.parse_period("2026 q1").label == "2026-Q1"
    assert periods.Period(date(2026, 1, 1), PeriodKind.year).elapsed(
        date(2026, 7, 2)
    ) == pytest.approx(182 / 365)
    for bad in ("2026-Q5", "last year", "26", ""):
        with pytest.raises(Exception, match=r"year|quarter"):
            periods.parse_period(bad)


# --- share of wallet ------------------------------------------------------------------------


def test_growing_slower_than_the_customer_is_falling_behind(database: Database, book) -> None:
    grower = book["grower"]
    _estimate(database, grower, category="Equipment", period="2024", spend="100,000")
    _estimate(
        database,
        grower,
        category="Equipment",
        period="2025",
        spend="130,000",
        competitors="Acme 40%, 正泰 20%",
    )
    with database.read() as session:
        view = share_of_wallet.account_wallet(session, grower, TODAY)
    cell = view.cell("Equipment", periods.parse_period("2025"))
    assert cell is not None
    assert cell.ours_minor == 1_320_000  # 12 x 1,100.00
    assert cell.share == pytest.approx(13_200 / 130_000)
    assert cell.previous_share == pytest.approx(12_000 / 100_000)
    assert cell.our_growth == pytest.approx(0.10)
    assert cell.customer_growth == pytest.approx(0.30)  # from the two estimates
    assert cell.growth_gap == pytest.approx(-0.20)
    assert cell.behind(view.settings)
    assert cell.competitors == [("Acme", 0.4), ("正泰", 0.2)]
    notes = share_of_wallet.describe_cell(cell, view.settings)
    assert "falling behind: we grow +10%, they grow +30%" in notes


def test_whitespace_and_a_period_still_running(database: Database, book) -> None:
    white = book["white"]
    _estimate(
        database, white, category="Equipment", period="2026", spend="20,000", customer_growth="5%"
    )
    _estimate(database, white, category="Service", period="2026", spend="5,000")
    with database.read() as session:
        view = share_of_wallet.account_wallet(session, white, TODAY)
        (row,) = share_of_wallet.portfolio_wallet(session, TODAY, accounts=[white])
    year = periods.parse_period("2026")
    equipment, service = view.cell("Equipment", year), view.cell("Service", year)
    assert view.partial(year)
    # 11 months booked by 22 Nov: compared at the run rate for the whole year.
    assert equipment.ours_minor == 880_000
    assert equipment.run_rate_minor == round(880_000 / year.elapsed(TODAY))
    assert equipment.customer_growth == pytest.approx(0.05)  # as entered
    assert service.whitespace and not equipment.whitespace
    assert view.whitespace == ["Service"]
    assert row is not None and row.whitespace == ["Service"]
    assert row.spend_minor == 2_500_000
    # The portfolio report says the same as the tab.
    with database.read() as session:
        portfolio = {r.account_id: r for r in share_of_wallet.portfolio_wallet(session, TODAY)}
    assert portfolio[white] == row


def test_wallet_input_is_checked_and_nothing_is_saved(database: Database, book) -> None:
    white = book["white"]
    with pytest.raises(InputErrors) as caught, database.write() as session:
        share_of_wallet.create_estimate(
            session,
            white,
            {
                "category": "",
                "period": "2026-Q7",
                "spend": "-5",
                "customer_growth": "fast",
                "competitors": "Acme 70%, Beta 40%",
            },
        )
    assert set(caught.value.errors) == {
        "category",
        "period",
        "spend",
        "customer_growth",
        "competitors",
    }
    assert "more than 100%" in caught.value.errors["competitors"]
    _estimate(database, white, category="Equipment", period="2026", spend="1,000")
    with pytest.raises(InputError, match="has an estimate already"), database.write() as s:
        share_of_wallet.create_estimate(
            s, white, {"category": "equipment", "period": "2026", "spend": "9"}
        )
    with database.read() as session:
        view = share_of_wallet.account_wallet(session, white, TODAY)
    assert [c.spend_minor for c in view.cells.values() if c.spend_minor] == [100_000]


def test_editing_an_estimate_keeps_what_another_person_changed(database: Database, book) -> None:
    white = book["white"]
    estimate_id = _estimate(database, white, category="Equipment", period="2026", spend="1,000")
    with database.read() as session:
        base = share_of_wallet.open_estimate_form(session, estimate_id)
    with database.write() as session:  # someone else changes the competitors meanwhile
        other = share_of_wallet.open_estimate_form(session, estimate_id)
        share_of_wallet.update_estimate(
            session, estimate_id, other, {**other.values, "competitors": "Acme 30%"}
        )
    with database.write() as session:
        share_of_wallet.update_estimate(
            session, estimate_id, base, {**base.values, "spend": "2,000"}
        )
    with database.read() as session:
        form = share_of_wallet.open_estimate_form(session, estimate_id)
    assert form.values["spend"] == "2,000" and form.values["competitors"] == "Acme 30%"
    with database.write() as session:
        share_of_wallet.remove_estimate(session, estimate_id)
    with database.read() as session:
        assert share_of_wallet.account_wallet(session, white, TODAY).periods == []


# --- segments -------------------------------------------------------------------------------


def test_segments_rfm_and_groups(database: Database, book) -> None:
    with database.read() as session:
        silent = segments.account_behaviour(session, book["silent"])
        grower = segments.account_behaviour(session, book["grower"])
        small = segments.account_behaviour(session, _named(session, "Small 03"))
        summary = segments.summary(session, TODAY)
    assert silent is not None and grower is not None and small is not None
    # No purchase in the last twelve months: silent (E), whatever it was worth before.
    assert silent.segment == Segment.silent and silent.frequency == 0
    assert silent.rfm == "—" and silent.recency_days(TODAY) == (TODAY - date(2025, 10, 15)).days
    # Bought every month for three years, the most profit: top (A), most recent and largest.
    assert grower.segment == Segment.top
    assert grower.frequency == 12 and grower.m_score == 5 and grower.r_score == 5
    assert grower.relational_group == RelationalGroup.most_profitable
    assert grower.aov_minor == grower.monetary_minor // 12
    # One purchase this year: too few, silent as well.
    assert small.segment == Segment.silent
    counts = {f.key: f.accounts for f in summary.segments}
    assert sum(counts.values()) == 20


def _named(session, name: str) -> uuid.UUID:
    return session.exec(select(Account.id).where(Account.name == name)).one()


def test_a_relational_account_losing_value_is_told_apart(database: Database) -> None:
    falling = _account(database, "Falling Ltd")
    _revenue(database, falling, _monthly(2025, 2000) + _monthly(2026, 1000, months=range(1, 12)))
    _revenue(database, falling, [(date(2024, 12, 1), 2000, "Equipment")])
    for i in range(8):  # smaller buyers, so the two rank among the most valuable
        _revenue(database, _account(database, f"Small {i}"), [(date(2026, 5, 1), 10, "Parts")])
    price = _account(database, "Price Buyer", relationship_type="transactional")
    _revenue(database, price, _monthly(2025, 2000) + _monthly(2026, 2000, months=range(1, 12)))
    with database.write() as session:
        pareto.refresh(session, TODAY)
    with database.read() as session:
        lost = segments.account_behaviour(session, falling)
        buyer = segments.account_behaviour(session, price)
    assert lost is not None and buyer is not None
    assert lost.relational_group == RelationalGroup.losing_value
    assert buyer.transactional and buyer.relational_group is None
    assert "transactional" in buyer.group_words


# --- tier moves -----------------------------------------------------------------------------


def test_a_class_move_is_recorded_with_its_reason(database: Database, book) -> None:
    """A small account that lands a big order moves up, with when and why."""
    moved_at = datetime(2026, 11, 22, 9, tzinfo=UTC)
    with database.read() as session:
        small = _named(session, "Small 05")
    _revenue(database, small, [(date(2026, 11, 1), 90_000, "Equipment")])
    with database.write() as session:
        assert pareto.refresh(session, TODAY, moved_at=moved_at) > 0
    with database.read() as session:
        moves = session.exec(select(TierChange).where(TierChange.account_id == small)).all()
    by_field = {m.field.value: m for m in moves}
    assert (by_field["account_class"].from_value, by_field["account_class"].to_value) == (
        "general",
        "core",
    )
    assert by_field["tier"].to_value == "diamond"
    assert all(m.changed_at == moved_at for m in moves)
    assert by_field["tier"].reason == "revenue 55 → 90.1k over 12m to 2026-11-22; rank #14 → #1"
    with database.read() as session:
        quarter = portfolio.tier_moves(session, TODAY)
    assert quarter.since == date(2026, 10, 1)
    # The big order pushed another account out of core: one up, at least one down.
    assert quarter.up == 1 and quarter.down >= 1
    first = next(m for m in quarter.latest if m.account_id == small)
    assert (first.field, first.up, first.to_value, first.tier_to) == (
        "both",
        True,
        "core",
        "diamond",
    )
    # An archived account's moves leave the counts and the list with it.
    with database.write() as session:
        account_edit.archive_account(session, small, "tester")
    with database.read() as session:
        after = portfolio.tier_moves(session, TODAY)
    assert after.up == 0 and after.down == quarter.down
    assert all(m.account_id != small for m in after.latest)


# --- health ---------------------------------------------------------------------------------


def _health(database: Database, account_id: uuid.UUID) -> model.Health:
    with database.read() as session:
        found = score.account_health(session, account_id, TODAY)
    assert found is not None
    return found


def _signal(h: model.Health, key: str) -> model.Signal:
    return next(s for s in h.signals if s.key == key)


def test_each_signal_shows_its_weight_score_and_evidence(database: Database, book) -> None:
    grower = _health(database, book["grower"])
    year = _signal(grower, "revenue_year")
    assert year.weight == 15 and year.score is not None and year.score > 70
    assert "year on year" in year.evidence
    assert _signal(grower, "threading").score == 100
    assert _signal(grower, "roles").evidence == "decision maker and champion known"
    assert _signal(grower, "satisfaction").score is None  # never surveyed: left out
    weighed = [s for s in grower.signals if s.score is not None]
    expected = round(sum(s.weight * s.score for s in weighed) / sum(s.weight for s in weighed))
    assert grower.score == expected


def test_the_silent_account_is_watched_and_red(database: Database, book) -> None:
    silent = _health(database, book["silent"])
    assert _signal(silent, "revenue_year").score == 0
    assert "no revenue in 12 months (" in _signal(silent, "revenue_year").evidence
    assert silent.band == HealthBand.red
    assert silent.capped_by == "revenue fell by a third or more"
    assert silent.weighted_mean > silent.score  # good marks elsewhere do not hide it
    assert "no revenue in 12 months (" in silent.reasons


def test_revenue_evidence_says_which_period_had_what() -> None:
    def said(now: int, before: int, span=growth.QUARTER) -> str:
        return growth.judge_growth(now, before, span, 150)[1]

    assert said(74_640_00, 0) == (
        "new revenue: 74.6k in 3 months, none the same 3 months a year before"
    )
    assert said(0, 0, growth.YEAR) == "no revenue in 12 months nor the year before"
    assert said(0, 88_000_00, growth.YEAR) == "no revenue in 12 months (88.0k the year before)"
    assert said(50_00, 100_00) == "revenue -50% in 3 months, year on year (100 → 50)"


def _key_revenue(database: Database) -> list[int]:
    with database.read() as session:
        rows = session.exec(select(AccountClassification)).all()
    return [
        r.revenue_minor
        for r in rows
        if r.account_class in (AccountClass.core, AccountClass.major) and r.revenue_minor > 0
    ]


def test_a_former_key_account_is_watched_once_it_slips(database: Database, book) -> None:
    """Watched beyond the key accounts: those that sold at least as much as the smallest key
    account (the floor) in the year before, and 30% or more less since."""
    key = _key_revenue(database)
    floor = min(key) // 100  # in whole units, as _revenue takes them
    assert floor * 100 == min(key) and floor * 1000 < max(key)  # the smallest sets it
    ids = {}
    for name, before in (("Faded", floor * 10), ("Minor", floor - 1)):
        ids[name] = _account(database, name)  # nothing bought in the last twelve months
        _revenue(database, ids[name], [(date(2025, 6, 1), before, "Equipment")])
    with database.write() as session:
        pareto.refresh(session, TODAY)
    assert min(_key_revenue(database)) == floor * 100
    with database.read() as session:
        watched = {name for name, account in ids.items() if account_health(session, account)}
    assert watched == {"Faded"}


def test_with_no_major_account_the_smallest_core_one_sets_the_floor(database: Database) -> None:
    only = _account(database, "Only Core Ltd")
    _revenue(database, only, [(date(2026, 6, 1), 1200, "Equipment")])
    faded = _account(database, "Faded Ltd")  # as big a year before, a trickle since
    _revenue(
        database,
        faded,
        [(date(2025, 6, 1), 1300, "Equipment"), (date(2026, 6, 1), 10, "Equipment")],
    )
    with database.write() as session:
        pareto.refresh(session, TODAY)
    assert _key_revenue(database) == [1200_00]  # one core account, no major one
    with database.read() as session:
        assert account_health(session, faded) is not None


def account_health(session, account_id: uuid.UUID) -> model.Health | None:
    return score.account_health(session, account_id, TODAY)


def test_single_threading_and_a_key_contact_leaving_are_named(database: Database, book) -> None:
    single = _health(database, book["single"])
    threads = _signal(single, "threading")
    assert threads.score == 20 and "no account lead" in threads.evidence
    with database.write() as session:
        dm = contacts.account_contacts(session, book["grower"])
        leaver = next(c for c in dm if c.buying_role and c.buying_role.value == "decision_maker")
        contact = session.get(contacts.Contact, leaver.id)
        contact.left_on = date(2026, 10, 1)
        session.add(contact)
    grower = _health(database, book["grower"])
    left = _signal(grower, "contact_left")
    assert (
        left.score == 0 and "Wang Fang grower (decision maker) left on 2026-10-01" in left.evidence
    )
    assert "no decision maker" in _signal(grower, "roles").evidence


def test_complaints_and_satisfaction_count(database: Database, book) -> None:
    white = book["white"]
    before = _health(database, white).score
    with database.write() as session:
        complaint = feedback.open_complaint(
            session, white, {"severity": "high", "summary": "Late parts"}, TODAY
        )
        feedback.record_score(session, white, {"score": "3", "surveyed_on": "2026-11-01"}, TODAY)
    after = _health(database, white)
    assert _signal(after, "complaints").score == 0
    assert _signal(after, "satisfaction").evidence == "satisfaction 3/10 on 2026-11-01"
    assert after.score < before
    with database.write() as session:
        feedback.close_complaint(session, complaint.id, {}, TODAY)
    assert _signal(_health(database, white), "complaints").score == 100
    with pytest.raises(InputErrors), database.write() as session:
        feedback.record_score(session, white, {"score": "11"}, TODAY)


def test_the_at_risk_list_and_stored_health_agree_with_the_live_score(
    database: Database, book
) -> None:
    with database.write() as session:
        scored = stored_health.refresh(session, TODAY)
        assert stored_health.refresh(session, TODAY) == 0  # nothing moved: kept
    assert scored >= 4
    with database.read() as session:
        stored = stored_health.stored(session)
        risky = {r.account_id: r for r in stored_health.at_risk(session)}
    for key in ("grower", "silent", "single", "white"):
        assert stored[book[key]].score == _health(database, book[key]).score
    assert "red" in risky[book["silent"]].why_listed
    single = risky[book["single"]]
    assert "single-threaded" in single.reasons
    assert book["white"] not in risky
    # A change anywhere behind a signal makes the stored health stale.
    with database.write() as session:
        feedback.open_complaint(session, book["white"], {"summary": "Wrong invoice"}, TODAY)
        assert not stored_health.is_current(session, TODAY)


def test_a_fall_over_four_weeks_is_seen(database: Database, book) -> None:
    with database.write() as session:
        activities.log_activity(
            session, book["white"], {"kind": "call", "occurred_on": "2026-10-20"}, ME, TODAY
        )
        stored_health.record_week(session, date(2026, 10, 25))
        feedback.open_complaint(
            session, book["white"], {"severity": "high", "summary": "Outage"}, TODAY
        )
        feedback.open_complaint(
            session, book["white"], {"severity": "high", "summary": "Outage again"}, TODAY
        )
        stored_health.refresh(session, TODAY)
    with database.read() as session:
        white = stored_health.stored(session)[book["white"]]
        by_fall = stored_health.at_risk(session, order="fall")
    assert white.previous_score is not None and white.change is not None and white.change < 0
    assert by_fall[0].change is not None and by_fall[0].change <= by_fall[-1].change


def test_settings_are_checked() -> None:
    with pytest.raises(InputErrors):
        model.HealthSettings(red_below=80, amber_below=70).check()
    with pytest.raises(InputErrors):
        segments.SegmentSettings(high_value_top=0).check()


def test_an_edit_rescores_only_the_accounts_it_touched(database: Database, book) -> None:
    with database.write() as session:
        everyone = stored_health.refresh(session, TODAY)
    assert everyone >= 4
    with database.write() as session:
        feedback.open_complaint(
            session, book["white"], {"severity": "high", "summary": "Outage"}, TODAY
        )
    with database.write() as session:
        assert stored_health.refresh(session, TODAY) == 1  # only Whitespace GmbH again
        assert stored_health.is_current(session, TODAY)
    with database.read() as session:
        stored = stored_health.stored(session)
    assert len(stored) == everyone  # the others kept their scores
    assert stored[book["white"]].score == _health(database, book["white"]).score
    assert next(s for s in stored[book["white"]].signals if s.key == "complaints").score == 0
    # Removing a plan item is in the change history, so its account alone is scored again.
    with database.write() as session:
        item = plan_items.create_item(session, book["grower"], {"kind": "call"}, ME, TODAY)
    with database.write() as session:
        assert stored_health.refresh(session, TODAY) == 1
        plan_items.remove_item(session, item.id, ME)
    with database.write() as session:
        assert stored_health.refresh(session, TODAY) == 1
    # Another day: everyone again.
    with database.write() as session:
        assert stored_health.refresh(session, date(2026, 11, 23)) == everyone


def test_one_accounts_screen_reads_its_own_rows_not_the_portfolios(
    sqlite_database: Database,
) -> None:
    """Opening an account reads through its own rows: no plan of its queries walks a
    portfolio-wide index (every overdue plan item, every key account's classification)."""
    database = sqlite_database
    mine = _account(database, "Mine Ltd")
    _revenue(database, mine, _monthly(2025, 100) + _monthly(2026, 90, months=range(1, 12)))
    with database.write() as session:
        plan_items.create_item(session, mine, {"kind": "call", "next_due": "2026-10-01"}, ME, TODAY)
        pareto.refresh(session, TODAY)
    portfolio_wide = ["ix_plan_item_active_due", "ix_account_classification_class_tier"]
    with database.write() as session:
        # Made last, an index wins SQLite's ties between equally good plans; which index of a
        # table comes last differs between databases (Alembic rebuilds a table's indexes in
        # no fixed order), so the queries must not depend on it.
        conn = session.connection()
        for name in portfolio_wide:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
            ).scalar_one()
            conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql(sql)
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.read() as session:
            workspace.load_workspace(session, mine, TODAY)
            workspace.load_insight(session, mine, TODAY)
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)
    with database.read() as session:
        conn = session.connection()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            plan = " ".join(
                row[-1]
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert not any(index in plan for index in portfolio_wide), (statement, plan)


def test_a_running_year_grows_at_its_run_rate_like_the_wallet() -> None:
    from kam.services.wallet.revenue import revenue_years

    rows = revenue_years([(2025, 100_00, 0), (2026, 60_00, 10_00)], date(2026, 7, 2))
    last, running = rows
    assert not last.running and last.growth is None
    # 182 of 365 days gone, 60 so far: 120.3 at the run rate against 100, not 60 against 100.
    assert running.running and running.growth == pytest.approx(0.203, abs=0.001)
    assert running.margin == pytest.approx(5 / 6)
    over = revenue_years([(2025, 100_00, 0), (2026, 60_00, 0)], date(2027, 1, 5))[1]
    assert not over.running and over.growth == pytest.approx(-0.4)


def test_an_account_without_revenue_is_never_green_however_well_the_rest_scores(
    database,
) -> None:
    from kam.models.enums import HealthBand
    from kam.services.health import score

    with database.write() as session:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        new = account_edit.create_account(session, "Newco", strategic=True, owner_id=ann).id
        team.add_to_team(session, new, {"member_id": str(bo), "role": "sales"}, USER)
        for name, role, attitude in (("Dee", "decision_maker", "supporter"),
                                     ("Cham", "influencer", "champion")):  # fmt: skip
            contacts.create_contact(
                session,
                new,
                {"name": name, "buying_role": role, "attitude": attitude, "owner_id": str(bo)},
                USER,
            )
        activities.log_activity(
            session, new, {"kind": "visit", "member_ids": [str(ann), str(bo)]}, USER, MONDAY
        )
        pareto.refresh(session, MONDAY)
    with database.read() as session:
        found = score.account_health(session, new, MONDAY)
    assert found is not None
    assert found.band != HealthBand.green and found.capped_by == "no revenue to judge it by"
    assert found.reasons == "no revenue to judge it by"
