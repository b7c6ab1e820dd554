"""The agenda: whom to contact, overdue first, then today, this week and next week, day by
day, for the person using kam or the whole team. A lazy list: the team's agenda at 100k
accounts is read a page at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from kam.dialogs import plans as plan_forms
from kam.screens.base import KamScreen
from kam.services.contact_plan import activities, agenda
from kam.services.contact_plan.agenda import AgendaQuery, AgendaRow, section_of
from kam.services.contact_plan.policies import words
from kam.services.unit import Intent
from kam.widgets.keybar import KeyBar
from kam.widgets.lazy_table import Column, LazyTable
from kam.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from kam.db import Database

COLUMNS = [
    Column("due", "Due", 12),
    Column("kind", "Kind", 17),
    Column("account", "Account", 20, grow=4),
    Column("contact", "With", 12, grow=2),
    Column("owner", "Owner", 12, grow=1, optional=True),
    Column("cadence", "Cadence", 16, grow=1, optional=True),
    Column("last", "Last contact", 12, optional=True),
]
SECTION_STYLES = {
    "overdue": Style(color="red", bold=True),
    "today": Style(bold=True),
    "this week": None,
    "next week": Style(dim=True),
    "later": Style(dim=True),
}


class AgendaSource:
    def __init__(self, database: Database, query: AgendaQuery) -> None:
        self.database, self.query = database, query

    def count(self) -> int:
        return Intent(agenda.count_agenda, self.query).run(self.database)

    def fetch(self, offset: int, limit: int) -> Sequence[AgendaRow]:
        return Intent(agenda.list_agenda, self.query, offset, limit).run(self.database)


class AgendaTable(LazyTable):
    """Grouped by day: the day shows on its first item; overdue items say how late they are."""

    def __init__(self, screen: AgendaScreen) -> None:
        super().__init__(COLUMNS, lambda row: [], id="agenda")
        self.agenda = screen

    def cells_of(self, row: Any, index: int):
        as_of = self.agenda.kam.as_of
        due = row.next_due
        before = self.row_at(index - 1) if index else None
        if due < as_of:
            label = f"{(as_of - due).days}d overdue"
        elif isinstance(before, AgendaRow) and before.next_due == due:
            label = ""
        elif due == as_of:
            label = "today"
        elif due == as_of + timedelta(days=1):
            label = "tomorrow"
        else:
            label = f"{due:%a %d %b}"
        return self.agenda._cells(row, label)


class AgendaScreen(KamScreen):
    AUTO_FOCUS = "#agenda"
    BINDINGS = [
        Binding("l", "log", "Log contact"),
        Binding("s", "snooze", "Snooze"),
        Binding("a", "toggle_scope", "Me/team"),
        Binding("slash", "filter", "Filter"),
        Binding("P", "policies", "Policies", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.me: uuid.UUID | None = None
        self.mine = True  # my agenda, when I am on the team list
        self.text = ""
        self._left = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="agenda-counts")
        yield Input(
            placeholder="Filter by account…", id="agenda-filter", classes="filter", compact=True
        )
        yield AgendaTable(self)
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Agenda"
        user = self.kam.user
        self.load(
            Intent(activities.member_id_of, user),
            self._found_me,
            group="agenda-me",
            classified=False,
        )

    def _found_me(self, me: uuid.UUID | None) -> None:
        self.me = me
        self.mine = me is not None
        self._apply()

    def on_screen_suspend(self) -> None:
        self._left = True

    def on_screen_resume(self) -> None:
        if self._left:  # back from an account: contacts may have been logged
            self._apply(keep_cursor=True)
        self._left = False

    # --- data ------------------------------------------------------------------------------

    @property
    def horizon(self) -> date:
        """The end of next week."""
        return agenda.week_end(self.kam.as_of) + timedelta(days=7)

    def _query(self) -> AgendaQuery:
        owner = self.me if self.mine else None
        return AgendaQuery(until=self.horizon, owner_id=owner, text=self.text)

    def _apply(self, *, keep_cursor: bool = False) -> None:
        query, as_of = self._query(), self.kam.as_of
        table = self.query_one("#agenda", LazyTable)
        table.set_source(AgendaSource(self.kam.database, query), keep_cursor=keep_cursor)
        self.load(
            Intent(agenda.agenda_sections, query, as_of),
            self._show_counts,
            group="agenda-counts",
            classified=False,
        )

    def _show_counts(self, counts: dict[str, int]) -> None:
        line = Text(self.kam.user if self.mine else "Whole team", style="bold")
        line.append(":")
        for name in ("overdue", "today", "this week", "next week"):
            line.append("  ")
            line.append(f"{name.capitalize()} {counts[name]:,}", SECTION_STYLES[name] or "")
        if not any(counts.values()):
            if self.text:  # the filter, not the work, leaves the list empty
                line.append(f"  · nothing for “{self.text}”", "dim")
            else:
                line.append("  · nothing due: all caught up", "green")
        if self.me is None:
            line.append(f"  ({self.kam.user} is not on the team list)", "dim")
        self.query_one("#agenda-counts", Static).update(line)

    def _cells(self, row: AgendaRow, label: str) -> list[tuple[str, object]]:
        section = section_of(row.next_due, self.kam.as_of)
        return [
            (label, SECTION_STYLES[section]),
            (words(row.kind), None),
            (row.account, None),
            (row.contact or "", None),
            (row.owner or "", None),
            (row.cadence, None),
            (str(row.last_contact) if row.last_contact else "never", None),
        ]

    def selected(self) -> AgendaRow | None:
        value = self.query_one("#agenda", LazyTable).cursor_value
        return value if isinstance(value, AgendaRow) else None

    # --- actions ----------------------------------------------------------------------------

    @on(LazyTable.Selected, "#agenda")
    def _open(self, event: LazyTable.Selected) -> None:
        row: AgendaRow = event.row
        self.kam.open_account(row.account_id, "plan")

    def _saved(self, result: Any) -> None:
        if result is not None:
            self.notify("Saved", timeout=2)
            self._apply(keep_cursor=True)

    def action_log(self) -> None:
        row = self.selected()
        if row is None:
            self.notify("Nothing selected", timeout=2)
            return
        plan_forms.log_activity(
            self, row.account_id, self._saved, account_name=row.account, item=row
        )

    def action_snooze(self) -> None:
        row = self.selected()
        if row is None:
            self.notify("Nothing selected", timeout=2)
            return
        plan_forms.snooze(self, row.id, f"{words(row.kind)} with {row.account}", self._saved)

    def action_toggle_scope(self) -> None:
        if self.me is None:
            self.notify(f"{self.kam.user} is not on the team list: this is the team's agenda")
            return
        self.mine = not self.mine
        self._apply()

    def action_policies(self) -> None:
        plan_forms.policy_settings(self, self._saved)

    def data_changed(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._apply(keep_cursor=True)

    def action_filter(self) -> None:
        box = self.query_one("#agenda-filter", Input)
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#agenda-filter", Input)
        if box.value:
            box.value = ""
        box.remove_class("-active")
        self.query_one("#agenda", LazyTable).focus()

    @on(Input.Changed, "#agenda-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        self._apply()

    @on(Input.Submitted, "#agenda-filter")
    def _filter_done(self) -> None:
        self.query_one("#agenda", LazyTable).focus()
