"""The History tab: every recorded change to the account, its team and its contacts."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.screens.account.tab import EDIT_ACCOUNT, AccountTab, filter_box
from kam.services.history.changes import HISTORY_PAGE


class HistoryTab(AccountTab):
    PANE, TITLE, KEY = "history", "History", "h"
    KEYS = [EDIT_ACCOUNT]
    FOCUS = "#history-table"
    FILTERS = True

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="history-note"),
            filter_box("history", "Filter the history…"),
            DataTable(id="history-table", cursor_type="row", zebra_stripes=True),
        ]

    def prepare(self) -> None:
        self.query_one("#history-table", DataTable).add_columns(
            "When", "Who", "About", "Field", "From", "To"
        )

    def fill(self) -> None:
        ws = self.workspace
        text = self.filter_text
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for row in ws.history:
            cells = (
                f"{row.changed_at.astimezone():%Y-%m-%d %H:%M}",
                row.changed_by,
                f"{row.subject.value} {row.subject_label}",
                row.field.replace("_id", "").replace("_", " "),
                row.old_value or "",
                row.new_value or "",
            )
            if text and not any(text in cell.lower() for cell in cells):
                continue
            table.add_row(*cells)
        note = self.query_one("#history-note", Static)
        if not ws.history:
            note.update(
                "No changes recorded yet: edits to the account, its team and its contacts "
                "show here, newest first."
            )
        else:
            shown = f"{table.row_count} of {len(ws.history)}" if text else f"{table.row_count}"
            more = " (the newest)" if len(ws.history) >= HISTORY_PAGE else ""
            noun = "change" if table.row_count == 1 else "changes"
            note.update(f"{shown} {noun}{more}, newest first · / filters")
