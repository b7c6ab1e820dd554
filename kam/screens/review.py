"""The weekly account review (5): the queue on the left, the highlighted account's card on the
right, and what the meeting decides written as it is typed.

`]`/`[` step to the next/previous account; `e` writes the note (saved while typing), `d`
records a decision, `a` adds an action, `c` closes one, `g` sets the stage or tier with a
reason, `m` marks the account reviewed, `p`/`o`/`u` edit the account plan, add an objective and
record progress on one, `x` writes the week's report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Label, Select, Static, TextArea

from kam.dialogs.form import FieldSpec, FormScreen, choices_of
from kam.models.enums import (
    AccountClass,
    ActionStatus,
    ObjectiveStatus,
    RelationshipStage,
    ValueTier,
)
from kam.screens.base import KamScreen
from kam.services.history.changes import as_words
from kam.services.people import team
from kam.services.review import account_plan, cards, meeting, queue, weeks
from kam.services.unit import Intent
from kam.services.values.formatting import money_short, percent
from kam.widgets.badges import BAND_STYLES, class_badge, health_badge, tier_badge
from kam.widgets.keybar import KeyBar
from kam.widgets.lazy_table import Column, LazyTable
from kam.widgets.title_bar import TitleBar

DONE, DIM = Style(color="green"), Style(dim=True)
NOTE_SAVE_DELAY = 0.8  # seconds of quiet typing before the note is saved
SPARK = "▁▂▃▄▅▆▇█"

COLUMNS = [
    Column("mark", "", 1),
    Column("account", "Account", 16, grow=3),
    Column("why", "Why", 14, grow=2),
]


def sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(7, int(v / top * 7.999))] if v > 0 else " " for v in values)


class QueueSource:
    """The queue's order is worked out once per refresh by the database; each page's rows and
    reasons are read when the page is shown."""

    def __init__(self, database, order: queue.QueueOrder, f: queue.QueueFilter, as_of) -> None:
        self.database, self.order, self.filter, self.as_of = database, order, f, as_of

    def count(self) -> int:
        return len(self.order.ids)

    def fetch(self, offset: int, limit: int) -> Sequence[queue.QueueRow]:
        ids = self.order.ids[offset : offset + limit]
        return Intent(queue.queue_rows, self.as_of, self.filter, ids).run(self.database)


class ReviewScreen(KamScreen):
    AUTO_FOCUS = "#review-queue"
    BINDINGS = [
        Binding("right_square_bracket", "step(1)", "Next"),
        Binding("left_square_bracket", "step(-1)", "Previous"),
        Binding("e", "edit_note", "Note"),
        Binding("R", "app.choose_region", "Region"),
        Binding("d", "decision", "Decision"),
        Binding("a", "add_action", "Action"),
        Binding("c", "close_action", "Close action"),
        Binding("g", "stage_or_tier", "Stage/tier"),
        Binding("m", "mark_reviewed", "Reviewed"),
        Binding("p", "edit_plan", "Plan"),
        Binding("o", "add_objective", "Objective"),
        Binding("u", "update_objective", "Progress"),
        Binding("x", "export_report", "Report"),
        Binding("escape", "leave_note", "Back to queue", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = queue.QueueFilter()
        self.card: cards.ReviewCard | None = None
        self.note_for: Any = None  # the account the note box holds
        self.note_timer: Timer | None = None
        self.note_dirty = False
        self.note_saving = False  # a note is being written
        self.note_queue: dict[Any, tuple[str, str]] = {}  # account -> (week, text) to write
        self.note_unsaved: dict[Any, str] = {}  # account -> text not yet in the database
        self._left = False
        self._showing_note = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="review-body"):
            with Vertical(id="review-left"):
                yield Select([], prompt="owner: all", id="review-owner", compact=True)
                yield Select(
                    choices_of(AccountClass), prompt="class: all", id="review-class", compact=True
                )
                yield Select(choices_of(ValueTier), prompt="tier: all", id="review-tier",
                             compact=True)  # fmt: skip
                yield LazyTable(COLUMNS, self._cells, id="review-queue")
                yield Static("", id="review-status")
            with VerticalScroll(id="review-card"):
                yield Static("Loading the queue…", id="card-head")
                yield Static("", id="card-figures")
                yield Static("", id="card-plan")
                yield Static("", id="card-actions")
                yield Label("Note  (e: write · saved as you type · esc: back)", id="note-label")
                yield TextArea("", id="review-note", soft_wrap=True)
                yield Static("", id="card-decisions")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = f"Review {weeks.iso_week(self.kam.as_of)}"
        table = self.query_one("#review-queue", LazyTable)
        self.watch(table, "cursor_row", self._cursor_moved, init=False)
        self.load(
            Intent(team.member_options), self._members_loaded, group="members", classified=False
        )
        self._load_queue()

    def _members_loaded(self, members: list[tuple[str, str]]) -> None:
        self.query_one("#review-owner", Select).set_options(members)

    def on_screen_suspend(self) -> None:
        self._left = True
        self._save_note_now()

    def data_changed(self) -> None:
        self._load_queue(keep_cursor=True)

    def on_screen_resume(self) -> None:
        if self._left:
            self._load_queue(keep_cursor=True)
        self._left = False

    # --- the queue ------------------------------------------------------------------------

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        def value(select_id: str) -> Any:
            chosen = self.query_one(select_id, Select).value
            return None if chosen is Select.BLANK else chosen

        owner = value("#review-owner")
        cls, tier = value("#review-class"), value("#review-tier")
        self.filter = queue.QueueFilter(
            _uuid(owner) if owner else None,
            AccountClass(cls) if cls else None,
            ValueTier(tier) if tier else None,
            self.kam.region,
        )
        self._load_queue()

    def _load_queue(self, *, keep_cursor: bool = False) -> None:
        if self.filter.region != self.kam.region:  # chosen with R, here or elsewhere
            self.filter = replace(self.filter, region=self.kam.region)
        self.show_region_in_title(f"Review {weeks.iso_week(self.kam.as_of)}")
        kam, as_of, f = self.kam, self.kam.as_of, self.filter

        def show(order: queue.QueueOrder) -> None:
            table = self.query_one("#review-queue", LazyTable)
            table.set_source(QueueSource(kam.database, order, f, as_of), keep_cursor=keep_cursor)
            self.query_one("#review-status", Static).update(
                f"{len(order.ids):,} to review · {order.done:,} done this week"
            )
            if not order.ids:
                self._show_card(None)

        self.load(Intent(queue.queue_order, as_of, f), show, group="queue", health=True)

    def _cells(self, row: queue.QueueRow) -> list[tuple[str, object]]:
        mark = ("✓", DONE) if row.reviewed else ("●", BAND_STYLES.get(row.band, DIM))
        return [mark, (row.name, None), (row.reasons[0] if row.reasons else "done", DIM)]

    @on(LazyTable.Selected, "#review-queue")
    def _open(self, event: LazyTable.Selected) -> None:
        self._save_note_now()
        self.kam.open_account(event.row.account_id, "overview")

    @on(LazyTable.Loaded, "#review-queue")
    def _queue_loaded(self) -> None:
        self.call_after_refresh(self._cursor_moved)

    def _cursor_moved(self, _row: int | None = None) -> None:
        row = self.query_one("#review-queue", LazyTable).cursor_value
        if row is None:
            return
        if self.card is None or self.card.account_id != row.account_id:
            self._save_note_now()
        self._load_card(row.account_id)

    def _load_card(self, account_id: Any) -> None:
        as_of = self.kam.as_of
        self.load(
            Intent(cards.review_card, account_id, as_of),
            self._show_card,
            group="card",
        )

    def action_step(self, delta: int) -> None:
        table = self.query_one("#review-queue", LazyTable)
        if table.row_count:
            table.cursor_row = max(0, min(table.row_count - 1, table.cursor_row + delta))

    # --- the card -------------------------------------------------------------------------

    def _show_card(self, card: cards.ReviewCard | None) -> None:
        self.card = card
        head = self.query_one("#card-head", Static)
        if card is None:
            head.update("Nothing to review: no key account needs a look this week.")
            for part in ("#card-figures", "#card-plan", "#card-actions", "#card-decisions"):
                self.query_one(part, Static).update("")
            return
        head.update(self._head(card))
        self.query_one("#card-figures", Static).update(self._figures(card))
        self.query_one("#card-plan", Static).update(self._plan(card))
        self.query_one("#card-actions", Static).update(self._actions(card))
        self.query_one("#card-decisions", Static).update(self._decisions(card))
        note = self.query_one("#review-note", TextArea)
        if self.note_for != card.account_id or not self.note_dirty:
            # A note still on its way to the database wins over the card read meanwhile.
            text = self.note_unsaved.get(card.account_id, card.review.note)
            self._showing_note = True
            note.load_text(text)
            self._showing_note = False
            self.note_for = card.account_id
            self.note_dirty = False

    def _head(self, card: cards.ReviewCard) -> Text:
        text = Text(card.name, "bold")
        text.append("  ")
        if card.account_class:
            text.append_text(class_badge(card.account_class, card.strategic))
            text.append(" ")
        if card.tier:
            text.append_text(tier_badge(card.tier, card.tier.value))
        if card.tier_trend:
            text.append(f"  {card.tier_trend}", "dim")
        text.append(f"\nowner {card.owner or '-'} · stage {as_words(card.stage)}")
        if card.plan.desired_stage:
            text.append(f" → wants {as_words(card.plan.desired_stage)}")
        if card.review.reviewed_on:
            who = f" by {card.review.reviewer}" if card.review.reviewer else ""
            text.append(f"  ✓ reviewed {card.review.reviewed_on}{who}", "green")
        row = self.query_one("#review-queue", LazyTable).cursor_value
        if row is not None and row.reasons:
            text.append(f"\nwhy now: {'; '.join(row.reasons)}", "yellow")
        return text

    def _figures(self, card: cards.ReviewCard) -> Text:
        as_of = self.kam.as_of
        text = Text()
        text.append("\nRevenue ", "bold")
        text.append(f"{as_of.year} to date {money_short(card.ytd_minor)}")
        text.append(
            f" vs {money_short(card.same_period_last_year_minor)} in the same days of "
            f"{as_of.year - 1}"
        )
        if card.growth is not None:
            text.append(
                f" ({card.growth:+.0%} year to date)", "green" if card.growth >= 0 else "red"
            )
        last_full = [r for y, r, _ in card.revenue_by_year if y == as_of.year - 1]
        if last_full:
            text.append(f" · {as_of.year - 1} {money_short(last_full[0])}")
        text.append(f"\n  24 months {sparkline(card.monthly_minor)}", "cyan")
        text.append("\nWallet   ", "bold")
        if card.wallet_share is None:
            text.append("no estimate", "dim")
        else:
            text.append(f"share {percent(card.wallet_share, 0)} in {card.wallet_period}")
            if card.wallet_change is not None:
                text.append(f" ({card.wallet_change * 100:+.1f} pts)")
        text.append("\nPipeline ", "bold")
        text.append(f"weighted {money_short(card.weighted_minor)} in {card.open_deals} open deals")
        for deal in card.next_deals[:3]:
            close = deal.expected_close.isoformat() if deal.expected_close else "no date"
            flag = " stale" if deal.stale else ""
            text.append(
                f"\n  {deal.title[:34]} · {as_words(deal.stage)} · "
                f"{money_short(deal.amount_minor)} · {close}{flag}"
            )
        text.append("\nContact  ", "bold")
        if card.last_contact:
            text.append(f"last {card.last_contact} ({(as_of - card.last_contact).days} days ago)")
        else:
            text.append("none logged", "red")
        if card.overdue_items:
            first = card.overdue_items[0]
            text.append(
                f" · {len(card.overdue_items)} overdue, oldest {as_words(first.kind)} "
                f"due {first.next_due}",
                "red",
            )
        text.append("\nHealth   ", "bold")
        if card.health is None:
            text.append("not watched", "dim")
        else:
            text.append_text(health_badge(card.health.score, card.health.band))
            change = card.health.change
            if change:
                text.append(f" ({change:+d} in 4 wk)")
            text.append(f" {card.health.reasons}", "dim")
        return text

    def _plan(self, card: cards.ReviewCard) -> Text:
        plan = card.plan
        text = Text("\nPlan     ", "bold")
        if plan.empty:
            text.append("no account plan yet (p writes one)", "dim")
            return text
        strategy = plan.strategy.splitlines()[0] if plan.strategy else "no strategy written"
        text.append(strategy[:150])
        if plan.customer_goals:
            text.append(f"\n  their goals: {plan.customer_goals.splitlines()[0][:120]}", "dim")
        for obj in plan.objectives[:3]:
            style = {"at_risk": "yellow", "missed": "red", "achieved": "green"}.get(obj.status)
            due = f" by {obj.due_on}" if obj.due_on else ""
            text.append(f"\n  ◦ {obj.title[:40]}: {obj.measure} {obj.target}{due} ")
            text.append(f"[{as_words(obj.status)}]", style or "dim")
        return text

    def _actions(self, card: cards.ReviewCard) -> Text:
        as_of = self.kam.as_of
        open_ = [a for a in card.actions if a.status == ActionStatus.open]
        text = Text(f"\nActions  {len(open_)} open", "bold")
        for action in card.actions[:5]:
            due = f" due {action.due_on}" if action.due_on else ""
            style = "red" if action.overdue(as_of) else None
            if action.status != ActionStatus.open:
                style = "dim"
            mark = "☐" if action.status == ActionStatus.open else "☑"
            text.append(f"\n  {mark} {action.title[:50]} · {action.owner or 'nobody'}{due}", style)
        return text

    def _decisions(self, card: cards.ReviewCard) -> Text:
        text = Text("Decisions", "bold")
        if not card.review.decisions:
            text.append("  none yet (d records one)", "dim")
        for _when, decision in card.review.decisions[-4:]:
            text.append(f"\n  • {decision}")
        return text

    # --- the note, saved as it is typed ---------------------------------------------------

    def action_edit_note(self) -> None:
        if self.card is not None:
            note = self.query_one("#review-note", TextArea)
            note.move_cursor(note.document.end)
            note.focus()

    def action_leave_note(self) -> None:
        self._save_note_now()
        self.query_one("#review-queue", LazyTable).focus()

    @on(TextArea.Changed, "#review-note")
    def _note_typed(self) -> None:
        if self._showing_note or self.note_for is None or self.card is None:
            return
        text = self.query_one("#review-note", TextArea).text
        saved_text = self.note_unsaved.get(self.card.account_id, self.card.review.note)
        if not self.note_dirty and text == saved_text:
            return  # the box was filled from the database, nothing typed
        self.note_dirty = True
        self.query_one("#note-label", Label).update("Note  (e: write · saving… · esc: back)")
        if self.note_timer is not None:
            self.note_timer.stop()
        self.note_timer = self.set_timer(NOTE_SAVE_DELAY, self._save_note_now)

    def _save_note_now(self) -> None:
        """Queue what the box holds and write queued notes one at a time, oldest account
        first, so an older text can never land after a newer one."""
        if self.note_timer is not None:
            self.note_timer.stop()
            self.note_timer = None
        if self.note_dirty and self.note_for is not None:
            text = self.query_one("#review-note", TextArea).text
            self.note_unsaved[self.note_for] = text
            self.note_queue[self.note_for] = (weeks.iso_week(self.kam.as_of), text)
            self.note_dirty = False
        if self.note_saving or not self.note_queue:
            return
        account_id = next(iter(self.note_queue))
        week, text = self.note_queue.pop(account_id)
        self.note_saving = True

        def saved(_result: Any) -> None:
            self.note_saving = False
            if self.note_unsaved.get(account_id) == text:
                del self.note_unsaved[account_id]
            if not self.note_queue:
                self.query_one("#note-label", Label).update("Note  (e: write · saved · esc: back)")
            self._save_note_now()

        def failed(exc: BaseException) -> None:
            self.note_saving = False
            self.note_queue.setdefault(account_id, (week, text))  # tried again on the next save
            self.kam.show_error(exc)

        self.load(
            Intent(meeting.save_note, account_id, week, text),
            saved,
            group="note",
            failed=failed,
            classified=False,
        )

    # --- decisions, actions, stage and tier -----------------------------------------------

    def _form(self, title: str, fields: list[FieldSpec], values: dict, save) -> None:
        if self.card is None:
            self.notify("No account selected", timeout=3)
            return
        self._save_note_now()
        self.app.push_screen(FormScreen(title, fields, values, save), self._form_done(self.card))

    def _form_done(self, card: cards.ReviewCard) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            if result is not None:
                self._load_card(card.account_id)
                self._load_queue(keep_cursor=True)

        return done

    def _week(self) -> str:
        return weeks.iso_week(self.kam.as_of)

    def action_decision(self) -> None:
        card, week = self.card, self._week()
        if card is None:
            return
        self._form(
            f"Decision on {card.name}",
            [FieldSpec("text", "Decision", "long", required=True)],
            {},
            Intent(meeting.record_decision, card.account_id, week),
        )

    def action_add_action(self) -> None:
        card, week, user, as_of = self.card, self._week(), self.kam.user, self.kam.as_of
        if card is None:
            return

        def build(due: date) -> FormScreen:
            return FormScreen(
                f"Action for {card.name} (it goes on the owner's agenda)",
                [
                    FieldSpec("title", "What"),
                    FieldSpec("owner", "Owner", placeholder="a team member's name"),
                    FieldSpec("due_on", "Due", "date"),
                ],
                {"owner": card.owner or "", "due_on": due},
                Intent(meeting.add_action, card.account_id, week, user=user, as_of=as_of),
            )

        self._save_note_now()
        self.open_when_loaded(
            Intent(weeks.default_action_due, as_of),
            build,
            self._form_done(card),
            group="action-form",
        )

    def action_close_action(self) -> None:
        card, as_of = self.card, self.kam.as_of
        if card is None:
            return
        open_ = [a for a in card.actions if a.status == ActionStatus.open]
        if not open_:
            self.notify("No open action on this account", timeout=3)
            return
        self._form(
            f"Close an action of {card.name}",
            [
                FieldSpec("action", "Action", "choice", [(a.title, str(a.id)) for a in open_],
                          required=True),
                FieldSpec("status", "Now", "choice", [("done", "done"), ("dropped", "dropped")],
                          required=True),
            ],
            {"action": str(open_[0].id), "status": "done"},
            Intent(meeting.close_chosen_action, as_of=as_of),
        )  # fmt: skip

    def action_stage_or_tier(self) -> None:
        card, week, user, as_of = self.card, self._week(), self.kam.user, self.kam.as_of
        if card is None:
            return
        tiers = [("remove the tier set by hand", "-"), *choices_of(ValueTier)]
        self._form(
            f"Stage or tier of {card.name}",
            [
                FieldSpec("relationship_stage", "Relationship stage", "choice",
                          choices_of(RelationshipStage)),
                FieldSpec("tier_override", "Tier by hand", "choice", tiers),
                FieldSpec("reason", "Why", "long"),
            ],
            {"relationship_stage": card.stage.value},
            Intent(meeting.set_stage_or_tier, card.account_id, week, user=user, as_of=as_of),
        )  # fmt: skip

    def action_mark_reviewed(self) -> None:
        card, week, user, as_of = self.card, self._week(), self.kam.user, self.kam.as_of
        if card is None:
            return
        self._save_note_now()

        def done(_result: Any) -> None:
            self.notify(f"{card.name}: reviewed", timeout=2)
            self._load_card(card.account_id)
            self._load_queue(keep_cursor=True)

        self.load(
            Intent(meeting.mark_reviewed, card.account_id, week, user, as_of),
            done,
            group="mark",
            classified=False,
        )

    def action_edit_plan(self) -> None:
        card = self.card
        if card is not None:
            self._save_note_now()
            self.app.push_screen(plan_form(card.account_id, card.plan), self._card_changed)

    def action_add_objective(self) -> None:
        card = self.card
        if card is not None:
            self._save_note_now()
            self.app.push_screen(objective_form(card.account_id), self._card_changed)

    def action_update_objective(self) -> None:
        card = self.card
        if card is None:
            return
        if not card.plan.objectives:
            self.notify("No objective yet: o adds one", timeout=3)
            return
        self._save_note_now()
        self.app.push_screen(objective_update_form(card.plan), self._card_changed)

    def _card_changed(self, result: Any) -> None:
        if result is not None and self.card is not None:
            self._load_card(self.card.account_id)

    def action_export_report(self) -> None:
        from kam.reports import review as review_report

        week, as_of = self._week(), self.kam.as_of
        self._save_note_now()

        def done(paths: list[Path]) -> None:
            self.notify(f"Wrote {paths[0]} and {paths[1].name}", timeout=6)

        self.load(
            Intent(review_report.write_files, week, as_of, Path.cwd(), self.kam.region),
            done,
            group="export",
        )


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)


# --- the account plan's forms and text, shared with the account screen's Plan tab ------------


def plan_form(account_id, plan: cards.PlanView) -> FormScreen:
    return FormScreen(
        "Account plan",
        [
            FieldSpec("strategy", "Strategy: where we want to be in 3-5 years, which business "
                      "we want and which not", "long"),
            FieldSpec("desired_stage", "Desired stage", "choice", choices_of(RelationshipStage)),
            FieldSpec("customer_goals", "Their goals we support", "long"),
        ],
        {
            "strategy": plan.strategy,
            "desired_stage": plan.desired_stage,
            "customer_goals": plan.customer_goals,
        },
        Intent(account_plan.save_plan, account_id),
    )  # fmt: skip


_OBJECTIVE_FIELDS = [
    FieldSpec("title", "Objective"),
    FieldSpec("measure", "Measure", placeholder="how it is measured, e.g. share of wallet"),
    FieldSpec("target", "Target", placeholder="the figure to reach, e.g. 40%"),
    FieldSpec("due_on", "By", "date"),
    FieldSpec("status", "Status", "choice", choices_of(ObjectiveStatus), required=True),
    FieldSpec("progress", "Progress"),
]


def objective_form(account_id) -> FormScreen:
    return FormScreen(
        "New objective",
        _OBJECTIVE_FIELDS,
        {"status": ObjectiveStatus.open},
        Intent(account_plan.save_objective, account_id),
    )


def objective_update_form(plan: cards.PlanView) -> FormScreen:
    """Progress on one objective: its status and a line on where it stands."""
    first = plan.objectives[0]
    choices = [(o.title, str(o.id)) for o in plan.objectives]
    fields = [FieldSpec("objective", "Objective", "choice", choices, required=True)]
    fields += [f for f in _OBJECTIVE_FIELDS if f.key in ("status", "progress")]

    return FormScreen(
        "Progress on an objective",
        fields,
        {"objective": str(first.id), "status": first.status, "progress": first.progress},
        Intent(account_plan.update_objective),
    )


def plan_text(plan: cards.PlanView) -> Text:
    if plan.empty:
        return Text("No account plan yet: e writes the strategy, n adds an objective.", "dim")
    text = Text("Strategy\n", "bold")
    text.append((plan.strategy or "not written yet") + "\n")
    text.append("\nDesired relationship stage: ", "bold")
    text.append(as_words(plan.desired_stage) or "not set")
    text.append("\n\nTheir goals we support\n", "bold")
    text.append((plan.customer_goals or "not written yet") + "\n")
    text.append("\nObjectives\n", "bold")
    if not plan.objectives:
        text.append("none yet (n adds one)", "dim")
    styles = {"at_risk": "yellow", "missed": "red", "achieved": "green"}
    for o in plan.objectives:
        due = f" by {o.due_on}" if o.due_on else ""
        text.append(f"◦ {o.title}: {o.measure} {o.target}{due} ")
        text.append(f"[{as_words(o.status)}]", styles.get(o.status.value, "dim"))
        if o.progress:
            text.append(f" {o.progress}", "dim")
        text.append("\n")
    return text


def reviews_text(reviews: list[cards.WeekReview]) -> Text:
    if not reviews:
        return Text("Not reviewed yet.", "dim")
    text = Text()
    for r in reviews:
        text.append(r.week, "bold")
        if r.reviewed_on:
            text.append(f"  reviewed {r.reviewed_on}" + (f" by {r.reviewer}" if r.reviewer else ""))
        text.append("\n")
        if r.note:
            text.append(r.note + "\n")
        for _when, decision in r.decisions:
            text.append(f"  • {decision}\n")
        text.append("\n")
    return text
