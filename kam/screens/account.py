"""One account's workspace: overview, team, contacts and their map, revenue, history.

Keys act on the tab in view: `e` edits the account, the team role or the contact under the
cursor; `n` adds a role or a contact; `d` archives the account or removes a role or contact.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Input,
    Static,
    Tree,
)

from kam.models.enums import TeamRole
from kam.screens import account_views as views
from kam.screens import deal_forms, deal_views, insight_forms, insight_views, plan_forms
from kam.screens import workspace_forms as forms
from kam.screens.base import KamScreen
from kam.screens.form import ConfirmScreen
from kam.services.accounts import account_edit
from kam.services.contact_plan import plans
from kam.services.history.changes import HISTORY_PAGE
from kam.services.people import contacts, team
from kam.services.people.contacts import ContactRow
from kam.services.pipeline import deals
from kam.services.pipeline.deals import DealRow, stage_words
from kam.services.values.formatting import money
from kam.services.wallet import share_of_wallet
from kam.services.workspace import Workspace, load_insight, load_workspace
from kam.widgets.badges import tier_badge
from kam.widgets.keybar import KeyBar
from kam.widgets.tab_strip import TabStrip
from kam.widgets.title_bar import TitleBar

# (pane id, title, key)
TABS = [
    ("overview", "Overview", "o"),
    ("team", "Team", "t"),
    ("contacts", "Contacts", "c"),
    ("revenue", "Revenue", "r"),
    ("pipeline", "Pipeline", "p"),
    ("plan", "Plan", "l"),
    ("wallet", "Wallet", "w"),
    ("health", "Health", "k"),
    ("reviews", "Account plan", "v"),
    ("history", "History", "h"),
]
FILTERABLE = {"team", "contacts", "pipeline", "history"}
# Which tab each context action belongs to.
ACTION_TABS = {
    "edit_account": {"overview", "revenue", "history"},
    "edit_plan": {"reviews"},
    "new_objective": {"reviews"},
    "update_objective": {"reviews"},
    "archive_account": {"overview"},
    "restore_account": {"overview"},
    "add_role": {"team"},
    "edit_role": {"team"},
    "remove_role": {"team"},
    "new_person": {"team"},
    "new_contact": {"contacts"},
    "edit_contact": {"contacts"},
    "remove_contact": {"contacts"},
    "add_need": {"contacts"},
    "remove_need": {"contacts"},
    "new_deal": {"pipeline"},
    "edit_deal": {"pipeline"},
    "remove_deal": {"pipeline"},
    "win_deal": {"pipeline"},
    "lose_deal": {"pipeline"},
    "move_deal": {"pipeline"},
    "new_item": {"plan"},
    "edit_item": {"plan"},
    "remove_item": {"plan"},
    "log_activity": {"plan"},
    "snooze_item": {"plan"},
    "apply_policy": {"plan"},
    "new_estimate": {"wallet"},
    "edit_estimate": {"wallet"},
    "remove_estimate": {"wallet"},
    "new_complaint": {"health"},
    "close_complaint": {"health"},
    "new_score": {"health"},
    "filter": FILTERABLE,
}
PLAN_COLUMNS = ("Due", "Kind", "Cadence", "With", "Owner", "From")
ACTIVITY_COLUMNS = ("Date", "Kind", "With", "Our side", "Summary", "Mood")
DEAL_COLUMNS = ("Stage", "Deal", "Amount", "Prob", "Weighted", "Close", "Days", "Owner", "")
DEAL_COLUMNS_NARROW = tuple(c for c in DEAL_COLUMNS if c != "Weighted")


class AccountScreen(KamScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit_account", "Edit"),
        Binding("d", "archive_account", "Archive"),
        Binding("u", "restore_account", "Restore"),
        Binding("n", "add_role", "Add role"),
        Binding("e", "edit_role", "Edit role"),
        Binding("d", "remove_role", "Remove"),
        Binding("m", "new_person", "New person"),
        Binding("n", "new_contact", "New contact"),
        Binding("e", "edit_contact", "Edit contact"),
        Binding("d", "remove_contact", "Remove"),
        Binding("a", "add_need", "Add need"),
        Binding("x", "remove_need", "Remove need"),
        Binding("n", "new_deal", "New deal"),
        Binding("e", "edit_deal", "Edit deal"),
        Binding("d", "remove_deal", "Remove"),
        Binding("shift+right", "move_deal(1)", "Stage →"),
        Binding("shift+left", "move_deal(-1)", "← Stage"),
        Binding("W", "win_deal", "Won"),
        Binding("L", "lose_deal", "Lost"),
        Binding("l", "log_activity", "Log contact"),
        Binding("n", "new_item", "New item"),
        Binding("e", "edit_item", "Edit item"),
        Binding("d", "remove_item", "Remove"),
        Binding("s", "snooze_item", "Snooze"),
        Binding("a", "apply_policy", "Apply policy"),
        Binding("n", "new_estimate", "New estimate"),
        Binding("e", "edit_estimate", "Edit estimate"),
        Binding("d", "remove_estimate", "Remove"),
        Binding("n", "new_complaint", "New complaint"),
        Binding("x", "close_complaint", "Resolve"),
        Binding("s", "new_score", "Satisfaction"),
        Binding("e", "edit_plan", "Edit plan"),
        Binding("n", "new_objective", "New objective"),
        Binding("u", "update_objective", "Update objective"),
        Binding("slash", "filter", "Filter"),
        Binding("tab", "next_tab(1)", "Next tab"),
        Binding("shift+tab", "next_tab(-1)", "Previous tab", show=False),
        Binding("ctrl+r", "refresh", "Reload", show=False),
        *(Binding(key, f"show_tab('{pane}')", title, show=False) for pane, title, key in TABS),
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
        self.wanted_contact = contact_id
        self.wanted_deal = deal_id
        self.filters: dict[str, str] = {}
        self._built: set[str] = set()  # tabs whose widgets exist: each is built when first shown
        self._pending_contact: uuid.UUID | None = None  # where the org tree's cursor will go

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="account-banner")
        yield TabStrip(
            [(pane, title) for pane, title, _key in TABS],
            self.initial_tab,
            short={"reviews": "Acct plan"},
        )
        with ContentSwitcher(initial=self.initial_tab, id="account-tabs"):
            yield self._pane(self.initial_tab)
        yield KeyBar(last=("tab", "escape"))

    def _pane(self, pane: str) -> Widget:
        """A tab's widgets. Each tab is built when first shown, which keeps opening an account
        to the widgets of the tab in view."""
        self._built.add(pane)
        widgets = self._pane_widgets(pane)
        scrolls = any(widget.has_class("account-pane") for widget in widgets)
        return Vertical(
            *widgets, id=pane, classes="account-tab scrolls" if scrolls else "account-tab"
        )

    def _pane_widgets(self, pane: str) -> list[Widget]:
        if pane == "overview":
            return [
                VerticalScroll(
                    Static("", id="warnings", classes="panel"),
                    Horizontal(
                        Static("Loading…", id="profile", classes="panel"),
                        Static(id="standing", classes="panel"),
                        id="account-top",
                    ),
                    classes="account-pane",
                )
            ]
        if pane == "revenue":
            return [
                VerticalScroll(
                    Static(id="revenue-years", classes="panel"),
                    Static(id="revenue-categories", classes="panel"),
                    classes="account-pane",
                )
            ]
        if pane == "reviews":
            return [
                VerticalScroll(
                    Static("Loading…", id="account-plan", classes="panel"),
                    Static("", id="review-history", classes="panel"),
                    classes="account-pane",
                )
            ]
        if pane == "team":
            return [
                Static("", id="threading"),
                _filter_box("team", "Filter the team…"),
                DataTable(id="team-table", cursor_type="row", zebra_stripes=True),
            ]
        if pane == "contacts":
            return [
                Static("", id="contact-warnings"),
                _filter_box("contacts", "Filter contacts…"),
                Horizontal(
                    Tree("Contacts", id="org"),
                    Static("", id="contact-card", classes="panel"),
                    id="contacts-body",
                ),
            ]
        if pane == "plan":
            return [
                Static("", id="plan-summary"),
                Static("Contact plan", classes="section-title"),
                DataTable(id="plan-table", cursor_type="row", zebra_stripes=True),
                Static("Activities, newest first", classes="section-title"),
                DataTable(id="activity-table", cursor_type="row", zebra_stripes=True),
            ]
        if pane == "pipeline":
            return [
                Static("", id="deal-summary"),
                _filter_box("pipeline", "Filter deals…"),
                Horizontal(
                    DataTable(id="deal-table", cursor_type="row", zebra_stripes=True),
                    Static("", id="deal-card", classes="panel"),
                    id="deals-body",
                ),
            ]
        if pane == "wallet":
            return [
                Static("", id="wallet-note"),
                DataTable(id="wallet-table", cursor_type="cell", zebra_stripes=True),
                VerticalScroll(Static("", id="wallet-detail"), id="wallet-detail-box"),
            ]
        if pane == "health":
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
        return [
            Static("", id="history-note"),
            _filter_box("history", "Filter the history…"),
            DataTable(id="history-table", cursor_type="row", zebra_stripes=True),
        ]

    def _prepare_pane(self, pane: str) -> None:
        if pane == "team":
            self.query_one("#team-table", DataTable).add_columns("Role", "Team member", "Title")
        elif pane == "contacts":
            self.query_one("#org", Tree).show_root = False
        elif pane == "pipeline":
            self.query_one("#deal-table", DataTable).add_columns(*DEAL_COLUMNS)
        elif pane == "plan":
            self.query_one("#plan-table", DataTable).add_columns(*PLAN_COLUMNS)
            self.query_one("#activity-table", DataTable).add_columns(*ACTIVITY_COLUMNS)
        elif pane == "health":
            self.query_one("#complaint-table", DataTable).add_columns(
                "Opened", "Severity", "State", "About"
            )
        elif pane == "history":
            self.query_one("#history-table", DataTable).add_columns(
                "When", "Who", "About", "Field", "From", "To"
            )

    def _fill(self, pane: str) -> None:
        {"overview": self._show_overview, "revenue": self._show_revenue,
         "reviews": lambda: None,  # its plan and reviews are read when it is shown
         "team": self._show_team, "contacts": self._show_contacts,
         "pipeline": self._show_deals, "plan": self._show_plan,
         "wallet": self._show_wallet, "health": self._show_health,
         "history": self._show_history}[pane]()  # fmt: skip

    async def _build_pane(self, pane: str) -> None:
        if pane in self._built:
            return
        await self.query_one(ContentSwitcher).mount(self._pane(pane))
        self._prepare_pane(pane)
        if self.workspace is not None:
            self._fill(pane)

    def on_mount(self) -> None:
        self._prepare_pane(self.initial_tab)
        if self.workspace is not None:
            self._show(self.workspace)
        else:
            self.action_refresh()
        self.call_after_refresh(self._focus_tab)

    def on_resize(self) -> None:
        narrow = self.size.width < 100
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            if "pipeline" in self._built and self.workspace is not None:
                self._show_deals()  # its columns follow the width

    # --- data -------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        account_id, today = self.account_id, self.kam.today
        self.load(lambda s: load_workspace(s, account_id, today), self._show, group="account")

    def _load_insight(self, ws: Workspace) -> None:
        account_id, today = self.account_id, self.kam.today

        def show(insight: dict) -> None:
            if self.workspace is not ws:  # reloaded meanwhile: that load reads its own
                return
            self.workspace = loaded = replace(ws, **insight)
            # Only what shows the insight: the other tabs keep their cursors as they are.
            if "overview" in self._built:
                self._panel("#standing", views.standing(loaded), "Standing")
            for pane in ("wallet", "health"):
                if pane in self._built:
                    self._fill(pane)
            self.refresh_bindings()

        self.load(
            lambda s: load_insight(s, account_id, today),
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
        for pane in self._built:
            self._fill(pane)
        self.refresh_bindings()

    def _show_overview(self) -> None:
        ws = self.workspace
        assert ws is not None
        self._panel("#profile", views.profile(ws), "Profile")
        self._panel("#standing", views.standing(ws), "Standing")
        self._panel("#warnings", views.warnings(ws), "Relationship")

    def _show_revenue(self) -> None:
        ws = self.workspace
        assert ws is not None
        self._panel("#revenue-years", views.revenue_years(ws, self.kam.today), "Revenue by year")
        self._panel("#revenue-categories", views.revenue_categories(ws), "Revenue by category")

    def _panel(self, selector: str, renderable: object, title: str) -> None:
        panel = self.query_one(selector, Static)
        panel.update(renderable)  # type: ignore[arg-type]
        panel.border_title = title

    def _show_team(self) -> None:
        ws = self.workspace
        assert ws is not None
        verdict = self.query_one("#threading", Static)
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
        verdict.update(said)
        text = self.filters.get("team", "").lower()
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

    def _show_contacts(self) -> None:
        ws = self.workspace
        assert ws is not None
        found = ws.relationship_warnings
        box = self.query_one("#contact-warnings", Static)
        if found:
            box.update(Group(*(Text(f"⚠ {w}", "yellow") for w in found)))
        elif ws.key_account:
            box.update(Text("✓ Decision maker, champion and a strong tie in place", "green"))
        else:
            box.update(Text("Relationship checks apply to key accounts", "dim"))
        tree = self.query_one("#org", Tree)
        current = self.selected_contact()
        wanted = self.wanted_contact or (current.id if current else None)
        self.wanted_contact = None
        tree.clear()
        text = self.filters.get("contacts", "").lower()
        people = ws.contacts
        if text:
            people = _matching_with_managers(people, text)
        target = None
        for root in contacts.org_tree(people):
            target = _add_branch(tree.root, root, wanted) or target
        if not people:
            tree.root.add_leaf(Text("no contacts yet (n adds one)", style="dim"))
        tree.root.expand_all()
        self._pending_contact = target.data.id if target is not None and target.data else None
        self.call_after_refresh(self._tree_rebuilt, target)

    def _tree_rebuilt(self, target) -> None:
        """Put the cursor back on the rebuilt tree and show the card of the contact under it
        (moving to the same line sends no highlight event)."""
        self._pending_contact = None
        tree = self.query_one("#org", Tree)
        tree.last_line  # noqa: B018 -- lays out the rebuilt tree's lines, which a move needs
        if target is not None:
            tree.move_cursor(target)
        elif tree.root.children:
            tree.move_cursor(tree.root.children[0])
        self._show_card()

    def _show_deals(self) -> None:
        ws = self.workspace
        assert ws is not None
        summary = deal_views.totals(
            ws.forecast.total, ws.forecast.won_period, short=self.size.width < 100
        )
        if not ws.deals:
            summary = Text("No deals yet: n adds one", style="dim")
        self.query_one("#deal-summary", Static).update(summary)
        table = self.query_one("#deal-table", DataTable)
        selected = self.selected_deal()
        # On a narrow terminal the weighted amount (amount x probability, in the totals and
        # on the deal's card) gives its room to the owner.
        columns = DEAL_COLUMNS_NARROW if self.size.width < 100 else DEAL_COLUMNS
        if [str(c.label) for c in table.columns.values()] != list(columns):
            table.clear(columns=True)
            table.add_columns(*columns)
        else:
            table.clear()
        text = self.filters.get("pipeline", "").lower()
        for deal in ws.deals:
            by_column = {
                "Stage": stage_words(deal.stage),
                "Deal": deal.title,
                "Amount": Text(money(deal.amount_minor), justify="right"),
                "Prob": Text(f"{deal.probability}%", justify="right"),
                "Weighted": Text(money(deal.weighted_minor) if deal.open else "", justify="right"),
                "Close": str(deal.closed_on or deal.expected_close or ""),
                "Days": Text(str(deal.days_in_stage) if deal.open else "", justify="right"),
                "Owner": deal.owner or "",
                "": deal_views.flags(deal),
            }
            cells = tuple(by_column[name] for name in columns)
            words = f"{deal.title} {deal.stage.value} {deal.owner or ''} {deal.category or ''}"
            if text and text not in words.lower():
                continue
            table.add_row(*cells, key=str(deal.id))
        wanted = self.wanted_deal or (selected.id if selected else None)
        self.wanted_deal = None
        listed = {str(row.value) for row in table.rows}
        if wanted is not None and str(wanted) in listed:  # not removed nor filtered out
            table.move_cursor(row=table.get_row_index(str(wanted)))
        self._show_deal_card()

    def selected_deal(self) -> DealRow | None:
        tables = self.query("#deal-table")
        if not tables or self.workspace is None:
            return None
        table = tables.first(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((d for d in self.workspace.deals if str(d.id) == key), None)

    @on(DataTable.RowHighlighted, "#deal-table")
    def _show_deal_card(self) -> None:
        deal = self.selected_deal()
        panel = self.query_one("#deal-card", Static)
        path = self.workspace.stage_paths.get(deal.id, []) if deal and self.workspace else []
        panel.update(deal_views.deal_card(deal, path))
        panel.border_title = "Deal"

    def _show_plan(self) -> None:
        ws = self.workspace
        assert ws is not None
        today = self.kam.today
        lines = Text()
        last = ws.last_contact
        lines.append("Last contact: ", "dim")
        if last is None:
            lines.append("none logged yet")
        else:
            ago = (today - last).days
            lines.append(f"{last} ({'today' if ago == 0 else f'{ago} days ago'})")
        if ws.silence:
            lines.append(f"\n⚠ {ws.silence}", "yellow")
        if ws.policy_offer:
            followed = sorted({r.policy for r in ws.plan if r.active and r.policy})
            now = (
                f"follows the {', '.join(plans.words(f) for f in followed)} policy"
                if followed
                else "has no policy plan"
            )
            lines.append(
                f"\nThis account {now}; a applies the {plans.words(ws.policy_offer)} policy",
                "cyan",
            )
        self.query_one("#plan-summary", Static).update(lines)
        table = self.query_one("#plan-table", DataTable)
        selected = self.selected_item()
        table.clear()
        for row in ws.plan:
            late = row.active and row.next_due < today
            due = Text(str(row.next_due), style="bold red" if late else "")
            if not row.active:
                due = Text("stopped", style="dim")
            table.add_row(
                due,
                plans.words(row.kind),
                row.cadence,
                row.contact or "",
                row.owner or "",
                plans.words(row.policy) if row.policy else (row.note or "by hand"),
                key=str(row.id),
            )
        if selected is not None and str(selected.id) in {str(r.value) for r in table.rows}:
            table.move_cursor(row=table.get_row_index(str(selected.id)))
        log = self.query_one("#activity-table", DataTable)
        log.clear()
        for act in ws.activities:
            log.add_row(
                str(act.occurred_on),
                plans.words(act.kind),
                ", ".join(act.contacts),
                ", ".join(act.members),
                (act.summary.splitlines() or [""])[0],
                Text(act.sentiment.value, style=MOODS.get(act.sentiment.value, "")),
            )

    def _show_wallet(self) -> None:
        ws = self.workspace
        assert ws is not None
        view = ws.wallet
        note = self.query_one("#wallet-note", Static)
        table = self.query_one("#wallet-table", DataTable)
        if view is None:
            note.update(Text("Reading the share of wallet…", "dim"))
            table.display = False
            return
        keep = table.cursor_coordinate
        table.clear(columns=True)
        if not view.periods:
            note.update(insight_views.wallet_empty())
            table.display = False
            self.query_one("#wallet-detail", Static).update("")
            return
        table.display = True
        whitespace = view.whitespace
        line = Text("Share of wallet and our growth per category; ")
        line.append("whitespace", insight_views.WHITESPACE)
        line.append(", ")
        line.append("lost share", insight_views.LOST)
        line.append(", ")
        line.append("growing slower than the customer", insight_views.BEHIND)
        if whitespace:
            line.append(f"\nWhitespace in {view.latest}: {', '.join(whitespace)}", "magenta")
        note.update(line)
        table.add_column("Category", key="category")
        for period in view.periods:
            table.add_column(insight_views.period_title(view, period), key=period.label)
        for category, cells in insight_views.wallet_rows(view):
            table.add_row(Text(category, "bold" if category == insight_views.TOTAL else ""),
                          *cells, key=category)  # fmt: skip
        # Stay on the same cell after a save; start on the latest period's first category.
        column = keep.column if 0 < keep.column <= len(view.periods) else len(view.periods)
        table.cursor_coordinate = keep._replace(
            row=min(keep.row, table.row_count - 1), column=column
        )
        self._show_wallet_detail()

    def _wallet_cursor(self) -> tuple[str, object | None] | None:
        """(category, period) under the cursor; the period is None on the category column."""
        ws = self.workspace
        tables = self.query("#wallet-table")
        if ws is None or not tables or ws.wallet is None or not ws.wallet.periods:
            return None
        table = tables.first(DataTable)
        if not table.row_count:
            return None
        keys = table.coordinate_to_cell_key(table.cursor_coordinate)
        category = str(keys.row_key.value)
        column = str(keys.column_key.value)
        period = next((p for p in ws.wallet.periods if p.label == column), None)
        return category, period

    @on(DataTable.CellHighlighted, "#wallet-table")
    def _show_wallet_detail(self) -> None:
        picked = self._wallet_cursor()
        if picked is None or self.workspace is None or self.workspace.wallet is None:
            return
        self.query_one("#wallet-detail", Static).update(
            insight_views.wallet_detail(self.workspace.wallet, picked[0])
        )

    def _show_health(self) -> None:
        ws = self.workspace
        assert ws is not None
        if not ws.insight_loaded:
            self.query_one("#health-summary", Static).update(Text("Working out the health…", "dim"))
            return
        self.query_one("#health-summary", Static).update(
            insight_views.health_summary(ws.health, ws.behaviour, self.kam.today)
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

    def selected_item(self) -> plans.PlanRow | None:
        tables = self.query("#plan-table")
        if not tables or self.workspace is None:
            return None
        table = tables.first(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.workspace.plan if str(r.id) == key), None)

    def _show_history(self) -> None:
        ws = self.workspace
        assert ws is not None
        text = self.filters.get("history", "").lower()
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

    # --- contacts tab -------------------------------------------------------------------------

    def selected_contact(self) -> ContactRow | None:
        trees = self.query("#org")
        if not trees:  # the tab is still being built
            return None
        if self._pending_contact is not None and self.workspace is not None:
            # The tree was rebuilt and its cursor goes there on the next repaint.
            pending = self._pending_contact
            return next((c for c in self.workspace.contacts if c.id == pending), None)
        node = trees.first(Tree).cursor_node
        data = node.data if node is not None else None
        return data if isinstance(data, ContactRow) else None

    @on(Tree.NodeHighlighted, "#org")
    def _show_card(self) -> None:
        contact = self.selected_contact()
        ws = self.workspace
        boss = None
        if contact is not None and ws is not None and contact.reports_to_id:
            boss = next((c.name for c in ws.contacts if c.id == contact.reports_to_id), None)
        panel = self.query_one("#contact-card", Static)
        last = ws.contact_last_contact.get(contact.id) if contact and ws else None
        panel.update(views.contact_card(contact, boss, last))
        panel.border_title = "Contact"

    # --- tabs ---------------------------------------------------------------------------------

    @property
    def tab(self) -> str:
        return self.query_one(TabStrip).active

    def action_show_tab(self, pane: str) -> None:
        self.query_one(TabStrip).active = pane  # Activated builds, shows and focuses it

    def action_next_tab(self, step: int) -> None:
        panes = [pane for pane, _, _ in TABS]
        self.action_show_tab(panes[(panes.index(self.tab) + step) % len(panes)])

    @on(TabStrip.Activated)
    async def _tab_changed(self, event: TabStrip.Activated) -> None:
        await self._build_pane(event.tab)
        if event.tab != self.tab:  # another tab was asked for meanwhile
            return
        self.query_one(ContentSwitcher).current = event.tab
        self._focus_tab()
        if self.tab == "reviews":
            self._load_account_plan()

    # --- the account plan and its reviews ---------------------------------------------------

    def _load_account_plan(self) -> None:
        from kam.services.review import meeting

        account_id = self.account_id
        self.load(
            lambda s: (meeting.plan_view(s, account_id), meeting.account_reviews(s, account_id)),
            self._show_account_plan,
            group="account-plan",
        )

    def _show_account_plan(self, loaded) -> None:
        from kam.screens.review import plan_text, reviews_text

        plan, reviews = loaded
        self.account_plan_view = plan
        self._panel("#account-plan", plan_text(plan), "Account plan")
        self._panel("#review-history", reviews_text(reviews), "Weekly reviews")
        self.refresh_bindings()

    def action_edit_plan(self) -> None:
        from kam.screens.review import plan_form

        plan = getattr(self, "account_plan_view", None)
        if plan is not None:
            self.app.push_screen(plan_form(self.account_id, plan), self._plan_saved)

    def action_new_objective(self) -> None:
        from kam.screens.review import objective_form

        self.app.push_screen(objective_form(self.account_id), self._plan_saved)

    def action_update_objective(self) -> None:
        from kam.screens.review import objective_update_form

        plan = getattr(self, "account_plan_view", None)
        if plan is None or not plan.objectives:
            self.notify("No objective yet: n adds one", timeout=3)
            return
        self.app.push_screen(objective_update_form(plan), self._plan_saved)

    def _plan_saved(self, result) -> None:
        if result is not None:
            self._load_account_plan()

    def _focus_tab(self) -> None:
        focus = {
            "team": "#team-table",
            "contacts": "#org",
            "pipeline": "#deal-table",
            "plan": "#plan-table",
            "wallet": "#wallet-table",
            # The whole tab scrolls (signals, complaints, scores, the class and tier path):
            # its list of complaints takes the keys only when a complaint is to be picked.
            "health": "#health-body",
            "history": "#history-table",
        }
        if self.tab in focus:
            self.query_one(focus[self.tab]).focus(scroll_visible=False)
        else:
            self.query_one(TabStrip).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = ACTION_TABS.get(action)
        if tabs is None:
            return True
        if self.tab not in tabs:
            return False
        archived = self.workspace is not None and self.workspace.detail.account.archived_at
        if action == "archive_account":
            return not archived
        if action == "restore_account":
            return bool(archived)
        if action == "update_objective":  # shown dimmed until there is an objective
            plan = getattr(self, "account_plan_view", None)
            return True if plan is not None and plan.objectives else None
        return True

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
        if self.workspace is not None:
            self._fill(pane)

    @on(Input.Submitted, ".filter")
    def _filter_done(self) -> None:
        self._focus_tab()

    # --- edits ----------------------------------------------------------------------------------

    def _after_save(self, result: object) -> None:
        if result is not None:
            self.notify("Saved", timeout=2)
            self.action_refresh()

    def action_edit_account(self) -> None:
        forms.edit_account(self, self.account_id, self._after_save)

    def action_archive_account(self) -> None:
        name = self.workspace.detail.account.name if self.workspace else "this account"
        self._confirm(
            f"Archive {name}? It leaves the lists; its history stays and it can be restored "
            "from the archive (a on the accounts screen).",
            lambda session: account_edit.archive_account(session, self.account_id, self.kam.user),
            "Archived",
            yes="Archive",
        )

    def action_restore_account(self) -> None:
        account_id, user = self.account_id, self.kam.user
        self.load(
            lambda session: account_edit.restore_account(session, account_id, user),
            lambda _: self._after_save("restored"),
            group="write",
            write=True,
            classified=False,
        )

    def _confirm(self, question: str, write, done: str, *, yes: str) -> None:
        def answered(sure: bool | None) -> None:
            if sure:
                self.load(
                    write,
                    lambda _: (self.notify(done, timeout=2), self.action_refresh()),
                    group="write",
                    write=True,
                    classified=False,
                )

        self.app.push_screen(ConfirmScreen(question, yes=yes, no="Cancel"), answered)

    def _selected_role(self) -> uuid.UUID | None:
        tables = self.query("#team-table")
        table = tables.first(DataTable) if tables else None
        if table is None or not table.row_count:
            self.notify("Nobody on the team yet: n adds a role", timeout=3)
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return uuid.UUID(key) if key else None

    def action_add_role(self) -> None:
        forms.add_to_team(self, self.account_id, self._after_save)

    def action_new_person(self) -> None:
        forms.new_member(self, self._person_added)

    def _person_added(self, member: object) -> None:
        if member is not None:
            self.notify(f"{member.name} can now join account teams (n)", timeout=3)  # type: ignore[attr-defined]

    def action_edit_role(self) -> None:
        membership = self._selected_role()
        if membership is not None:
            forms.edit_membership(self, membership, self._after_save)

    def action_remove_role(self) -> None:
        membership = self._selected_role()
        if membership is None or self.workspace is None:
            return
        row = next(r for r in self.workspace.team if r.id == membership)
        user = self.kam.user
        self._confirm(
            f"Take {row.member} off this account's team as {views.words(row.role)}?",
            lambda session: team.remove_from_team(session, membership, user),
            "Removed from the team",
            yes="Remove",
        )

    def _contact_or_hint(self) -> ContactRow | None:
        contact = self.selected_contact()
        if contact is None:
            self.notify("No contact selected: n adds one", timeout=3)
        return contact

    def action_new_contact(self) -> None:
        selected = self.selected_contact()
        forms.new_contact(
            self,
            self.account_id,
            self._contact_saved,
            reports_to=selected.id if selected and selected.current else None,
        )

    def _contact_saved(self, contact: object) -> None:
        if contact is not None:
            self.wanted_contact = contact.id  # type: ignore[attr-defined]
        self._after_save(contact)

    def action_edit_contact(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            forms.edit_contact(self, self.account_id, contact.id, self._contact_saved)

    def action_remove_contact(self) -> None:
        contact = self._contact_or_hint()
        if contact is None:
            return
        user = self.kam.user
        self._confirm(
            f"Remove {contact.name} for good? Someone who moved on should rather get a "
            "'left the company' date (e), which keeps them on the map.",
            lambda session: contacts.remove_contact(session, contact.id, user),
            "Contact removed",
            yes="Remove",
        )

    def action_remove_need(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            self.wanted_contact = contact.id
            forms.remove_need(self, contact, self._after_save)

    def action_add_need(self) -> None:
        contact = self._contact_or_hint()
        if contact is not None:
            self.wanted_contact = contact.id
            forms.add_need(self, contact, self._after_save)

    # --- pipeline tab ----------------------------------------------------------------------------

    def _deal_or_hint(self) -> DealRow | None:
        deal = self.selected_deal()
        if deal is None:
            self.notify("No deal selected: n adds one", timeout=3)
        return deal

    def _deal_saved(self, deal: object) -> None:
        if deal is not None:
            self.wanted_deal = deal.id  # type: ignore[attr-defined]  # a deal or a Moved
        self._after_save(deal)

    def action_new_deal(self) -> None:
        name = self.workspace.detail.account.name if self.workspace else ""
        owner = self.workspace.detail.account.owner_id if self.workspace else None
        deal_forms.new_deal(
            self, self.account_id, self._deal_saved, account_name=name, owner_id=owner
        )

    def action_edit_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is not None:
            deal_forms.edit_deal(self, deal.id, self._deal_saved)

    def action_win_deal(self) -> None:
        self._close_deal(won=True)

    def action_lose_deal(self) -> None:
        self._close_deal(won=False)

    def _close_deal(self, *, won: bool) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        if not deal.open:
            self.notify(f"{deal.title} is {deal.stage.value} already", severity="warning")
            return
        name = self.workspace.detail.account.name if self.workspace else ""
        deal_forms.close_deal(self, deal.id, deal.title, name, won, self._deal_saved)

    def action_move_deal(self, step: int) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        user, today = self.kam.user, self.kam.today
        self.wanted_deal = deal.id
        self.load(
            lambda session: deals.move_deal(session, deal.id, step, user, today),
            lambda moved: (
                self.notify(f"{moved.title} → {stage_words(moved.stage)}", timeout=2),
                self.action_refresh(),
            ),
            group="write",
            write=True,
            classified=False,
        )

    def action_remove_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        user = self.kam.user
        self._confirm(
            f"Remove the deal {deal.title} for good? A deal that did not happen is rather "
            "marked lost (L), which keeps it in the win/loss figures.",
            lambda session: deals.remove_deal(session, deal.id, user),
            "Deal removed",
            yes="Remove",
        )

    # --- plan tab ------------------------------------------------------------------------------

    def _item_or_hint(self) -> plans.PlanRow | None:
        item = self.selected_item()
        if item is None:
            self.notify("No plan item selected: n adds one, a applies a policy", timeout=3)
        return item

    def action_new_item(self) -> None:
        owner = self.workspace.detail.account.owner_id if self.workspace else None
        plan_forms.new_item(self, self.account_id, owner, self._after_save)

    def action_edit_item(self) -> None:
        item = self._item_or_hint()
        if item is not None:
            plan_forms.edit_item(self, self.account_id, item.id, self._after_save)

    def action_remove_item(self) -> None:
        item = self._item_or_hint()
        if item is None:
            return
        user = self.kam.user
        self._confirm(
            f"Remove the plan item {plans.words(item.kind)} ({item.cadence})? To pause it, "
            "edit it and clear Active instead.",
            lambda session: plans.remove_item(session, item.id, user),
            "Plan item removed",
            yes="Remove",
        )

    def action_log_activity(self) -> None:
        item = self.selected_item()
        name = self.workspace.detail.account.name if self.workspace else ""
        plan_forms.log_activity(
            self,
            self.account_id,
            self._after_save,
            account_name=name,
            item=item if item is not None and item.active else None,
        )

    def action_snooze_item(self) -> None:
        item = self._item_or_hint()
        if item is not None:
            label = f"{plans.words(item.kind)} ({item.cadence})"
            plan_forms.snooze(self, item.id, label, self._after_save)

    def action_apply_policy(self) -> None:
        offer = self.workspace.policy_offer if self.workspace else None
        if offer is None:
            self.notify("The plan follows the account's policy already", timeout=3)
            return
        plan_forms.apply_policy(
            self,
            self.account_id,
            self.workspace.detail.account.name if self.workspace else "this account",
            offer,
            lambda made: (
                self.notify(f"{plans.words(offer).capitalize()} policy: {len(made)} new items"),
                self.action_refresh(),
            ),
        )

    # --- wallet tab ---------------------------------------------------------------------------

    def action_new_estimate(self) -> None:
        picked = self._wallet_cursor()
        preset: dict[str, str] = {}
        if picked is not None:
            category, period = picked
            if category != insight_views.TOTAL:
                preset["category"] = category
            latest = (
                self.workspace.wallet.latest if self.workspace and self.workspace.wallet else None
            )
            preset["period"] = str(period or latest or self.kam.today.year)
        else:
            preset["period"] = str(self.kam.today.year)
        insight_forms.new_estimate(self, self.account_id, preset, self._after_save)

    def _estimate_or_hint(self):
        picked = self._wallet_cursor()
        ws = self.workspace
        cell = None
        if picked is not None and picked[1] is not None and ws is not None and ws.wallet:
            cell = ws.wallet.cell(picked[0], picked[1])  # type: ignore[arg-type]
        if cell is None or cell.estimate_id is None:
            self.notify("Pick a cell with an estimate (n adds one)", timeout=3)
            return None
        return cell

    def action_edit_estimate(self) -> None:
        cell = self._estimate_or_hint()
        if cell is not None:
            insight_forms.edit_estimate(self, cell.estimate_id, self._after_save)

    def action_remove_estimate(self) -> None:
        cell = self._estimate_or_hint()
        if cell is None:
            return
        estimate_id = cell.estimate_id
        self._confirm(
            f"Remove the estimate of {cell.category} in {cell.period.label} and its competitors?",
            lambda session: share_of_wallet.remove_estimate(session, estimate_id),
            "Estimate removed",
            yes="Remove",
        )

    # --- health tab ---------------------------------------------------------------------------

    def action_new_complaint(self) -> None:
        insight_forms.new_complaint(self, self.account_id, self._after_save)

    def action_close_complaint(self) -> None:
        ws = self.workspace
        table = self.query("#complaint-table")
        if ws is None or not table or not any(c.open for c in ws.complaints):
            self.notify("No open complaint (n records one)", timeout=3)
            return
        t = table.first(DataTable)
        if self.focused is not t:
            # First x: the list of complaints takes the keys, to pick the one resolved.
            t.focus()
            self.notify("↑↓ pick the complaint, x resolves it, esc goes back", timeout=4)
            return
        key = t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        row = next((c for c in ws.complaints if str(c.id) == key), None)
        if row is None or not row.open:
            self.notify("That complaint is resolved already: pick an open one", timeout=3)
            return
        insight_forms.close_complaint(self, row.id, self._after_save)

    def action_new_score(self) -> None:
        insight_forms.new_score(self, self.account_id, self._after_save)


MOODS = {"positive": "green", "negative": "red"}


def _filter_box(pane: str, placeholder: str) -> Input:
    return Input(placeholder=placeholder, id=f"filter-{pane}", classes="filter", compact=True)


def _add_branch(parent, node: contacts.OrgNode, wanted: uuid.UUID | None):
    """Add a contact and the people under them; returns the tree node of `wanted`."""
    label = views.contact_label(node.contact)
    if node.reports:
        branch = parent.add(label, data=node.contact, expand=True)
    else:
        branch = parent.add_leaf(label, data=node.contact)
    found = branch if node.contact.id == wanted else None
    for child in node.reports:
        found = _add_branch(branch, child, wanted) or found
    return found


def _matching_with_managers(people: list[ContactRow], text: str) -> list[ContactRow]:
    """Contacts matching `text`, with the managers above them so the tree keeps its shape."""
    by_id = {c.id: c for c in people}
    keep: set[uuid.UUID] = set()
    for c in people:
        fields = (c.name, c.title or "", c.department or "", views.words(c.buying_role))
        if any(text in f.lower() for f in fields):
            current: ContactRow | None = c
            while current is not None and current.id not in keep:
                keep.add(current.id)
                current = by_id.get(current.reports_to_id) if current.reports_to_id else None
    return [c for c in people if c.id in keep]


__all__ = ["AccountScreen"]
