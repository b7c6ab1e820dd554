"""The Plan tab: the account's contact plan, its activities, and the policy it follows."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.dialogs import plans as plan_forms
from kam.screens.account.tab import AccountTab
from kam.services.contact_plan import plan_items
from kam.services.unit import Intent
from kam.services.values.formatting import words

PLAN_COLUMNS = ("Due", "Kind", "Cadence", "With", "Owner", "From")
ACTIVITY_COLUMNS = ("Date", "Kind", "With", "Our side", "Summary", "Mood")
MOODS = {"positive": "green", "negative": "red"}


class PlanTab(AccountTab):
    PANE, TITLE, KEY = "plan", "Plan", "l"
    KEYS = [
        Binding("l", "log_activity", "Log contact"),
        Binding("n", "new_item", "New item"),
        Binding("e", "edit_item", "Edit item"),
        Binding("d", "remove_item", "Remove"),
        Binding("s", "snooze_item", "Snooze"),
        Binding("a", "apply_policy", "Apply policy"),
    ]
    FOCUS = "#plan-table"

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="plan-summary"),
            Static("Contact plan", classes="section-title"),
            DataTable(id="plan-table", cursor_type="row", zebra_stripes=True),
            Static("Activities, newest first", classes="section-title"),
            DataTable(id="activity-table", cursor_type="row", zebra_stripes=True),
        ]

    def prepare(self) -> None:
        self.query_one("#plan-table", DataTable).add_columns(*PLAN_COLUMNS)
        self.query_one("#activity-table", DataTable).add_columns(*ACTIVITY_COLUMNS)

    def fill(self) -> None:
        ws = self.workspace
        as_of = self.account.kam.as_of
        lines = Text()
        last = ws.last_contact
        lines.append("Last contact: ", "dim")
        if last is None:
            lines.append("none logged yet")
        else:
            ago = (as_of - last).days
            lines.append(f"{last} ({'today' if ago == 0 else f'{ago} days ago'})")
        if ws.silence:
            lines.append(f"\n⚠ {ws.silence}", "yellow")
        if ws.policy_offer:
            followed = sorted({r.policy for r in ws.plan if r.active and r.policy})
            now = (
                f"follows the {', '.join(words(f) for f in followed)} policy"
                if followed
                else "has no policy plan"
            )
            lines.append(
                f"\nThis account {now}; press a to apply the {words(ws.policy_offer)} policy",
                "cyan",
            )
        self.query_one("#plan-summary", Static).update(lines)
        table = self.query_one("#plan-table", DataTable)
        selected = self.selected()
        table.clear()
        for row in ws.plan:
            late = row.active and row.next_due < as_of
            due = Text(str(row.next_due), style="bold red" if late else "")
            if not row.active:
                due = Text("stopped", style="dim")
            table.add_row(
                due,
                words(row.kind),
                row.cadence,
                row.contact or "",
                row.owner or "",
                words(row.policy) if row.policy else (row.note or "by hand"),
                key=str(row.id),
            )
        if selected is not None and str(selected.id) in {str(r.value) for r in table.rows}:
            table.move_cursor(row=table.get_row_index(str(selected.id)))
        log = self.query_one("#activity-table", DataTable)
        log.clear()
        for act in ws.activities:
            log.add_row(
                str(act.occurred_on),
                words(act.kind),
                ", ".join(act.contacts),
                ", ".join(act.members),
                (act.summary.splitlines() or [""])[0],
                Text(act.sentiment.value, style=MOODS.get(act.sentiment.value, "")),
            )

    def selected(self) -> plan_items.PlanRow | None:
        table = self.query_one("#plan-table", DataTable)
        ws = self.account.workspace
        if ws is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in ws.plan if str(r.id) == key), None)

    # --- keys ---------------------------------------------------------------------------------

    def _item_or_hint(self) -> plan_items.PlanRow | None:
        item = self.selected()
        if item is None:
            self.notify("No plan item selected: n adds one, a applies a policy", timeout=3)
        return item

    def _account_name(self) -> str:
        ws = self.account.workspace
        return ws.detail.account.name if ws else ""

    def action_new_item(self) -> None:
        ws, account = self.account.workspace, self.account
        owner = ws.detail.account.owner_id if ws else None
        plan_forms.new_item(account, account.account_id, owner, account.after_save)

    def action_edit_item(self) -> None:
        item = self._item_or_hint()
        if item is not None:
            account = self.account
            plan_forms.edit_item(account, account.account_id, item.id, account.after_save)

    def action_remove_item(self) -> None:
        item = self._item_or_hint()
        if item is None:
            return
        self.account.confirm(
            f"Remove the plan item {words(item.kind)} ({item.cadence})? To pause it, "
            "edit it and clear Active instead.",
            Intent(plan_items.remove_item, item.id, self.account.kam.user),
            "Plan item removed",
            yes="Remove",
        )

    def action_log_activity(self) -> None:
        item = self.selected()
        account = self.account
        plan_forms.log_activity(
            account,
            account.account_id,
            account.after_save,
            account_name=self._account_name(),
            item=item if item is not None and item.active else None,
        )

    def action_snooze_item(self) -> None:
        item = self._item_or_hint()
        if item is not None:
            label = f"{words(item.kind)} ({item.cadence})"
            plan_forms.snooze(self.account, item.id, label, self.account.after_save)

    def action_apply_policy(self) -> None:
        account = self.account
        offer = account.workspace.policy_offer if account.workspace else None
        if offer is None:
            self.notify("The plan follows the account's policy already", timeout=3)
            return
        plan_forms.apply_policy(
            account,
            account.account_id,
            self._account_name() or "this account",
            offer,
            lambda made: (
                self.notify(f"{words(offer).capitalize()} policy: {len(made)} new items"),
                account.action_refresh(),
            ),
        )
