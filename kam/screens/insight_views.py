"""How an account's share of wallet and health are drawn (Rich renderables and table cells)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kam.services.accounts.listing import TierMove
from kam.services.classify.segments import SEGMENT_WORDS, Behaviour
from kam.services.health.feedback import ComplaintRow, SurveyRow
from kam.services.health.model import Health
from kam.services.values.formatting import money, money_short, percent
from kam.services.wallet import share_of_wallet
from kam.services.wallet.share_of_wallet import WalletCell, WalletView
from kam.widgets.badges import BAND_STYLES, health_badge

WHITESPACE = "magenta"
LOST = "bold red"
BEHIND = "yellow"
TOTAL = "All estimated"


def period_title(view: WalletView, period) -> str:
    return period.label + ("*" if view.partial(period) else "")


def wallet_cell(cell: WalletCell | None, view: WalletView) -> Text:
    """`34% +12%`: our share and our growth; whitespace, lost share and falling behind in
    colour."""
    if cell is None:
        return Text("")
    if cell.spend_minor is None:
        return Text(f"ours {money_short(cell.run_rate_minor)}" if cell.ours_minor else "", "dim")
    if cell.whitespace:
        return Text(f"whitespace {money_short(cell.spend_minor)}", WHITESPACE)
    text = Text(percent(cell.share, 0))
    if cell.our_growth is not None:
        text.append(f" {share_of_wallet.signed_percent(cell.our_growth)}")
    if cell.lost_share(view.settings):
        text.stylize(LOST)
    elif cell.behind(view.settings):
        text.stylize(BEHIND)
    return text


def wallet_rows(view: WalletView) -> list[tuple[str, list[Text]]]:
    """(category, one cell per period), the totals last."""
    rows = [
        (category, [wallet_cell(view.cell(category, p), view) for p in view.periods])
        for category in view.categories
    ]
    total = [wallet_cell(view.totals[p], view) for p in view.periods]
    for cell in total:
        cell.stylize("bold")
    return [*rows, (TOTAL, total)]


def wallet_detail(view: WalletView, category: str) -> RenderableType:
    """One category (or the totals) period by period, with competitors and what stands out."""
    table = Table(expand=True, box=None, pad_edge=False)
    for label, justify in (("Period", "left"), ("Their spend", "right"), ("Ours", "right"),
                           ("Share", "right"), ("Change", "right"), ("We grow", "right"),
                           ("They grow", "right")):  # fmt: skip
        table.add_column(label, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    notes: list[Text] = []
    for period in view.periods:
        cell = view.totals[period] if category == TOTAL else view.cell(category, period)
        if cell is None:
            continue
        table.add_row(
            period_title(view, period),
            money(cell.spend_minor) if cell.spend_minor is not None else "no estimate",
            money(cell.run_rate_minor),
            percent(cell.share, 0),
            share_of_wallet.points(cell.share_change),
            share_of_wallet.signed_percent(cell.our_growth),
            share_of_wallet.signed_percent(cell.customer_growth),
        )
        if cell.competitors:
            notes.append(
                Text(f"{period.label} competitors: ")
                + Text(share_of_wallet.competitors_text(cell.competitors))
            )
        for note in share_of_wallet.describe_cell(cell, view.settings):
            style = WHITESPACE if note.startswith("whitespace") else LOST
            if note.startswith("falling behind"):
                style = BEHIND
            if note.startswith("no estimate"):
                style = "dim"
            notes.append(Text(f"{period.label}: {note}", style))
    parts: list[RenderableType] = [Text(category, style="bold"), table, *notes]
    if any(view.partial(p) for p in view.periods):
        parts.append(
            Text(
                f"* still running: our revenue to {view.as_of} counted at its run rate for the "
                "whole period",
                "dim",
            )
        )
    return Group(*parts)


def wallet_empty() -> Text:
    return Text(
        "No estimates of this customer's spend yet. n adds one: a category, a year or quarter, "
        "what they spend in it with all suppliers, and the competitors' shares. Share of "
        "wallet, growth against theirs and whitespace follow from our revenue.",
        "dim",
    )


def health_summary(health: Health | None, behaviour: Behaviour | None, as_of) -> RenderableType:
    lines = Text()
    if health is None:
        lines.append("Health is watched for key accounts and those that were as valuable.", "dim")
    else:
        lines.append("Health ")
        lines.append_text(health_badge(health.score, health.band))
        if health.change == 0:
            lines.append("  unchanged in 4 weeks", "dim")
        elif health.change is not None:
            arrow = "▼" if health.change < 0 else "▲"
            lines.append(f"  {arrow} {health.change:+d} in 4 weeks")
        if health.capped_by:
            lines.append(
                f"\nHeld at {health.band.value} (weighted mean {health.weighted_mean}): "
                f"{health.capped_by}",
                BAND_STYLES[health.band],
            )
    if behaviour is not None:
        lines.append("\nSegment ")
        lines.append(SEGMENT_WORDS[behaviour.segment], "bold")
        recency = behaviour.recency_days(as_of)
        lines.append(
            f"\nRFM {behaviour.rfm} · last purchase "
            f"{f'{recency} days ago' if recency is not None else 'never'} · "
            f"{behaviour.frequency} purchase{'' if behaviour.frequency == 1 else 's'}, "
            f"{money(behaviour.monetary_minor)} in the window"
            + (f" · order {money(behaviour.aov_minor)}" if behaviour.aov_minor else "")
            + f" · loyalty {behaviour.loyalty:.2f}",
            "dim",
        )
        lines.append(f"\n{behaviour.group_words}", "dim")
    return lines


def signals_table(health: Health) -> Table:
    """Every signal, the costliest first: weight, its own score and the evidence (wrapped, so
    nothing is cut on a narrow terminal)."""
    table = Table(expand=True, box=None, pad_edge=False)
    table.add_column("Signal", no_wrap=True)
    table.add_column("Weight", justify="right", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Evidence", ratio=1)
    for s in sorted(
        health.signals, key=lambda signal: (signal.score is None, -signal.lost, signal.key)
    ):
        if s.score is None:
            score = Text("n/a", "dim")
        else:
            style = "red" if s.score < 40 else "yellow" if s.score < 70 else "green"
            score = Text(str(s.score), style)
        table.add_row(
            s.title, str(s.weight), score, Text(s.evidence, "dim" if s.score is None else "")
        )
    return table


def complaint_cells(row: ComplaintRow) -> tuple[Text, ...]:
    style = {"high": "bold red", "medium": "yellow", "low": ""}[row.severity.value]
    return (
        Text(str(row.opened_on)),
        Text(row.severity.value, style if row.open else "dim"),
        Text(
            f"resolved {row.closed_on}" if row.closed_on else "open",
            "dim" if row.closed_on else "bold",
        ),
        Text((row.summary.splitlines() or [""])[0]),
    )


def surveys_line(surveys: list[SurveyRow]) -> Text:
    if not surveys:
        return Text("No satisfaction score yet: s records one.", "dim")
    text = Text("Satisfaction: ")
    for i, s in enumerate(surveys[:6]):
        if i:
            text.append(" · ")
        style = "red" if s.score <= 4 else "yellow" if s.score <= 6 else "green"
        text.append(f"{s.score}/10", style)
        text.append(f" {s.surveyed_on}", "dim")
    return text


def tier_path(moves: list[TierMove]) -> RenderableType:
    if not moves:
        return Text("No class or tier moves recorded yet.", "dim")
    table = Table(expand=True, box=None, pad_edge=False, show_header=False)
    table.add_column("When", no_wrap=True)
    table.add_column("Move", no_wrap=True)
    table.add_column("Why", ratio=1)
    for move in moves:
        label = "class" if move.field == "account_class" else "tier"
        table.add_row(
            move.changed_at,
            f"{label} {move.from_value or '—'} → {move.to_value}",
            Text(move.reason, "dim"),
        )
    return table
