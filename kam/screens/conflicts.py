"""What changed both on this laptop and on the team database, to different values: the team
database kept its value and the laptop's waits here. `enter` opens the record's form with the
laptop's values typed in and the team database's beside them; `m` takes the laptop's (sent
with the next sync), `t` keeps the team database's."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kam.dialogs import sync as sync_forms
from kam.screens.base import KamScreen
from kam.services.sync import conflicts
from kam.services.unit import Intent
from kam.widgets.keybar import KeyBar
from kam.widgets.title_bar import TitleBar


class ConflictsScreen(KamScreen):
    AUTO_FOCUS = "#conflicts"
    CHANGES_DATA = False
    BINDINGS = [
        Binding("enter", "open", "Open in form", priority=True),
        Binding("m", "settle('mine')", "Take mine"),
        Binding("t", "settle('theirs')", "Keep theirs"),
    ]

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="conflicts-summary")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Sync conflicts"
        table = self.query_one("#conflicts", DataTable)
        table.add_columns("#", "About", "Field", "Team database", "This laptop")
        self._load()

    def data_changed(self) -> None:
        self._load()

    def _load(self) -> None:
        self.load(Intent(conflicts.list_conflicts), self._show, group="conflicts", classified=False)

    def _show(self, found: list[conflicts.Conflict]) -> None:
        table = self.query_one("#conflicts", DataTable)
        row = table.cursor_row
        table.clear()
        for c in found:
            table.add_row(str(c.id), c.label, c.about, c.server_value, c.local_value, key=str(c.id))
        if found:
            table.move_cursor(row=min(row, len(found) - 1))
        summary = (
            f"{len(found)} changed on both sides: the team database kept its value. "
            "enter opens the record's form with this laptop's values typed in; "
            "m takes this laptop's (sent with the next sync), t keeps the team database's."
            if found
            else "No conflicts: everything changed on both sides has been settled."
        )
        self.query_one("#conflicts-summary", Static).update(summary)

    def _chosen(self) -> int | None:
        table = self.query_one("#conflicts", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return int(key) if key is not None else None

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        """The record's form, the laptop's values typed in over the team database's."""
        key = self._chosen()
        if key is None:
            return

        def show(row: conflicts.RowConflicts) -> None:
            if not sync_forms.opens_in_form(row):
                self.kam.notify(
                    "This one has no form: m takes this laptop's side, t keeps the team database's",
                    title="Decide here",
                )
                return

            def saved(result: object) -> None:
                if result is None:
                    return  # escape: nothing decided, the conflict waits

                def settled(_none: None) -> None:
                    self._load()
                    self.kam.action_sync()

                self.load(
                    Intent(conflicts.settle, row.ids), settled, group="conflicts", classified=False
                )

            sync_forms.open_conflict(self, row, saved)

        self.load(Intent(conflicts.for_form, key), show, group="conflicts", classified=False)

    def action_settle(self, side: str) -> None:
        key = self._chosen()
        if key is None:
            return
        fn = conflicts.take_mine if side == "mine" else conflicts.keep_theirs

        def done(_result: None) -> None:
            self._load()
            if side == "mine":
                self.kam.action_sync()  # send it now, when the server can be reached

        self.load(Intent(fn, key), done, group="conflicts", classified=False)
