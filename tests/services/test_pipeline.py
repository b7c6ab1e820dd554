"""The pipeline's rules: deal forms, stage moves and closing, settings, the forecast, and the
stale and overdue marks, on hand-made deals."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from kam.db import Database
from kam.errors import InputErrors, KamError
from kam.models import Activity, Opportunity
from kam.models.enums import ActivityKind, OpportunityStage
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.classify import pareto
from kam.services.history import changes as history
from kam.services.people import team
from kam.services.pipeline import deals, filters, forecast, lists, stages
from kam.services.pipeline.filters import DealFilter, Quarter
from tests.support import TODAY

ME = "Ann Lee"


def _account(database: Database, name: str, **fields) -> uuid.UUID:
    with database.write() as session:
        return account_edit.save_new_account(session, {"name": name, **fields}, ME).id


def _deal(database: Database, account_id: uuid.UUID | None, **fields) -> uuid.UUID:
    raw = {"title": "Deal", "amount_minor": "1000", "stage": "prospecting", **fields}
    with database.write() as session:
        return deals.create_deal(session, account_id, raw, ME, TODAY).id


def _set(database: Database, deal_id: uuid.UUID, **columns) -> None:
    """Put a deal in a state the forms would take time to reach (dates in the past)."""
    with database.write() as session:
        deal = session.get(Opportunity, deal_id)
        for key, value in columns.items():
            setattr(deal, key, value)


def _forecast(database: Database, by: str = "stage", **filters) -> forecast.Forecast:
    with database.write() as session:
        pareto.refresh(session, TODAY)
    with database.read() as session:
        return forecast.forecast(session, DealFilter(**filters), TODAY, by)


def _rows(database: Database, **filters) -> list[filters.DealRow]:
    with database.read() as session:
        return lists.list_deals(session, DealFilter(**filters), TODAY, 0, 100)


@pytest.fixture
def book(database: Database) -> dict[str, uuid.UUID]:
    """A key (strategic) account and an ordinary one, with open, won and lost deals."""
    with database.write() as session:
        li = team.create_member(session, {"name": "Li Wei"}).id
        bo = team.create_member(session, {"name": "Bo Chen"}).id
    key = _account(database, "华为 Key Co", strategic=True)
    small = _account(database, "Small Co")
    ids = {"key": key, "small": small, "li": li, "bo": bo}
    ids["proposal"] = _deal(
        database, key, title="Line upgrade", amount_minor="10,000", stage="proposal",
        owner_id=str(li), expected_close="2026-12-15",
    )  # fmt: skip
    ids["negotiation"] = _deal(
        database, key, title="Plant", amount_minor="20000", stage="negotiation",
        probability_override="90", owner_id=str(bo), expected_close="5 Feb 2027",
    )  # fmt: skip
    ids["prospect"] = _deal(
        database, small, title="Trial", amount_minor="1,000.00", owner_id=str(li),
    )  # fmt: skip
    ids["won"] = _deal(database, small, title="Renewal", amount_minor="7000", stage="proposal")
    ids["won_last_year"] = _deal(database, key, title="Old", amount_minor="99000")
    ids["lost"] = _deal(database, small, title="Pilot", amount_minor="5000")
    with database.write() as session:
        for deal, won in (("won", True), ("won_last_year", True), ("lost", False)):
            deals.close_deal(
                session, ids[deal], {"close_reason": "decided"}, won=won, user=ME, as_of=TODAY
            )
    _set(database, ids["won"], closed_on=date(2026, 8, 1))
    _set(database, ids["won_last_year"], closed_on=date(2025, 12, 1))
    return ids


def test_weighted_forecast_counts_open_deals_at_their_probability_and_won_ones_in_full(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    total = _forecast(database).total
    assert total.open_deals == 3
    assert total.amount_minor == 3_100_000
    # 10,000 x 50% + 20,000 x 90% (set by hand) + 1,000 x 10%
    assert total.weighted_minor == 2_310_000
    # won this year only: the renewal, not last year's deal; lost deals count nowhere
    assert (total.won_deals, total.won_minor) == (1, 700_000)
    assert total.forecast_minor == 3_010_000


def test_forecast_groups_agree_with_the_total(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    for by in stages.GROUPINGS:
        result = _forecast(database, by)
        assert sum(r.weighted_minor for r in result.rows) == result.total.weighted_minor, by
        assert sum(r.won_minor for r in result.rows) == result.total.won_minor, by
        assert sum(r.open_deals for r in result.rows) == result.total.open_deals, by
    key = _forecast(database, "key")
    assert [(r.label, r.weighted_minor, r.won_minor) for r in key.rows] == [
        ("key accounts", 2_300_000, 0),
        ("other accounts", 10_000, 700_000),
    ]
    quarters = _forecast(database, "quarter")
    assert [(r.key, r.weighted_minor, r.won_minor) for r in quarters.rows] == [
        ("2026-Q3", 0, 700_000),  # won in August
        ("2026-Q4", 500_000, 0),
        ("2027-Q1", 1_800_000, 0),
        (stages.NO_DATE, 10_000, 0),
    ]
    owners = {r.label: r.weighted_minor for r in _forecast(database, "owner").rows}
    assert owners == {"Bo Chen": 1_800_000, "Li Wei": 510_000, "(no owner)": 0}
    by_stage = _forecast(database, "stage")
    assert by_stage.row("proposal").weighted_minor == 500_000
    assert by_stage.row("won").won_minor == 700_000


def test_a_forecast_head_sums_the_rows_it_leaves_out(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    owners = _forecast(database, "owner")
    assert len(owners.rows) == 3
    short = owners.head(1, "owners")
    first, more = short.rows
    assert first == owners.rows[0] and more.label == "2 more owners"
    assert more.weighted_minor == owners.total.weighted_minor - first.weighted_minor
    assert more.won_minor == owners.total.won_minor - first.won_minor
    assert more.open_deals == owners.total.open_deals - first.open_deals
    assert short.total == owners.total
    assert owners.head(2, "owners") is owners  # one row left over: shown, not summed


def test_forecast_filters_by_owner_class_key_and_quarter(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    assert _forecast(database, owner_id=book["li"]).total.weighted_minor == 510_000
    assert _forecast(database, key=True).total.weighted_minor == 2_300_000
    assert _forecast(database, key=False).total.weighted_minor == 10_000
    q4 = _forecast(database, quarter=Quarter(2026, 4)).total
    assert (q4.open_deals, q4.weighted_minor) == (1, 500_000)
    q3 = _forecast(database, quarter=Quarter(2026, 3))
    assert (q3.total.won_minor, q3.won_period) == (700_000, "2026-Q3")
    assert _forecast(database, text="华为").total.open_deals == 2
    assert _forecast(database, account_id=book["small"]).total.weighted_minor == 10_000


def test_a_longer_filter_finds_deals_by_any_part_of_the_account_name_or_the_title(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    """Three characters or more come from the trigram index of names on SQLite: the board
    finds what reading every name finds, the deal's own title included."""
    cases = {
        "key co": ["Line upgrade", "Plant"],  # 华为 Key Co's open deals
        "为 KEY": ["Line upgrade", "Plant"],
        "mall": ["Trial"],  # Small Co's
        "upgrade": ["Line upgrade"],  # a title
        "lan": ["Plant"],
        "Co Key": [],
    }
    for text, titles in cases.items():
        rows = _rows(database, text=text)
        assert sorted(r.title for r in rows) == titles, text
        assert _forecast(database, text=text).total.open_deals == len(titles), text


