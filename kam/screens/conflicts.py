"""What changed both on this laptop and on the team database, to different values: the team
database kept its value and the laptop's waits here. `m` takes the laptop's (sent with the
next sync), `t` keeps the team database's."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from kam.screens.base import KamScreen
from kam.services.sync import replica
from kam.services.unit import Intent
from kam.widgets.keybar import KeyBar
from kam.widgets.title_bar import TitleBar


class ConflictsScreen(KamScreen):
    AUTO_FOCUS = "#conflicts"
    CHANGES_DATA = False
    BINDINGS = [
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
        self.load(Intent(replica.list_conflicts), self._show, group="conflicts", classified=False)

    def _show(self, conflicts: list[replica.Conflict]) -> None:
        table = self.query_one("#conflicts", DataTable)
        row = table.cursor_row
        table.clear()
        for c in conflicts:
            table.add_row(str(c.id), c.label, c.field, c.server_value, c.local_value, key=str(c.id))
        if conflicts:
            table.move_cursor(row=min(row, len(conflicts) - 1))
        summary = (
            f"{len(conflicts)} changed on both sides: the team database kept its value. "
            "m takes this laptop's (sent with the next sync), t keeps the team database's."
            if conflicts
            else "No conflicts: everything changed on both sides has been settled."
        )
        self.query_one("#conflicts-summary", Static).update(summary)

    def action_settle(self, side: str) -> None:
        table = self.query_one("#conflicts", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        assert key is not None
        fn = replica.take_mine if side == "mine" else replica.keep_theirs

        def done(_result: None) -> None:
            self._load()
            if side == "mine":
                self.kam.action_sync()  # send it now, when the server can be reached

        self.load(Intent(fn, int(key)), done, group="conflicts", classified=False)
