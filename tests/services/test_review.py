"""The weekly review on hand-made accounts: the queue's ranking and filters, the card against
the detailed figures, what the meeting writes, the indicators and the report."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from kam.db import Database
from kam.errors import InputError, InputErrors
from kam.models import (
    Account,
    AccountHealth,
    ActionItem,
    Opportunity,
    OpportunityStageChange,
    PlanItem,
    Review,
    TierChange,
)
from kam.models.enums import (
    ActionStatus,
    ActivityKind,
    ChangeSource,
    ClassificationField,
    HealthBand,
    OpportunityStage,
    RelationshipStage,
    ValueTier,
)
from kam.reports import review as review_report
from kam.services import settings as settings_service
from kam.services.accounts import account_edit, listing
from kam.services.classify import pareto
from kam.services.contact_plan import agenda
from kam.services.people import team
from kam.services.pipeline import filters, forecast
from kam.services.portfolio import indicators
from kam.services.review import account_plan, cards, meeting, queue, weeks
from kam.services.wallet import share_of_wallet
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY, USER

TODAY = date(2026, 11, 18)  # a Wednesday of 2026-W47
WEEK = "2026-W47"
ME = "Ann Lee"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture
def book(database: Database) -> dict[str, uuid.UUID]:
    """Seven strategic (so key) accounts, each with one reason to be reviewed or none, and a
    small general account with an overdue item that is not a key account."""
    ids: dict[str, uuid.UUID] = {}
    with database.write() as session:
        ann = team.create_member(session, {"name": ME})
        bo = team.create_member(session, {"name": "Bo Berg"})
        for name, revenue in [
            ("Red Health", 500),
            ("Tier Moved", 400),
            ("Overdue Item", 300),
            ("Deal Moved", 200),
            ("Long Unreviewed", 150),
            ("Reviewed Lately", 120),
            ("Bo Owns This", 110),
            ("Small General", 5),
        ]:
            strategic = name != "Small General"
            owner = bo.id if name == "Bo Owns This" else ann.id
            account = account_edit.create_account(
                session, name, strategic=strategic, owner_id=owner, user=ME
            )
            add_revenue(session, account.id, date(2026, 6, 1), revenue * 100)
            add_revenue(session, account.id, date(2025, 6, 1), revenue * 90)
            ids[name] = account.id
    with database.write() as session:
        pareto.refresh(session, TODAY)
        for account_id in ids.values():
            # Everyone reviewed three weeks ago, so only the hand-made reasons put them on.
            session.add(Review(account_id=account_id, week="2026-W44",
                               reviewed_on=TODAY - timedelta(weeks=3)))  # fmt: skip
        session.add(
            AccountHealth(account_id=ids["Red Health"], as_of=TODAY, score=31,
                          band=HealthBand.red, reasons="revenue -60%")
        )  # fmt: skip
        session.add(
            TierChange(account_id=ids["Tier Moved"], field=ClassificationField.tier,
                       from_value="gold", to_value="strategic", source=ChangeSource.manual,
                       changed_at=_at(TODAY - timedelta(days=3)))
        )  # fmt: skip
        for name in ("Overdue Item", "Small General"):
            session.add(
                PlanItem(account_id=ids[name], kind=ActivityKind.call, rule="",
                         next_due=TODAY - timedelta(days=5), starts_on=TODAY - timedelta(days=5))
            )  # fmt: skip
        deal = Opportunity(
            account_id=ids["Deal Moved"], title="Line 2", amount_minor=50_000_00,
            stage=OpportunityStage.proposal, probability=50, opened_on=date(2026, 9, 1),
            stage_changed_at=_at(TODAY - timedelta(days=2)), expected_close=date(2026, 12, 15),
        )  # fmt: skip
        session.add(deal)
        session.flush()
        session.add(
            OpportunityStageChange(opportunity_id=deal.id, from_stage=OpportunityStage.qualification,
                                   to_stage=OpportunityStage.proposal,
                                   changed_at=_at(TODAY - timedelta(days=2)))
        )  # fmt: skip
        session.execute(
            sa.update(Review)
            .where(Review.account_id == ids["Long Unreviewed"])
            .values(reviewed_on=TODAY - timedelta(weeks=6))
        )
        session.add(Review(account_id=ids["Reviewed Lately"], week=WEEK, reviewed_on=TODAY))
    return ids


def test_the_queue_ranks_red_then_tier_then_overdue_then_deals_then_unreviewed(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with database.read() as session:
        ranked = queue.review_queue(session, TODAY)
    names = [r.name for r in ranked]
    assert names == [
        "Red Health",
        "Tier Moved",
        "Overdue Item",
        "Deal Moved",
        "Long Unreviewed",
        "Reviewed Lately",  # done this week: stays in the list, marked
    ]
    rows = {r.name: r for r in ranked}
    assert rows["Red Health"].reasons == ("red health (31)",)
    assert rows["Tier Moved"].reasons == ("tier gold → strategic",)
    assert rows["Overdue Item"].reasons == ("1 plan item overdue",)
    assert rows["Deal Moved"].reasons == ("1 deal moved",)
    assert rows["Long Unreviewed"].reasons == ("not reviewed for 6 weeks",)
    assert rows["Reviewed Lately"].reviewed and rows["Reviewed Lately"].reasons == ()
    assert "Small General" not in names and "Bo Owns This" not in names


def test_the_queue_filters_by_owner_class_and_tier_and_the_setting(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    with database.write() as session:
        settings_service.save(session, weeks.ReviewSettings(unreviewed_weeks=2), by="lead")
        with pytest.raises(InputError):
            settings_service.save(session, weeks.ReviewSettings(unreviewed_weeks=0), by="lead")
    with database.read() as session:
        bo = team.members(session)[0]
        assert bo.name == "Ann Lee"
        everyone = {r.name for r in queue.review_queue(session, TODAY)}
        bo_id = next(m.id for m in team.members(session) if m.name == "Bo Berg")
        bos = queue.review_queue(session, TODAY, queue.QueueFilter(owner_id=bo_id))
        gold = queue.review_queue(session, TODAY, queue.QueueFilter(tier=ValueTier.diamond))
    assert "Bo Owns This" in everyone  # three weeks without review is too long at 2 weeks
    assert [r.name for r in bos] == ["Bo Owns This"]
    assert all(r.tier == ValueTier.diamond for r in gold)


def test_the_card_agrees_with_the_detailed_screens(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    account_id = book["Deal Moved"]
    with database.read() as session:
        card = cards.review_card(session, account_id, TODAY)
        detail = listing.account_detail(session, account_id, TODAY)
        deals_ahead = forecast.forecast(session, filters.DealFilter(account_id=account_id), TODAY,
                                     "stage")  # fmt: skip
    assert card.revenue_by_year == detail.revenue_by_year
    assert card.ytd_minor == 200_00 and card.same_period_last_year_minor == 180_00
    assert card.growth == pytest.approx(200 / 180 - 1)
    assert card.monthly_minor[-6] == 200_00 and sum(card.monthly_minor) == 380_00
    assert card.weighted_minor == deals_ahead.total.weighted_minor == 25_000_00
    assert [d.title for d in card.next_deals] == ["Line 2"]
    assert card.review.week == WEEK and card.review.note == ""


def test_the_meeting_writes_note_decisions_actions_stage_tier_and_reviewed(
    database: Database, book: dict[str, uuid.UUID]
) -> None:
    account_id = book["Red Health"]
    with database.write() as session:
        meeting.save_note(session, account_id, WEEK, "Revenue fell; 李娜 left.")
        meeting.save_note(session, account_id, WEEK, "Revenue fell; 李娜 left. Meet the CFO.")
        meeting.add_decision(session, account_id, WEEK, "Offer a service review")
        action = meeting.add_action(
            session, account_id, WEEK,
            {"title": "Call the CFO", "owner": "bo berg", "due_on": "2026-11-25"}, ME, TODAY,
        )  # fmt: skip
        old = meeting.add_action(session, account_id, WEEK, {"title": "Old thing"}, ME, TODAY)
        meeting.close_action(session, old.id, ActionStatus.done, TODAY)
        meeting.set_stage_or_tier(
            session, account_id, WEEK,
            {"relationship_stage": "value", "tier_override": "gold", "reason": "at risk"},
            ME, TODAY,
        )  # fmt: skip
        meeting.mark_reviewed(session, account_id, WEEK, ME, TODAY)
        with pytest.raises(InputErrors) as caught:
            meeting.add_action(session, account_id, WEEK,
                              {"title": "", "owner": "Nobody", "due_on": "2026-13-45"}, ME, TODAY)  # fmt: skip
        assert set(caught.value.errors) == {"title", "owner", "due_on"}
        with pytest.raises(InputError):
            meeting.set_stage_or_tier(session, account_id, WEEK, {"relationship_stage": "value"},
                                     ME, TODAY)  # fmt: skip
    with database.read() as session:
        card = cards.review_card(session, account_id, TODAY)
        account = session.get(Account, account_id)
        due = agenda.list_agenda(session, agenda.AgendaQuery(until=date(2026, 12, 31)), 0, 50)
        reviews = session.exec(sa.select(Review).where(Review.account_id == account_id,
                                                       Review.week == WEEK)).all()  # fmt: skip
    assert len(reviews) == 1  # saving the note again updates the one review of the week
    assert card.review.note == "Revenue fell; 李娜 left. Meet the CFO."
    assert [d for _, d in card.review.decisions] == [
        "Offer a service review",
        "relationship stage → value; tier set to gold: at risk",
    ]
    assert card.review.reviewed_on == TODAY and card.review.reviewer == ME
    assert account.relationship_stage == RelationshipStage.value
    assert account.tier_override == ValueTier.gold and account.tier_override_reason == "at risk"
    assert [(a.title, a.status) for a in card.actions] == [
        ("Call the CFO", ActionStatus.open),
        ("Old thing", ActionStatus.done),
    ]
    assert card.actions[0].owner == "Bo Berg"
    on_agenda = [r for r in due if r.note == "Review action: Call the CFO"]
    assert len(on_agenda) == 1 and on_agenda[0].owner == "Bo Berg"
    assert on_agenda[0].next_due == date(2026, 11, 25)
    with database.write() as session:
        meeting.close_action(session, action.id, ActionStatus.done, TODAY)
    with database.read() as session:
        due = agenda.list_agenda(session, agenda.AgendaQuery(until=date(2026, 12, 31)), 0, 50)
        assert session.get(ActionItem, action.id).done_on == TODAY
    assert not [r for r in due if r.note == "Review action: Call the CFO"]


def test_the_account_plan_and_its_objectives(database: Database, book) -> None:
    account_id = book["Tier Moved"]
    with database.write() as session:
        account_plan.save_plan(session, account_id, {
            "strategy": "Become their sole supplier of service in 2029; no low-margin parts.",
            "desired_stage": "strategic_partnership",
            "customer_goals": "Cut plant downtime by 20%",
        })  # fmt: skip
        account_plan.save_objective(session, account_id, {
            "title": "Service share", "measure": "share of wallet in Service", "target": "40%",
            "due_on": "2027-12-31", "status": "on_track",
        })  # fmt: skip
        with pytest.raises(InputErrors):
            account_plan.save_objective(session, account_id, {"title": "", "due_on": "soon"})
    with database.read() as session:
        plan = cards.plan_view(session, account_id)
    assert plan.desired_stage == RelationshipStage.strategic_partnership
    assert plan.strategy.startswith("Become their sole supplier")
    assert [(o.title, o.target, o.due_on) for o in plan.objectives] == [
        ("Service share", "40%", date(2027, 12, 31))
    ]


def test_headline_indicators_on_hand_made_revenue(database: Database) -> None:
    """Ten accounts; the top three by last year's revenue were key a year ago (ceil 25% of
    10); one of them stopped buying. Two are key now by this year's revenue."""
    with database.write() as session:
        made = {}
        for i in range(10):
            account = account_edit.create_account(session, f"Account {i}", user=ME)
            made[i] = account.id
            if i != 1:  # account 1 stops buying
                add_revenue(session, account.id, date(2026, 3, 1), (100 - i) * 100)
            add_revenue(session, account.id, date(2025, 3, 1), (100 - i * 5) * 100)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        h = indicators.headline(session, TODAY)
    current = h.current
    assert current is not None and current.label == "2026-Q4"
    assert (current.kept, current.lost) == (2, 1)
    assert current.retention == pytest.approx(2 / 3)
    this_year = {i: (100 - i) for i in range(10) if i != 1}
    key_now = sorted(this_year, key=lambda i: -this_year[i])[:3]  # ceil(25% of 9 buying)
    assert current.key_share == pytest.approx(
        sum(this_year[i] for i in key_now) / sum(this_year.values())
    )
    assert current.key_growth == pytest.approx(
        sum(this_year[i] for i in key_now) / sum(100 - i * 5 for i in key_now) - 1
    )
    assert h.pareto[0] == (0.0, 0.0) and h.pareto[-1] == (1.0, pytest.approx(1.0))
    assert len(indicators.pareto_chart(h.pareto)) == 10


