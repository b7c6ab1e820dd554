"""Choosing the region the dashboard, the pipeline, the review queue and the at-risk list
show: a regional manager's own, or the whole portfolio."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kam.screens.base import KamModal
from kam.services.accounts.regions import RegionRow
from kam.services.values.formatting import fit, money_short

WHOLE = ""  # the option that shows the whole portfolio


class RegionScreen(KamModal):
    """Enter takes the highlighted region or territory (or the whole portfolio); escape
    keeps what was shown. Dismisses with the name chosen, WHOLE, or None."""

    CHANGES_DATA = False
    BINDINGS = [Binding("escape", "dismiss_none", "Back", show=False)]
    DEFAULT_CSS = """
    RegionScreen { align: center middle; }
    #region-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #region-title { text-style: bold; height: auto; margin-bottom: 1; }
    #region-list { height: auto; max-height: 20; }
    #region-hint, #region-head { color: $text-muted; height: auto; }
    """

    def __init__(self, rows: list[RegionRow], current: str | None) -> None:
        super().__init__()
        self.rows, self.current = rows, current

    def compose(self) -> ComposeResult:
        options = [Option(Text("Whole portfolio", "bold"), id="\0")]
        for r in self.rows:
            name = ("  " + r.name) if r.region else r.name
            line = Text(fit(name, 18))
            line.append(f" {fit(r.owner or '–', 14)}", "dim" if not r.owner else "")
            line.append(f" {r.accounts:>8,} {r.key_accounts:>6,} {money_short(r.revenue_minor):>8}")
            options.append(Option(line, id=r.name))
        with Vertical(id="region-box"):
            yield Static("Show the figures of", id="region-title")
            yield Static(
                f"  {fit('Region / territory', 18)} {fit('Owner', 14)} {'Accounts':>8} "
                f"{'Key':>6} {'Revenue':>8}",
                id="region-head",
            )
            yield OptionList(*options, id="region-list")
            hint = (
                "A region's figures include its territories'. enter: show · esc: back"
                if self.rows
                else "No regions yet: give accounts a region in their form, by import, or "
                "with `kam region add`. esc: back"
            )
            yield Static(hint, id="region-hint")

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        names = [r.name for r in self.rows]
        listing.highlighted = names.index(self.current) + 1 if self.current in names else 0
        listing.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        ident = event.option.id
        self.dismiss(WHOLE if ident == "\0" else ident)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
