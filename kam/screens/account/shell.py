"""One account's workspace: a banner, a strip of tabs and the tab in view.

The screen reads the account (`Workspace`) and holds the keys; each tab (a module of its own
beside this one) shows the account and acts on the keys it offers, which the screen hands to
the tab in view. Keys act on that tab: `e` edits the account, the team role or the contact
under the cursor; `n` adds; `d` archives the account or removes what is under the cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import ContentSwitcher, Input, Static

from kam.dialogs.form import ConfirmScreen
from kam.screens.account.contacts import ContactsTab
from kam.screens.account.health import HealthTab
from kam.screens.account.history import HistoryTab
from kam.screens.account.overview import OverviewTab
from kam.screens.account.pipeline import PipelineTab
from kam.screens.account.plan import PlanTab
from kam.screens.account.revenue import RevenueTab
from kam.screens.account.reviews import ReviewsTab
from kam.screens.account.tab import AccountTab
from kam.screens.account.team import TeamTab
from kam.screens.account.wallet import WalletTab
from kam.screens.base import KamScreen
from kam.services.people.contacts import ContactRow
from kam.services.unit import Intent
from kam.services.workspace import Workspace, load_insight, load_workspace
from kam.widgets.badges import tier_badge
from kam.widgets.keybar import KeyBar
from kam.widgets.tab_strip import TabStrip
from kam.widgets.title_bar import TitleBar

TAB_TYPES: list[type[AccountTab]] = [
    OverviewTab, TeamTab, ContactsTab, RevenueTab, PipelineTab, PlanTab, WalletTab, HealthTab,
    ReviewsTab, HistoryTab,
]  # fmt: skip
TABS = {tab.PANE: tab for tab in TAB_TYPES}
FILTERABLE = {pane for pane, tab in TABS.items() if tab.FILTERS}


def _tab_keys() -> list[Binding]:
    """Every tab's keys once each, in the order of the tabs (the key bar's order)."""
    seen: set[tuple[str, str]] = set()
    keys = []
    for tab in (OverviewTab, TeamTab, ContactsTab, PipelineTab, PlanTab, WalletTab, HealthTab,
                ReviewsTab, RevenueTab, HistoryTab):  # fmt: skip
        for binding in tab.KEYS:
            if (binding.key, binding.action) not in seen:
                seen.add((binding.key, binding.action))
                keys.append(binding)
    return keys


def _action_name(binding: Binding) -> str:
    return binding.action.split("(", 1)[0]


# Which tabs offer each of the tabs' actions.
ACTION_TABS: dict[str, set[str]] = {}
for _tab in TAB_TYPES:
    for _binding in _tab.KEYS:
        ACTION_TABS.setdefault(_action_name(_binding), set()).add(_tab.PANE)
ACTION_TABS["filter"] = FILTERABLE


_SCROLL_KEYS = (
    ("down", "down"),
    ("up", "up"),
    ("pagedown", "page_down"),
    ("pageup", "page_up"),
    ("home", "home"),
    ("end", "end"),
)


WIDE = 140  # from this width on, a group's tree and its figures sit side by side


class AccountScreen(KamScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        *_tab_keys(),
        Binding("slash", "filter", "Filter"),
        Binding("tab", "next_tab(1)", "Next tab"),
        Binding("shift+tab", "next_tab(-1)", "Previous tab", show=False),
        Binding("ctrl+r", "refresh", "Reload", show=False),
        # A tab that scrolls as a whole (the Overview) moves with the keys lists use.
        *(Binding(key, f"scroll_tab('{how}')", "Scroll", show=False) for key, how in _SCROLL_KEYS),
        *(Binding(tab.KEY, f"show_tab('{tab.PANE}')", tab.TITLE, show=False) for tab in TAB_TYPES),
    ]

    def __init__(
        self,
        account_id: uuid.UUID,
        loaded: Workspace | None = None,
        *,
        tab: str = "overview",
        contact_id: uuid.UUID | None = None,
        deal_id: uuid.UUID | None = None,
    ) -> None:
        """`loaded`, when the opener read the data already, lets the first paint show it."""
        super().__init__()
        self.account_id = account_id
        self.workspace = loaded
        self.initial_tab = tab
        self.wanted_contact = contact_id  # where the contacts' cursor goes when next filled
        self.wanted_deal = deal_id
        self.filters: dict[str, str] = {}
        self.built: dict[str, AccountTab] = {}  # each tab is built when first shown

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="account-banner")
        yield TabStrip(
            [(tab.PANE, tab.TITLE) for tab in TAB_TYPES],
            self.initial_tab,
            short={"reviews": "Acct plan"},
        )
        with ContentSwitcher(initial=self.initial_tab, id="account-tabs"):
            yield self._build(self.initial_tab)
        yield KeyBar(last=("tab", "escape"))

    def _build(self, pane: str) -> AccountTab:
        """A tab's widgets. Each tab is built when first shown, which keeps opening an account
        to the widgets of the tab in view."""
        tab = self.built[pane] = TABS[pane]()
        return tab

    async def _build_pane(self, pane: str) -> None:
        if pane in self.built:
            return
        tab = self._build(pane)
        await self.query_one(ContentSwitcher).mount(tab)
        tab.prepare()
        if self.workspace is not None:
            tab.fill()

    def on_mount(self) -> None:
        self.built[self.initial_tab].prepare()
        if self.workspace is not None:
            self._show(self.workspace)
        else:
            self.action_refresh()
        self.call_after_refresh(self._focus_tab)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE, "-wide")
        narrow = self.size.width < 100
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            if "pipeline" in self.built and self.workspace is not None:
                self.built["pipeline"].fill()  # its columns follow the width

    # --- data -------------------------------------------------------------------------------

    def data_changed(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        account_id, as_of = self.account_id, self.kam.as_of
        self.load(Intent(load_workspace, account_id, as_of), self._show, group="account")

    def _load_insight(self, ws: Workspace) -> None:
        def show(insight: dict) -> None:
            if self.workspace is not ws:  # reloaded meanwhile: that load reads its own
                return
            self.workspace = replace(ws, **insight)
            # Only what shows the insight: the other tabs keep their cursors as they are.
            for tab in self.built.values():
                if tab.SHOWS_INSIGHT:
                    tab.fill()
            self.refresh_bindings()

        self.load(
            Intent(load_insight, self.account_id, self.kam.as_of),
            show,
            group="account-insight",
            classified=False,
        )

    def _show(self, ws: Workspace) -> None:
        self.workspace = ws
        if not ws.insight_loaded:
            self._load_insight(ws)
        account = ws.detail.account
        self.sub_title = account.name
        banner = Text(account.name, style="bold")
        c = ws.detail.classification
        if c is not None:
            banner.append("  ")
            banner.append_text(tier_badge(c.tier, ws.settings.label(c.tier)))
        if account.archived_at is not None:
            banner.append("  ARCHIVED (u restores)", "bold red")
        if ws.threading.single_threaded:
            banner.append("  ⚠ single-threaded", "yellow")
        self.query_one("#account-banner", Static).update(banner)
        for tab in self.built.values():
            tab.fill()
        self.refresh_bindings()

    def selected_contact(self) -> ContactRow | None:
        tab = self.built.get("contacts")
        return tab.selected() if isinstance(tab, ContactsTab) and tab.is_mounted else None

    # --- what the tabs share ------------------------------------------------------------------

    def after_save(self, result: object) -> None:
        if result is not None:
            self.notify("Saved", timeout=2)
            self.action_refresh()

    def confirm(self, question: str, write: Intent[Any], done: str, *, yes: str) -> None:
        """Ask, then make the change and say `done`."""

        def answered(sure: bool | None) -> None:
            if sure:
                self.load(
                    write,
                    lambda _: (self.notify(done, timeout=2), self.action_refresh()),
                    group="write",
                    classified=False,
                )

        self.app.push_screen(ConfirmScreen(question, yes=yes, no="Cancel"), answered)

    # --- tabs ---------------------------------------------------------------------------------

    @property
    def tab(self) -> str:
        return self.query_one(TabStrip).active

    def action_show_tab(self, pane: str) -> None:
        self.query_one(TabStrip).active = pane  # Activated builds, shows and focuses it

    def action_next_tab(self, step: int) -> None:
        panes = list(TABS)
        self.action_show_tab(panes[(panes.index(self.tab) + step) % len(panes)])

    @on(TabStrip.Activated)
    async def _tab_changed(self, event: TabStrip.Activated) -> None:
        await self._build_pane(event.tab)
        if event.tab != self.tab:  # another tab was asked for meanwhile
            return
        self.query_one(ContentSwitcher).current = event.tab
        self._focus_tab()
        self.built[event.tab].shown()

    def _focus_tab(self) -> None:
        focus = TABS[self.tab].FOCUS
        if focus is not None:
            self.query_one(focus).focus(scroll_visible=False)
        else:
            self.query_one(TabStrip).focus()
        self.refresh_bindings()

    def action_scroll_tab(self, how: str) -> None:
        tab = self.built.get(self.tab)
        if tab is None or not tab.SCROLLS:
            return
        pane = next(iter(tab.query(VerticalScroll)), None)  # the one the tab scrolls in
        if pane is not None:
            getattr(pane, f"scroll_{how}")(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = ACTION_TABS.get(action)
        if tabs is None:
            return True
        if self.tab not in tabs:
            return False
        tab = self.built.get(self.tab)
        return True if action == "filter" or tab is None else tab.check(action)

    def _run_on_tab(self, action: str, *args: Any) -> None:
        tab = self.built.get(self.tab)
        if tab is not None and self.tab in ACTION_TABS.get(action, ()):
            getattr(tab, f"action_{action}")(*args)

    def action_back(self) -> None:
        box = self.focused
        if isinstance(box, Input):
            if not box.value:
                box.remove_class("-active")
            self._focus_tab()
            return
        if box is not None and box.id == "complaint-table":  # back to the scrolling tab
            self._focus_tab()
            return
        self.app.pop_screen()

    # --- filter -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        boxes = self.query(f"#filter-{self.tab}")
        if not boxes:
            return
        box = boxes.first(Input)
        box.add_class("-active")
        box.focus()

    @on(Input.Changed, ".filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        pane = (event.input.id or "").removeprefix("filter-")
        self.filters[pane] = event.value.strip()
        if self.workspace is not None and pane in self.built:
            self.built[pane].fill()

    @on(Input.Submitted, ".filter")
    def _filter_done(self) -> None:
        self._focus_tab()


def _delegate(action: str):
    def run(self: AccountScreen, *args: Any) -> None:
        self._run_on_tab(action, *args)

    run.__name__ = f"action_{action}"
    run.__doc__ = f"`{action}` on the tab in view."
    return run


# The tabs' keys reach the screen (which holds every binding, so the key bar and `?` list
# them); each is handed to the tab in view.
for _action in ACTION_TABS:
    if _action != "filter":
        setattr(AccountScreen, f"action_{_action}", _delegate(_action))
