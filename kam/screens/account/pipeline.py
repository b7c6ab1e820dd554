"""The Pipeline tab: the account's deals, open first, each with its card; moving, winning
and losing them."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.dialogs import deals as deal_forms
from kam.screens import deal_views
from kam.screens.account.tab import AccountTab, filter_box
from kam.services.pipeline import deals
from kam.services.pipeline.filters import DealRow
from kam.services.pipeline.stages import stage_words
from kam.services.unit import Intent
from kam.services.values.formatting import money

DEAL_COLUMNS = ("Stage", "Deal", "Amount", "Prob", "Weighted", "Close", "Days", "Owner", "")
DEAL_COLUMNS_NARROW = tuple(c for c in DEAL_COLUMNS if c != "Weighted")
NARROW = 100  # columns below which the weighted amount gives its room to the owner


class PipelineTab(AccountTab):
    PANE, TITLE, KEY = "pipeline", "Pipeline", "p"
    KEYS = [
        Binding("n", "new_deal", "New deal"),
        Binding("e", "edit_deal", "Edit deal"),
        Binding("d", "remove_deal", "Remove"),
        Binding("shift+right", "move_deal(1)", "Stage →"),
        Binding("shift+left", "move_deal(-1)", "← Stage"),
        Binding("W", "win_deal", "Won"),
        Binding("L", "lose_deal", "Lost"),
    ]
    FOCUS = "#deal-table"
    FILTERS = True

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="deal-summary"),
            filter_box("pipeline", "Filter deals…"),
            Horizontal(
                DataTable(id="deal-table", cursor_type="row", zebra_stripes=True),
                Static("", id="deal-card", classes="panel"),
                id="deals-body",
            ),
        ]

    def prepare(self) -> None:
        self.query_one("#deal-table", DataTable).add_columns(*DEAL_COLUMNS)

    def fill(self) -> None:
        ws = self.workspace
        narrow = self.account.size.width < NARROW
        summary = deal_views.totals(ws.forecast.total, ws.forecast.won_period, short=narrow)
        if not ws.deals:
            summary = Text("No deals yet: n adds one", style="dim")
        self.query_one("#deal-summary", Static).update(summary)
        table = self.query_one("#deal-table", DataTable)
        selected = self.selected()
        # On a narrow terminal the weighted amount (amount x probability, in the totals and
        # on the deal's card) gives its room to the owner.
        columns = DEAL_COLUMNS_NARROW if narrow else DEAL_COLUMNS
        if [str(c.label) for c in table.columns.values()] != list(columns):
            table.clear(columns=True)
            table.add_columns(*columns)
        else:
            table.clear()
        text = self.filter_text
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
        wanted = self.account.wanted_deal or (selected.id if selected else None)
        self.account.wanted_deal = None
        listed = {str(row.value) for row in table.rows}
        if wanted is not None and str(wanted) in listed:  # not removed nor filtered out
            table.move_cursor(row=table.get_row_index(str(wanted)))
        self._show_card()

    def selected(self) -> DealRow | None:
        table = self.query_one("#deal-table", DataTable)
        ws = self.account.workspace
        if ws is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((d for d in ws.deals if str(d.id) == key), None)

    @on(DataTable.RowHighlighted, "#deal-table")
    def _show_card(self) -> None:
        deal = self.selected()
        ws = self.account.workspace
        path = ws.stage_paths.get(deal.id, []) if deal and ws else []
        self.panel("#deal-card", deal_views.deal_card(deal, path), "Deal")

    # --- keys ---------------------------------------------------------------------------------

    def _deal_or_hint(self) -> DealRow | None:
        deal = self.selected()
        if deal is None:
            self.notify("No deal selected: n adds one", timeout=3)
        return deal

    def _saved(self, deal: object) -> None:
        if deal is not None:
            self.account.wanted_deal = deal.id  # type: ignore[attr-defined]  # a deal or a Moved
        self.account.after_save(deal)

    def action_new_deal(self) -> None:
        account = self.account.workspace.detail.account if self.account.workspace else None
        deal_forms.new_deal(
            self.account,
            self.account.account_id,
            self._saved,
            account_name=account.name if account else "",
            owner_id=account.owner_id if account else None,
        )

    def action_edit_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is not None:
            deal_forms.edit_deal(self.account, deal.id, self._saved)

    def action_win_deal(self) -> None:
        self._close(won=True)

    def action_lose_deal(self) -> None:
        self._close(won=False)

    def _close(self, *, won: bool) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        if not deal.open:
            self.notify(f"{deal.title} is {deal.stage.value} already", severity="warning")
            return
        ws = self.account.workspace
        name = ws.detail.account.name if ws else ""
        deal_forms.close_deal(self.account, deal.id, deal.title, name, won, self._saved)

    def action_move_deal(self, step: int) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        account = self.account
        account.wanted_deal = deal.id
        account.load(
            Intent(deals.move_deal, deal.id, step, account.kam.user, account.kam.as_of),
            lambda moved: (
                self.notify(f"{moved.title} → {stage_words(moved.stage)}", timeout=2),
                account.action_refresh(),
            ),
            group="write",
            classified=False,
        )

    def action_remove_deal(self) -> None:
        deal = self._deal_or_hint()
        if deal is None:
            return
        self.account.confirm(
            f"Remove the deal {deal.title} for good? A deal that did not happen is rather "
            "marked lost (L), which keeps it in the win/loss figures.",
            Intent(deals.remove_deal, deal.id, self.account.kam.user),
            "Deal removed",
            yes="Remove",
        )
