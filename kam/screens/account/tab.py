"""What every tab of the account screen is: its widgets, the keys it offers while in view,
and how it shows the account the screen has read."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from kam.dialogs import workspace as forms

if TYPE_CHECKING:
    from kam.screens.account.shell import AccountScreen
    from kam.services.workspace import Workspace


class AccountTab(Vertical):
    """One tab. The screen holds the account (`workspace`) and the keys; a tab names the keys
    it offers in `KEYS`, which the screen shows and hands to it while it is in view."""

    PANE: ClassVar[str]
    TITLE: ClassVar[str]
    KEY: ClassVar[str]  # the key that shows the tab
    KEYS: ClassVar[list[Binding]] = []
    FOCUS: ClassVar[str | None] = None  # what takes the keys when the tab is shown
    SCROLLS: ClassVar[bool] = False  # the whole tab scrolls
    SHOWS_INSIGHT: ClassVar[bool] = False  # filled again once the insight is read
    FILTERS: ClassVar[bool] = False  # has a filter box (/)

    def __init__(self) -> None:
        classes = "account-tab scrolls" if self.SCROLLS else "account-tab"
        super().__init__(*self.widgets(), id=self.PANE, classes=classes)

    def widgets(self) -> list[Widget]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Once mounted: table columns and the like."""

    def fill(self) -> None:
        """Show `workspace`, keeping cursors where they were."""

    def shown(self) -> None:
        """The tab came into view."""

    def check(self, action: str) -> bool | None:
        """Whether one of this tab's keys is offered now (None: shown dimmed)."""
        return True

    @property
    def account(self) -> AccountScreen:
        return self.screen  # type: ignore[return-value]

    @property
    def workspace(self) -> Workspace:
        ws = self.account.workspace
        assert ws is not None
        return ws

    @property
    def filter_text(self) -> str:
        return self.account.filters.get(self.PANE, "").lower()

    def panel(self, selector: str, renderable: object, title: str) -> None:
        panel = self.query_one(selector, Static)
        panel.update(renderable)  # type: ignore[arg-type]
        panel.border_title = title

    # The account's own form is offered on the tabs that show its fields.
    def action_edit_account(self) -> None:
        account = self.account
        forms.edit_account(account, account.account_id, account.after_save)


EDIT_ACCOUNT = Binding("e", "edit_account", "Edit")


def filter_box(pane: str, placeholder: str) -> Input:
    return Input(placeholder=placeholder, id=f"filter-{pane}", classes="filter", compact=True)
