"""The Revenue tab: revenue by year and by category."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from kam.screens import account_views as views
from kam.screens.account.tab import EDIT_ACCOUNT, AccountTab


class RevenueTab(AccountTab):
    PANE, TITLE, KEY = "revenue", "Revenue", "r"
    KEYS = [EDIT_ACCOUNT]
    SCROLLS = True

    def widgets(self) -> list[Widget]:
        return [
            VerticalScroll(
                Static(id="revenue-years", classes="panel"),
                Static(id="revenue-categories", classes="panel"),
                classes="account-pane",
            )
        ]

    def fill(self) -> None:
        ws, as_of = self.workspace, self.account.kam.as_of
        self.panel("#revenue-years", views.revenue_years(ws, as_of), "Revenue by year")
        self.panel("#revenue-categories", views.revenue_categories(ws), "Revenue by category")