def test_a_deal_goes_stale_after_its_stage_threshold_without_a_move_or_an_activity(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    def days_ago(n: int) -> datetime:
        # noon local time n days before TODAY: n calendar days in stage
        return (
            datetime.combine(TODAY - timedelta(days=n), datetime.min.time())
            .replace(hour=12)
            .astimezone()
            .astimezone(UTC)
        )

    _set(database, book["proposal"], stage_changed_at=days_ago(31))
    _set(database, book["negotiation"], stage_changed_at=days_ago(30))
    rows = {r.title: r for r in _rows(database)}
    assert rows["Line upgrade"].stale and rows["Line upgrade"].days_in_stage == 31
    assert not rows["Plant"].stale and rows["Plant"].days_in_stage == 30
    assert _forecast(database).total.stale == 1

    with database.write() as session:  # a call on the deal 5 days ago: it is alive
        session.add(
            Activity(
                account_id=book["key"],
                kind=ActivityKind.call,
                occurred_on=TODAY - timedelta(days=5),
                opportunity_id=book["proposal"],
            )
        )
    assert not {r.title: r for r in _rows(database)}["Line upgrade"].stale
    assert _forecast(database).total.stale == 0

    with database.write() as session:  # negotiation may sit 20 days only
        values = settings_service.load(session, stages.PipelineSettings).values()
        stages.save_pipeline_settings(session, by="lead", raw={**values, "stale_negotiation": "20"})
    assert {r.title: r for r in _rows(database)}["Plant"].stale
    assert _forecast(database).row("negotiation").stale == 1


def test_a_deal_past_its_close_date_is_overdue_until_it_closes(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    _set(database, book["proposal"], expected_close=TODAY - timedelta(days=1))
    _set(database, book["negotiation"], expected_close=TODAY)
    rows = {r.title: r for r in _rows(database, state="all")}
    assert rows["Line upgrade"].overdue
    assert not rows["Plant"].overdue  # due today is not late yet
    assert not rows["Renewal"].overdue  # closed deals are never overdue
    assert _forecast(database).total.overdue == 1


def test_probability_follows_the_stage_setting_unless_set_by_hand(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        values = settings_service.load(session, stages.PipelineSettings).values()
        stages.save_pipeline_settings(
            session, by="lead", raw={**values, "p_proposal": "60", "p_negotiation": "70"}
        )
    rows = {r.title: r for r in _rows(database)}
    assert rows["Line upgrade"].probability == 60  # follows its stage
    assert rows["Plant"].probability == 90  # set by hand, kept
    with database.write() as session:
        moved = deals.move_deal(session, book["prospect"], 1, ME, TODAY)
    assert moved.stage == OpportunityStage.qualification
    assert {r.title: r for r in _rows(database)}["Trial"].probability == 20


def test_bad_stage_settings_are_named_and_nothing_is_saved(database: Database) -> None:
    with database.write() as session:
        values = settings_service.load(session, stages.PipelineSettings).values()
    with pytest.raises(InputErrors) as caught, database.write() as session:
        stages.save_pipeline_settings(
            session, by="lead", raw={**values, "p_proposal": "150", "stale_qualification": "soon"}
        )
    assert set(caught.value.errors) == {"p_proposal", "stale_qualification"}
    with database.read() as session:
        assert (
            settings_service.load(session, stages.PipelineSettings).probability[
                OpportunityStage.proposal
            ]
            == 50
        )


def test_every_bad_field_of_a_deal_is_named_and_nothing_is_saved(database: Database) -> None:
    account = _account(database, "Acme")
    with pytest.raises(InputErrors) as caught:
        _deal(
            database, account, title="", amount_minor="-5", probability_override="150",
            expected_close="31/31/2026", impact_months="a year",
        )  # fmt: skip
    assert set(caught.value.errors) == {
        "title",
        "amount_minor",
        "probability_override",
        "expected_close",
        "impact_months",
    }
    assert "negative" in caught.value.errors["amount_minor"]
    with pytest.raises(InputErrors) as caught:
        _deal(database, account, amount_minor="lots")
    assert "not an amount" in caught.value.errors["amount_minor"]
    with pytest.raises(InputErrors) as caught:
        _deal(database, account, stage="won")
    assert "why" in caught.value.errors["close_reason"]
    assert _rows(database, state="all") == []


@pytest.mark.parametrize("typed", ["2026-03-05", "5 Mar 2026", "2026/3/5"])
def test_close_dates_are_read_in_the_usual_ways(database: Database, typed: str) -> None:
    account = _account(database, "Acme")
    _deal(database, account, expected_close=typed)
    assert _rows(database)[0].expected_close == date(2026, 3, 5)


def test_a_new_deal_names_its_account(database: Database) -> None:
    _account(database, "Acme Trading")
    deal = _deal(database, None, account="  acme   TRADING ")
    assert _rows(database)[0].id == deal
    with pytest.raises(InputErrors) as caught:
        _deal(database, None, account="Nobody Ltd", amount_minor="-1")
    assert set(caught.value.errors) == {"account", "amount_minor"}


def test_stage_moves_are_history_rows_with_who_and_when(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        deals.move_deal(session, book["prospect"], 1, "Li Wei", TODAY)
        deals.move_deal(session, book["prospect"], 1, "Li Wei", TODAY)
        deals.move_deal(session, book["prospect"], -1, ME, TODAY)
    with database.read() as session:
        path = deals.stage_path(session, book["prospect"])
        changes = history.account_history(session, book["small"])
    assert [(s.from_stage, s.to_stage, s.changed_by) for s in path] == [
        (None, OpportunityStage.prospecting, ME),
        (OpportunityStage.prospecting, OpportunityStage.qualification, "Li Wei"),
        (OpportunityStage.qualification, OpportunityStage.needs_analysis, "Li Wei"),
        (OpportunityStage.needs_analysis, OpportunityStage.qualification, ME),
    ]
    assert [(c.field, c.old_value, c.new_value) for c in changes if c.subject_label == "Trial"][
        :3
    ] == [
        ("stage", "needs analysis", "qualification"),
        ("stage", "qualification", "needs analysis"),
        ("stage", "prospecting", "qualification"),
    ]


def test_closed_deals_do_not_move(database: Database, book: dict[str, uuid.UUID]) -> None:
    with pytest.raises(KamError, match="closed deal does not move"), database.write() as s:
        deals.move_deal(s, book["won"], 1, ME, TODAY)
    with pytest.raises(KamError, match="W marks it won"), database.write() as s:
        deals.move_deal(s, book["negotiation"], 1, ME, TODAY)
    with database.read() as session:
        base = deals.open_deal_form(session, book["lost"])
    raw = {k: getattr(v, "value", v) for k, v in base.values.items()}
    raw.update(stage="proposal", amount_minor="5000")
    with pytest.raises(InputErrors) as caught, database.write() as session:
        deals.update_deal(session, book["lost"], base, raw, ME, TODAY)
    assert "does not move" in caught.value.errors["stage"]


def test_winning_and_losing_need_a_reason_and_set_the_outcome(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(InputErrors) as caught, database.write() as session:
        deals.close_deal(
            session, book["proposal"], {"close_reason": " "}, won=True, user=ME, as_of=TODAY
        )
    assert "why" in caught.value.errors["close_reason"]
    with pytest.raises(InputErrors) as caught, database.write() as session:
        deals.close_deal(
            session, book["negotiation"], {"close_reason": "Price", "closed_on": "2026-11-20"},
            won=False, user=ME, as_of=TODAY,
        )  # fmt: skip
    assert "opened on 2026-11-22" in caught.value.errors["closed_on"]
    _set(database, book["negotiation"], opened_on=date(2026, 10, 1))
    with database.write() as session:
        deals.close_deal(
            session, book["proposal"], {"close_reason": "Best value"}, won=True, user=ME,
            as_of=TODAY,
        )  # fmt: skip
        deals.close_deal(
            session, book["negotiation"], {"close_reason": "Price", "closed_on": "2026-11-20"},
            won=False, user=ME, as_of=TODAY,
        )  # fmt: skip
    rows = {r.title: r for r in _rows(database, state="closed")}
    assert (rows["Line upgrade"].stage, rows["Line upgrade"].probability) == ("won", 100)
    assert rows["Line upgrade"].closed_on == TODAY
    assert (rows["Plant"].stage, rows["Plant"].probability) == ("lost", 0)
    assert rows["Plant"].closed_on == date(2026, 11, 20)
    assert rows["Plant"].close_reason == "Price"
    total = _forecast(database).total
    assert (total.open_deals, total.won_minor) == (1, 1_700_000)


def test_editing_a_deal_merges_with_a_save_made_meanwhile(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with database.read() as session:
        base = deals.open_deal_form(session, book["proposal"])
    raw = {k: getattr(v, "value", v) for k, v in base.values.items()}
    raw["amount_minor"] = "10,000.00"
    with database.write() as session:  # someone else moves the next step meanwhile
        deals.update_deal(
            session, book["proposal"], base, {**raw, "next_step": "Call the CFO"}, "Bo", TODAY
        )
    with database.write() as session:
        deals.update_deal(
            session, book["proposal"], base, {**raw, "amount_minor": "12,500.50"}, ME, TODAY
        )
    row = next(r for r in _rows(database) if r.title == "Line upgrade")
    assert (row.amount_minor, row.next_step) == (1_250_050, "Call the CFO")


def test_a_board_column_knows_where_a_moved_deal_lands(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    account = book["small"]
    for amount in ("500", "2000", "3000"):
        _deal(database, account, title=f"Q{amount}", amount_minor=amount, stage="qualification")
    with database.write() as session:
        deals.move_deal(session, book["prospect"], 1, ME, TODAY)  # 1,000 -> qualification
    column = DealFilter(stage=OpportunityStage.qualification)
    titles = [r.title for r in _rows(database, stage=OpportunityStage.qualification)]
    assert titles == ["Q3000", "Q2000", "Trial", "Q500"]
    with database.read() as session:
        assert lists.deal_position(session, column, book["prospect"]) == 2


def test_first_cards_of_every_column_match_each_column_read_alone(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    for amount, stage in (("300", "proposal"), ("20000", "proposal"), ("70", "prospecting")):
        _deal(database, book["small"], title=f"more {amount}", amount_minor=amount, stage=stage)
    with database.read() as session:
        for f in (DealFilter(), DealFilter(text="co"), DealFilter(text="small", key=False)):
            together = lists.first_cards(session, f, TODAY, limit=2)
            for stage, cards in together.items():
                alone = lists.list_deals(session, replace(f, stage=stage), TODAY, 0, 2)
                assert [c.id for c in cards] == [c.id for c in alone], (f, stage)
        assert [
            c.title
            for c in lists.first_cards(session, DealFilter(text="co"), TODAY)[
                OpportunityStage.proposal
            ]
        ] == ["more 20000", "Line upgrade", "more 300"]


def test_the_totals_and_a_text_filter_read_the_deals_index_alone(
    sqlite_database: Database,
) -> None:
    """The forecast's sums and the text filter's title match read one index, never the deals'
    rows at random (~50k open deals at 100k accounts: most of the board's totals time)."""
    database = sqlite_database
    account = _account(database, "Acme")
    for stage in ("prospecting", "proposal", "negotiation"):
        _deal(database, account, title=f"Line {stage}", stage=stage, expected_close="2026-12-01")
    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM opportunity" in statement:
            statements.append((statement, parameters))

    sa_event.listen(database.engine, "before_cursor_execute", seen)
    try:
        with database.read() as session:
            for f in (DealFilter(), DealFilter(text="line"), DealFilter(text="l")):
                for by in ("stage", "owner", "quarter", "key"):
                    forecast.forecast(session, f, TODAY, by)
    finally:
        sa_event.remove(database.engine, "before_cursor_execute", seen)
    with database.read() as session:
        plans = [
            [row[-1] for row in session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters  # type: ignore[arg-type]
            )]
            for statement, parameters in statements
        ]  # fmt: skip
    assert len(plans) == 24
    for plan in plans:
        reads = [step for step in plan if " opportunity " in f"{step} "]
        assert reads and all("COVERING INDEX ix_opportunity_board" in s for s in reads), plan
