"""The Health tab: the health score and its signals, complaints, satisfaction, and the
account's path through the classes and tiers."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.dialogs import insight as insight_forms
from kam.screens import insight_views
from kam.screens.account.tab import AccountTab


class HealthTab(AccountTab):
    PANE, TITLE, KEY = "health", "Health", "k"
    KEYS = [
        Binding("n", "new_complaint", "New complaint"),
        Binding("x", "close_complaint", "Resolve"),
        Binding("s", "new_score", "Satisfaction"),
    ]
    # The whole tab scrolls (signals, complaints, scores, the class and tier path): its list
    # of complaints takes the keys only when a complaint is to be picked.
    FOCUS = "#health-body"
    SHOWS_INSIGHT = True

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="health-summary"),
            VerticalScroll(
                Static("", id="signal-table"),
                Static("Complaints", classes="section-title"),
                DataTable(id="complaint-table", cursor_type="row", zebra_stripes=True),
                Static("", id="survey-line"),
                Static("Class and tier path", classes="section-title"),
                Static("", id="tier-path"),
                id="health-body",
            ),
        ]

    def prepare(self) -> None:
        self.query_one("#complaint-table", DataTable).add_columns(
            "Opened", "Severity", "State", "About"
        )

    def fill(self) -> None:
        ws = self.workspace
        summary = self.query_one("#health-summary", Static)
        if not ws.insight_loaded:
            summary.update(Text("Working out the health…", "dim"))
            return
        summary.update(
            insight_views.health_summary(ws.health, ws.behaviour, self.account.kam.as_of)
        )
        signals = self.query_one("#signal-table", Static)
        if ws.health is not None:
            signals.update(insight_views.signals_table(ws.health))
        signals.display = ws.health is not None
        complaints = self.query_one("#complaint-table", DataTable)
        keep = complaints.cursor_row
        complaints.clear()
        for row in ws.complaints:
            complaints.add_row(*insight_views.complaint_cells(row), key=str(row.id))
        if complaints.row_count:
            complaints.move_cursor(row=min(keep, complaints.row_count - 1))
        self.query_one("#survey-line", Static).update(insight_views.surveys_line(ws.surveys))
        self.query_one("#tier-path", Static).update(insight_views.tier_path(ws.detail.tier_moves))

    def action_new_complaint(self) -> None:
        account = self.account
        insight_forms.new_complaint(account, account.account_id, account.after_save)

    def action_close_complaint(self) -> None:
        ws = self.account.workspace
        if ws is None or not any(c.open for c in ws.complaints):
            self.notify("No open complaint (n records one)", timeout=3)
            return
        table = self.query_one("#complaint-table", DataTable)
        if self.screen.focused is not table:
            # First x: the list of complaints takes the keys, to pick the one resolved.
            table.focus()
            self.notify("↑↓ pick the complaint, x resolves it, esc goes back", timeout=4)
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = next((c for c in ws.complaints if str(c.id) == key), None)
        if row is None or not row.open:
            self.notify("That complaint is resolved already: pick an open one", timeout=3)
            return
        insight_forms.close_complaint(self.account, row.id, self.account.after_save)

    def action_new_score(self) -> None:
        account = self.account
        insight_forms.new_score(account, account.account_id, account.after_save)
