"""The Account plan tab: the strategy, the objectives and the weekly reviews of the account;
read when the tab is shown."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from kam.screens.account.tab import AccountTab
from kam.services.review import account_plan, cards
from kam.services.unit import Intent


class ReviewsTab(AccountTab):
    PANE, TITLE, KEY = "reviews", "Account plan", "v"
    KEYS = [
        Binding("e", "edit_plan", "Edit plan"),
        Binding("n", "new_objective", "New objective"),
        Binding("u", "update_objective", "Update objective"),
    ]
    SCROLLS = True

    def __init__(self) -> None:
        super().__init__()
        self.plan: cards.PlanView | None = None

    def widgets(self) -> list[Widget]:
        return [
            VerticalScroll(
                Static("Loading…", id="account-plan", classes="panel"),
                Static("", id="review-history", classes="panel"),
                classes="account-pane",
            )
        ]

    def shown(self) -> None:
        self.account.load(
            Intent(account_plan.plan_and_reviews, self.account.account_id),
            self._show,
            group="account-plan",
        )

    def _show(self, loaded: tuple[cards.PlanView, list[Any]]) -> None:
        from kam.screens.review import plan_text, reviews_text

        self.plan, reviews = loaded
        self.panel("#account-plan", plan_text(self.plan), "Account plan")
        self.panel("#review-history", reviews_text(reviews), "Weekly reviews")
        self.account.refresh_bindings()

    def check(self, action: str) -> bool | None:
        if action == "update_objective":  # shown dimmed until there is an objective
            return True if self.plan is not None and self.plan.objectives else None
        return True

    def _saved(self, result: object) -> None:
        if result is not None:
            self.shown()

    def action_edit_plan(self) -> None:
        from kam.screens.review import plan_form

        if self.plan is not None:
            self.app.push_screen(plan_form(self.account.account_id, self.plan), self._saved)

    def action_new_objective(self) -> None:
        from kam.screens.review import objective_form

        self.app.push_screen(objective_form(self.account.account_id), self._saved)

    def action_update_objective(self) -> None:
        from kam.screens.review import objective_update_form

        if self.plan is None or not self.plan.objectives:
            self.notify("No objective yet: n adds one", timeout=3)
            return
        self.app.push_screen(objective_update_form(self.plan), self._saved)
