"""How deals and the forecast are drawn, on the pipeline screen and an account's Pipeline tab."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from kam.services.pipeline.deals import StageStep
from kam.services.pipeline.filters import DealRow
from kam.services.pipeline.forecast import ForecastRow
from kam.services.pipeline.stages import stage_words
from kam.services.values.formatting import fit, money, money_short
from kam.widgets.pairs import Pairs

STALE_STYLE = "yellow"
OVERDUE_STYLE = "bold red"


def flags(deal: DealRow) -> Text:
    text = Text()
    if deal.overdue:
        text.append("overdue", OVERDUE_STYLE)
    if deal.stale:
        text.append(" " if text else "")
        text.append("stale", STALE_STYLE)
    return text


def totals(row: ForecastRow, won_period: str, *, short: bool = False, marks: bool = False) -> Text:
    """One line: open deals, amount, weighted, won in the period, forecast, warnings; with
    `marks`, each warning with the mark a narrow board card shows for it (its legend)."""
    cash = money_short if short else money
    text = Text()
    text.append(f"{row.open_deals:,} open", "bold")
    text.append(f" · {cash(row.amount_minor)} · weighted ")
    text.append(cash(row.weighted_minor), "bold")
    text.append(f" · won {won_period} ")
    text.append(cash(row.won_minor), "bold green")
    if not short:  # narrow screens leave it to the forecast view
        text.append(f" · forecast {cash(row.forecast_minor)}")
    if row.stale:
        text.append(f" · {'~ ' if marks else ''}{row.stale:,} stale", STALE_STYLE)
    if row.overdue:
        text.append(f" · {'! ' if marks else ''}{row.overdue:,} overdue", OVERDUE_STYLE)
    return text


def money_tiny(minor: int) -> str:
    """At most three figures: 950, 12k, 796k, 1.4M, 18M."""
    units = minor / 100
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k"), (1, "")):
        if abs(units) >= limit:
            value = units / limit
            return f"{value:.1f}{suffix}" if abs(value) < 10 else f"{value:.0f}{suffix}"
    return "0"


def column_header(title: str, row: ForecastRow, width: int) -> Text:
    """A board column's head in two lines of `width` cells: the stage and its count, then
    the total and the weighted total."""
    count = f"{row.open_deals:,}"
    text = Text(fit(title.upper(), max(1, width - len(count) - 1)), "bold")
    text.append(f" {count}\n", "dim")
    total, weight = money_short(row.amount_minor), money_short(row.weighted_minor)
    if len(total) + len(weight) + 5 > width:
        total, weight = money_tiny(row.amount_minor), money_tiny(row.weighted_minor)
    text.append(total)
    text.append(" · w ", "dim")
    text.append(weight, "bold")
    return text


def deal_card(deal: DealRow | None, path: list[StageStep]) -> RenderableType:
    if deal is None:
        return Text("No deal selected: n adds one", style="dim")
    grid = Pairs()
    grid.add_row("Deal", Text(deal.title, style="bold"))
    grid.add_row("Account", deal.account)
    grid.add_row("Stage", f"{stage_words(deal.stage)} · {deal.days_in_stage} days")
    probability = f"{deal.probability}%" + (" (set by hand)" if deal.probability_overridden else "")
    grid.add_row("Amount", f"{money(deal.amount_minor)} at {probability}")
    if deal.open:
        grid.add_row("Weighted", money(deal.weighted_minor))
    if deal.category:
        grid.add_row("Category", deal.category)
    if deal.closed_on:
        grid.add_row("Closed", f"{deal.closed_on} · {deal.close_reason or ''}")
    elif deal.expected_close:
        close = Text(str(deal.expected_close))
        if deal.overdue:
            close.append("  overdue", OVERDUE_STYLE)
        grid.add_row("Expected close", close)
    grid.add_row("Owner", deal.owner or Text("nobody", style="yellow"))
    if deal.next_step:
        due = f" (by {deal.next_step_due})" if deal.next_step_due else ""
        grid.add_row("Next step", deal.next_step + due)
    if deal.last_activity:
        grid.add_row("Last activity", str(deal.last_activity))
    if deal.stale:
        grid.add_row("", Text("stale: no move or activity for too long", STALE_STYLE))
    steps = Text()
    for step in path:
        when = step.changed_at.astimezone().strftime("%Y-%m-%d")
        steps.append(f"{when} ", "dim")
        steps.append(stage_words(step.to_stage))
        steps.append(f"  {step.changed_by or ''}\n", "dim")
    steps.rstrip()
    return Group(grid, Text("\nStage path", style="bold"), steps if steps.plain else Text("—"))