def test_headline_indicators_are_kept_until_what_they_come_from_changes(
    database: Database,
) -> None:
    with database.write() as session:
        ids = []
        for i in range(6):
            account = account_edit.create_account(session, f"Account {i}", user=ME)
            ids.append(account.id)
            add_revenue(session, account.id, date(2026, 3, 1), (10 - i) * 1000)
            add_revenue(session, account.id, date(2025, 3, 1), (10 + i) * 1000)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        inputs, worked_out, fresh = indicators.current_headline(session, TODAY)
    assert fresh
    with database.write() as session:
        indicators.store_headline(session, inputs, worked_out)
    with database.read() as session:
        assert indicators.current_headline(session, TODAY, shown=inputs) is None
        again = indicators.current_headline(session, TODAY)
        assert again == (inputs, worked_out, False)  # read back whole and equal
        assert indicators.current_headline(session, TODAY, fresh=True)[2] is True
        tomorrow = indicators.current_headline(session, TODAY + timedelta(days=1))
        assert tomorrow[2] is True  # another date: worked out
    # Revenue, a wallet estimate: each makes the stored ones out of date.
    with database.write() as session:
        add_revenue(session, ids[5], date(2026, 11, 1), 50_000)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        moved = indicators.current_headline(session, TODAY)
    assert moved[2] is True and moved[1].current != worked_out.current
    with database.write() as session:
        indicators.store_headline(session, moved[0], moved[1])
        share_of_wallet.create_estimate(
            session, ids[0], {"category": "Gears", "period": "2026", "spend": "5"}
        )
    with database.read() as session:
        estimated = indicators.current_headline(session, TODAY)
    assert estimated[2] is True and estimated[1].wallet != moved[1].wallet


