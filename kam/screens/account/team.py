"""The Team tab: the account team on our side and whether one person carries the account."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.dialogs import workspace as forms
from kam.models.enums import TeamRole
from kam.screens import account_views as views
from kam.screens.account.tab import AccountTab, filter_box
from kam.services.people import team
from kam.services.unit import Intent


class TeamTab(AccountTab):
    PANE, TITLE, KEY = "team", "Team", "t"
    KEYS = [
        Binding("n", "add_role", "Add role"),
        Binding("e", "edit_role", "Edit role"),
        Binding("d", "remove_role", "Remove"),
        Binding("m", "new_person", "New person"),
    ]
    FOCUS = "#team-table"
    FILTERS = True

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="threading"),
            filter_box("team", "Filter the team…"),
            DataTable(id="team-table", cursor_type="row", zebra_stripes=True),
        ]

    def prepare(self) -> None:
        self.query_one("#team-table", DataTable).add_columns("Role", "Team member", "Title")

    def fill(self) -> None:
        ws = self.workspace
        said = Text()
        owner = ws.detail.owner
        if owner and not any(row.role == TeamRole.account_lead for row in ws.team):
            said.append(f"Account lead: {owner}, the owner, until someone else is named\n")
        if ws.threading.single_threaded:
            said.append(f"⚠ Single-threaded: {ws.threading.reason}", "yellow")
        else:
            carriers = ws.threading.carriers
            said.append(
                f"✓ {len(carriers)} people carry this account: {', '.join(carriers)}", "green"
            )
        self.query_one("#threading", Static).update(said)
        text = self.filter_text
        table = self.query_one("#team-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for row in ws.team:
            cells = (views.words(row.role), row.member, row.title or "")
            if text and not any(text in cell.lower() for cell in cells):
                continue
            table.add_row(*cells, key=str(row.id))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def _selected_role(self) -> uuid.UUID | None:
        table = self.query_one("#team-table", DataTable)
        if not table.row_count:
            self.notify("Nobody on the team yet: n adds a role", timeout=3)
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return uuid.UUID(key) if key else None

    def action_add_role(self) -> None:
        account = self.account
        forms.add_to_team(account, account.account_id, account.after_save)

    def action_new_person(self) -> None:
        forms.new_member(self.account, self._person_added)

    def _person_added(self, member: object) -> None:
        if member is not None:
            self.notify(f"{member.name} can now join account teams (n)", timeout=3)  # type: ignore[attr-defined]

    def action_edit_role(self) -> None:
        membership = self._selected_role()
        if membership is not None:
            forms.edit_membership(self.account, membership, self.account.after_save)

    def action_remove_role(self) -> None:
        membership = self._selected_role()
        if membership is None or self.account.workspace is None:
            return
        row = next(r for r in self.workspace.team if r.id == membership)
        self.account.confirm(
            f"Take {row.member} off this account's team as {views.words(row.role)}?",
            Intent(team.remove_from_team, membership, self.account.kam.user),
            "Removed from the team",
            yes="Remove",
        )
