"""The Wallet tab: share of wallet and our growth per category and period, whitespace, and
the estimates behind them."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from kam.dialogs import insight as insight_forms
from kam.screens import insight_views
from kam.screens.account.tab import AccountTab
from kam.services.unit import Intent
from kam.services.wallet import share_of_wallet


class WalletTab(AccountTab):
    PANE, TITLE, KEY = "wallet", "Wallet", "w"
    KEYS = [
        Binding("n", "new_estimate", "New estimate"),
        Binding("e", "edit_estimate", "Edit estimate"),
        Binding("d", "remove_estimate", "Remove"),
    ]
    FOCUS = "#wallet-table"
    SHOWS_INSIGHT = True

    def widgets(self) -> list[Widget]:
        return [
            Static("", id="wallet-note"),
            DataTable(id="wallet-table", cursor_type="cell", zebra_stripes=True),
            VerticalScroll(Static("", id="wallet-detail"), id="wallet-detail-box"),
        ]

    def fill(self) -> None:
        view = self.workspace.wallet
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
        self._show_detail()

    def cursor(self) -> tuple[str, object | None] | None:
        """(category, period) under the cursor; the period is None on the category column."""
        ws = self.account.workspace
        if ws is None or ws.wallet is None or not ws.wallet.periods:
            return None
        table = self.query_one("#wallet-table", DataTable)
        if not table.row_count:
            return None
        keys = table.coordinate_to_cell_key(table.cursor_coordinate)
        category = str(keys.row_key.value)
        column = str(keys.column_key.value)
        period = next((p for p in ws.wallet.periods if p.label == column), None)
        return category, period

    @on(DataTable.CellHighlighted, "#wallet-table")
    def _show_detail(self) -> None:
        picked = self.cursor()
        ws = self.account.workspace
        if picked is None or ws is None or ws.wallet is None:
            return
        self.query_one("#wallet-detail", Static).update(
            insight_views.wallet_detail(ws.wallet, picked[0])
        )

    # --- keys ---------------------------------------------------------------------------------

    def action_new_estimate(self) -> None:
        account, as_of = self.account, self.account.kam.as_of
        picked = self.cursor()
        preset: dict[str, str] = {}
        if picked is not None:
            category, period = picked
            if category != insight_views.TOTAL:
                preset["category"] = category
            ws = account.workspace
            latest = ws.wallet.latest if ws and ws.wallet else None
            preset["period"] = str(period or latest or as_of.year)
        else:
            preset["period"] = str(as_of.year)
        insight_forms.new_estimate(account, account.account_id, preset, account.after_save)

    def _estimate_or_hint(self):
        picked = self.cursor()
        ws = self.account.workspace
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
            insight_forms.edit_estimate(self.account, cell.estimate_id, self.account.after_save)

    def action_remove_estimate(self) -> None:
        cell = self._estimate_or_hint()
        if cell is None:
            return
        self.account.confirm(
            f"Remove the estimate of {cell.category} in {cell.period.label} and its competitors?",
            Intent(share_of_wallet.remove_estimate, cell.estimate_id),
            "Estimate removed",
            yes="Remove",
        )