def test_the_report_holds_the_week(database: Database, book, tmp_path: Path) -> None:
    with database.write() as session:
        meeting.save_note(session, book["Red Health"], WEEK, "Revenue fell sharply.")
        meeting.add_decision(session, book["Red Health"], WEEK, "Escalate to the sponsor")
        meeting.add_action(session, book["Red Health"], WEEK,
                          {"title": "Sponsor call", "owner": ME, "due_on": "2026-11-30"}, ME,
                          TODAY)  # fmt: skip
        meeting.mark_reviewed(session, book["Red Health"], WEEK, ME, TODAY)
        account_plan.save_plan(
            session, book["Red Health"], {"strategy": "Win back the service line"}
        )
    with database.read() as session:
        report = review_report.build(session, WEEK, TODAY)
    md = review_report.render(report, "md")
    assert md.startswith("# Account review 2026-W47")
    for text in (
        "## Headline indicators", "| 2026-Q4 |", "Pareto curve", "## Accounts reviewed (2)",
        "### Red Health", "> Revenue fell sharply.", "- Escalate to the sponsor",
        "- [ ] Sponsor call — Ann Lee, due 2026-11-30", "**Plan:** Win back the service line",
        "### Reviewed Lately", "## At risk", "## Upgrades and downgrades",
        "▼ downgrade: **Tier Moved** gold → strategic",
    ):  # fmt: skip
        assert text in md, text
    html_text = review_report.render(report, "html")
    for section in ("id='headline'", "id='reviewed'", "id='at-risk'", "id='moves'", "<svg"):
        assert section in html_text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium on this machine")
