"""The Overview tab: the profile, the account's standing and what puts the relationship at
risk; archiving and restoring the account."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from kam.screens import account_views as views
from kam.screens.account.tab import EDIT_ACCOUNT, AccountTab
from kam.services.accounts import account_edit
from kam.services.unit import Intent


class OverviewTab(AccountTab):
    PANE, TITLE, KEY = "overview", "Overview", "o"
    KEYS = [
        EDIT_ACCOUNT,
        Binding("d", "archive_account", "Archive"),
        Binding("u", "restore_account", "Restore"),
    ]
    SCROLLS = True
    SHOWS_INSIGHT = True

    def widgets(self) -> list[Widget]:
        return [
            VerticalScroll(
                Static("", id="warnings", classes="panel"),
                Horizontal(
                    Static("Loading…", id="profile", classes="panel"),
                    Static(id="standing", classes="panel"),
                    id="account-top",
                ),
                Horizontal(
                    Static("", id="group", classes="panel"),
                    Static("", id="group-figures", classes="panel"),
                    id="group-row",
                ),
                classes="account-pane",
            )
        ]

    def fill(self) -> None:
        ws = self.workspace
        self.panel("#profile", views.profile(ws), "Profile")
        self.panel("#standing", views.standing(ws), "Standing")
        self.panel("#warnings", views.warnings(ws), "Relationship")
        self.panel("#group", views.group_tree(ws), "Group")
        self.panel("#group-figures", views.group_rollup(ws), "Group figures")
        self.query_one("#group-row").display = ws.group is not None

    def check(self, action: str) -> bool | None:
        ws = self.account.workspace
        archived = ws is not None and ws.detail.account.archived_at is not None
        if action == "archive_account":
            return not archived
        if action == "restore_account":
            return archived
        return True

    def action_archive_account(self) -> None:
        account = self.account
        name = account.workspace.detail.account.name if account.workspace else "this account"
        account.confirm(
            f"Archive {name}? It leaves the lists; its history stays and it can be restored "
            "from the archive (a on the accounts screen).",
            Intent(account_edit.archive_account, account.account_id, account.kam.user),
            "Archived",
            yes="Archive",
        )

    def action_restore_account(self) -> None:
        account = self.account
        account.load(
            Intent(account_edit.restore_account, account.account_id, account.kam.user),
            lambda _: account.after_save("restored"),
            group="write",
            classified=False,
        )