def test_the_html_report_loads_in_a_browser(database: Database, book, tmp_path: Path) -> None:
    with database.write() as session:
        meeting.save_note(session, book["Red Health"], WEEK, "Note <b>not bold</b> & kept")
        meeting.mark_reviewed(session, book["Red Health"], WEEK, ME, TODAY)
    with database.read() as session:
        report = review_report.build(session, WEEK, TODAY)
    path = tmp_path / "review.html"
    review_report.write(report, "html", path)
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    for section in ('id="headline"', 'id="reviewed"', 'id="at-risk"', 'id="moves"', "<svg"):
        assert section in dom, section
    assert "Note &lt;b&gt;not bold&lt;/b&gt; &amp; kept" in dom
    assert "Red Health" in dom


def test_within_a_reason_the_queue_runs_by_revenue_then_name_and_pages_agree(
    database: Database,
) -> None:
    with database.write() as session:
        for name, revenue in [("Beta", 300), ("Alpha", 300), ("Gamma", 900), ("Delta", 0)]:
            account = account_edit.create_account(session, name, strategic=True, user=ME)
            if revenue:
                add_revenue(session, account.id, date(2026, 6, 1), revenue * 100)
    with database.write() as session:
        pareto.refresh(session, TODAY)
    with database.read() as session:
        order = queue.queue_order(session, TODAY)
        whole = [r.name for r in queue.review_queue(session, TODAY)]
        pages = [
            r.name
            for start in range(0, len(order.ids), 2)
            for r in queue.queue_rows(session, TODAY, queue.QueueFilter(), order.ids[start : start + 2])
        ]  # fmt: skip
        first = order.ids[0]
    # all never reviewed: revenue down, equal revenue by name, no revenue last
    assert whole == ["Gamma", "Alpha", "Beta", "Delta"]
    assert pages == whole and len(order.ids) == 4
    assert isinstance(first, uuid.UUID)


def test_a_review_action_typed_without_a_date_is_due_in_the_team_s_span(database) -> None:
    with database.write() as session:
        ann = team.create_member(session, {"name": USER})
        acme = account_edit.create_account(session, "Acme", owner_id=ann.id)
        week = weeks.iso_week(MONDAY)
        meeting.add_action(
            session, acme.id, week, {"title": "Call back", "owner": USER}, USER, MONDAY
        )
        settings_service.save(session, weeks.ReviewSettings(action_due_days=3), by="lead")
        meeting.add_action(
            session, acme.id, week, {"title": "Send prices", "owner": USER}, USER, MONDAY
        )
    with database.read() as session:
        due = {a.title: a.due_on for a in session.exec(select(ActionItem)).all()}
        on_agenda = agenda.list_agenda(
            session, agenda.AgendaQuery(until=MONDAY + timedelta(days=30), owner_id=ann.id), 0, 50
        )
    assert due == {
        "Call back": MONDAY + timedelta(days=7),
        "Send prices": MONDAY + timedelta(days=3),
    }
    assert {r.note for r in on_agenda} >= {"Review action: Call back", "Review action: Send prices"}
