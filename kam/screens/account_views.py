"""How the account screen draws its parts: Rich renderables from the workspace's data."""

from __future__ import annotations

from datetime import date

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from kam.models.enums import Attitude, RelationshipStrength
from kam.services.classify.segments import SEGMENT_WORDS
from kam.services.history.changes import as_words
from kam.services.people.contacts import ContactRow
from kam.services.values.formatting import money, money_short, percent
from kam.services.wallet import revenue as revenue_service
from kam.services.workspace import Workspace
from kam.widgets.badges import STATUS_STYLES, class_badge, health_badge, tier_badge
from kam.widgets.pairs import Pairs

ATTITUDE_STYLES = {
    Attitude.champion: "bold green",
    Attitude.supporter: "green",
    Attitude.neutral: "",
    Attitude.skeptic: "yellow",
    Attitude.opponent: "bold red",
}
STRENGTH_DOTS = {s: i for i, s in enumerate(RelationshipStrength)}  # none 0 .. trusted 4


def words(value: object) -> str:
    return as_words(value) or "—"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def profile(ws: Workspace) -> Pairs:
    account = ws.detail.account
    grid = Pairs()
    grid.add_row("Account", Text(account.name, style="bold"))
    if account.parent_id is not None and ws.group is not None:
        parent = next((m for m in ws.group.members if m.id == account.parent_id), None)
        if parent is not None:
            grid.add_row("Part of", parent.name)
    for label, value in [
        ("Industry", account.industry),
        ("Region", ws.detail.region),
        ("Owner", ws.detail.owner),
        ("Stage", account.relationship_stage),
        ("Horizon", account.relationship_horizon),
        ("Type", account.relationship_type),
        ("Buys on", account.buying_factor),
        ("Customer since", account.customer_since),
    ]:
        grid.add_row(label, words(value))
    if account.annual_revenue_minor is not None:  # their own size, not what they buy from us
        grid.add_row("Their revenue", f"{money_short(account.annual_revenue_minor)} a year")
    status = Text(words(account.status), style=STATUS_STYLES[account.status])
    if account.archived_at is not None:
        status.append(f"  archived {account.archived_at:%Y-%m-%d}", "bold red")
    grid.add_row("Status", status)
    flags = [
        n for n, on in (("strategic", account.strategic), ("emerging", account.emerging)) if on
    ]
    grid.add_row("Flags", ", ".join(flags) or "—")
    if account.notes:
        grid.add_row("Notes", account.notes)
    return grid


def group_tree(ws: Workspace) -> RenderableType:
    """The group the account belongs to, from the top: each member's class, tier, revenue,
    and what it brings with the members under it."""
    if ws.group is None:
        return ""
    window = ws.settings.window
    table = Table(box=None, pad_edge=False, show_edge=False)  # figures near their names
    table.add_column("Member", overflow="fold")
    table.add_column("Class", no_wrap=True)
    table.add_column("Tier", no_wrap=True)
    table.add_column(f"Own {window}", justify="right", no_wrap=True)
    table.add_column("With members", justify="right", no_wrap=True)
    here = ws.detail.account.id
    for m in ws.group.members:
        name = Text("  " * max(0, m.depth - 1) + ("└ " if m.depth else ""), style="dim")
        name.append(m.name, style="bold reverse" if m.id == here else "bold" if m.members else "")
        table.add_row(
            name,
            class_badge(m.account_class, False) if m.account_class else "—",
            tier_badge(m.tier, ws.settings.label(m.tier)) if m.tier else "—",
            money_short(m.revenue),
            money_short(m.total) if m.members else "",
        )
    top = ws.group.top
    count = len(ws.group.members)
    return Group(
        Text.assemble(
            (top.name, "bold"),
            f": {count} accounts, {money_short(top.total)} in the {window}",
            ("  classified as one: its members take its class and tier", "dim")
            if ws.settings.by_group
            else "",
            style="",
        ),
        table,
    )


def group_rollup(ws: Workspace) -> RenderableType:
    """What the account and its members (or its whole group) bring, buy, might buy; who we
    know there and who serves it; what is overdue; how healthy it is and who pulls it down."""
    r = ws.group_rollup
    if r is None:
        return Text("Reading…", style="dim") if not ws.insight_loaded else ""
    window = ws.settings.window
    grid = Pairs()
    grid.add_row("Accounts", f"{r.name} with {_count(r.accounts - 1, 'member')}")
    revenue = Text(money_short(r.revenue_minor))
    if r.margin is not None:
        revenue.append(f"  margin {percent(r.margin)}", "dim")
    grid.add_row(f"Revenue {window}", revenue)
    grid.add_row(
        "Pipeline",
        f"{_count(r.open_deals, 'open deal')}, {money_short(r.open_minor)}"
        f" (weighted {money_short(r.weighted_minor)})"
        if r.open_deals
        else "no open deals",
    )
    if r.wallet is not None and r.wallet.latest is not None:
        last = r.wallet.latest
        total = r.wallet.totals[last]
        line = Text(
            f"{last.label}: spend {money_short(total.spend_minor or 0)},"
            f" ours {money_short(total.run_rate_minor)}"
        )
        if total.share is not None:
            line.append(f" ({percent(total.share, 0)})")
        white = r.wallet.whitespace
        if white:
            line.append(f"\nnothing sold in {', '.join(white)}", "yellow")
        grid.add_row("Wallet", line)
    grid.add_row(
        "Contacts",
        f"{r.contacts} current, {r.known} known well"
        + (f"; nobody known at {_count(r.unreached, 'member')}" if r.unreached else ""),
    )
    deciders = Text()
    for p in r.deciders:
        if deciders:
            deciders.append("\n")
        deciders.append(p.name, "bold" if STRENGTH_DOTS[p.strength] >= 2 else "")
        deciders.append(f" {p.title or words(p.role)}, {p.account} · {words(p.strength)}", "dim")
    if r.deciders_count > len(r.deciders):
        deciders.append(f"\n… and {r.deciders_count - len(r.deciders)} more", "dim")
    grid.add_row("Decision makers", deciders if r.deciders else Text("none known", "yellow"))
    team = Text()
    for person in r.team:
        if team:
            team.append("\n")
        team.append(person.name)
        roles = ", ".join(words(role) for role in person.roles)
        team.append(f" on {_count(person.accounts, 'account')} · {roles}", "dim")
    if r.team_count > len(r.team):
        team.append(f"\n… and {r.team_count - len(r.team)} more", "dim")
    grid.add_row("Our team", team if r.team else Text("nobody named", "yellow"))
    grid.add_row(
        "Overdue",
        Text(
            f"{_count(r.overdue_items, 'planned contact')} at"
            f" {_count(r.overdue_accounts, 'account')}",
            "yellow",
        )
        if r.overdue_items
        else "nothing planned is overdue",
    )
    health = health_badge(r.health, r.band)
    if r.health is not None:
        health.append(f"  {_count(r.watched, 'member')} watched, weighted by revenue", "dim")
    grid.add_row("Health", health)
    if r.weak:
        down = Text()
        for w in r.weak:
            if down:
                down.append("\n")
            down.append_text(health_badge(w.score, w.band))
            down.append(f" {w.name}")
            if w.why and w.why != w.band.value:
                down.append(f" · {w.why}", "dim")
        grid.add_row("Pulled down by", down)
    return grid


def _via_group(ws: Workspace) -> str | None:
    """The group whose class and tier the account takes (classified by group), by name."""
    c = ws.detail.classification
    if c is None or c.via_group_id is None:
        return None
    top = ws.group.top if ws.group is not None else None
    return top.name if top is not None and top.id == c.via_group_id else "above it"


def standing(ws: Workspace) -> Pairs:
    detail, settings = ws.detail, ws.settings
    account = detail.account
    grid = Pairs()
    c = detail.classification
    if c is not None:
        via = _via_group(ws)
        badge = class_badge(c.account_class, account.strategic)
        if via:
            badge.append(f"  via group {via}", "dim")
        grid.add_row("Class", badge)
        tier = tier_badge(c.tier, settings.label(c.tier))
        if account.tier_override:
            tier.append(f"  set by hand: {account.tier_override_reason or 'no reason'}", "dim")
        grid.add_row("Tier", tier)
        if c.rank:
            rank = f"{c.rank:,}" + (" (its group's)" if via else "")
        elif via:
            rank = "its group has no revenue in the window"
        else:
            rank = "no revenue in the window"
        grid.add_row("Rank", rank)
        grid.add_row(f"Revenue {settings.window}", money(c.revenue_minor))
        grid.add_row(f"Cost {settings.window}", money(c.cost_minor))
        margin = (c.revenue_minor - c.cost_minor) / c.revenue_minor if c.revenue_minor else None
        grid.add_row("Margin", percent(margin) or "—")
        grid.add_row("Share of revenue", percent(c.share, 2))
        grid.add_row("Cumulative share", percent(c.cumulative_share, 2) or "—")
    else:
        grid.add_row("Class", "not classified (archived)")
    lead = next((t.member for t in ws.team if t.role.value == "account_lead"), None)
    if lead is None and detail.owner:  # the owner leads until someone else is named
        grid.add_row("Account lead", Text.assemble(detail.owner, (" (the owner)", "dim")))
    else:
        grid.add_row("Account lead", lead or Text("none", style="yellow"))
    people = len({t.member_id for t in ws.team})
    grid.add_row("Team", f"{_count(len(ws.team), 'role')} · {_count(people, 'person', 'people')}")
    current = sum(1 for p in ws.contacts if p.current)
    grid.add_row(
        "Contacts",
        f"{current}"
        + (f" (+{len(ws.contacts) - current} left)" if current < len(ws.contacts) else ""),
    )
    grid.add_row("Last contact", str(ws.last_contact) if ws.last_contact else "none logged")
    if not ws.insight_loaded:
        grid.add_row("Health", Text("…", style="dim"))
    elif ws.health is not None:
        grid.add_row("Health", health_badge(ws.health.score, ws.health.band))
    if ws.behaviour is not None:
        grid.add_row("Segment", SEGMENT_WORDS[ws.behaviour.segment].split(":")[0])
    deals = ws.forecast.total
    grid.add_row("Open deals", f"{deals.open_deals} · weighted {money(deals.weighted_minor)}")
    overdue = detail.overdue_plan_items
    grid.add_row("Overdue contacts", Text(str(overdue), style="bold red" if overdue else ""))
    for move in detail.tier_moves[:3]:
        grid.add_row(
            "Moved", f"{move.changed_at} {words(move.field)}: {move.from_value} → {move.to_value}"
        )
    return grid


def warnings(ws: Workspace) -> RenderableType:
    found = ws.warnings
    if not found:
        return Text("✓ No relationship warnings", style="green")
    return Group(*(Text(f"⚠ {w}", style="yellow") for w in found))


def revenue_years(ws: Workspace, as_of: date) -> Table:
    table = Table(expand=True, box=None)
    for label, justify in (("Year", "left"), ("Revenue", "right"), ("Cost", "right"),
                           ("Margin", "right"), ("Growth", "right")):  # fmt: skip
        table.add_column(label, justify=justify)  # type: ignore[arg-type]
    rows = revenue_service.revenue_years(ws.detail.revenue_by_year, as_of)
    for row in rows:
        growth = percent(row.growth)
        table.add_row(
            f"{row.year}*" if row.running else str(row.year),
            money(row.revenue_minor),
            money(row.cost_minor),
            percent(row.margin),
            f"{growth}*" if row.running and row.growth is not None else growth,
        )
    if not rows:
        table.add_row("—", "no revenue recorded", "", "", "")
    elif rows[-1].running:
        table.caption = (
            f"* {rows[-1].year} to {as_of:%d %b}: growth at its run rate (so far, scaled to "
            "the whole year)"
        )
        table.caption_justify = "left"
    return table


def revenue_categories(ws: Workspace) -> Table:
    by_category = ws.detail.revenue_by_category
    years = sorted({y for by_year in by_category.values() for y in by_year})
    table = Table(expand=True, box=None)
    table.add_column("Category", no_wrap=True)
    for year in years:
        table.add_column(str(year), justify="right")
    for category in sorted(by_category):
        values = by_category[category]
        table.add_row(category, *(money(values[y]) if y in values else "—" for y in years))
    return table


# --- contacts -------------------------------------------------------------------------------


def strength_dots(strength: RelationshipStrength) -> Text:
    filled = STRENGTH_DOTS[strength]
    style = "green" if filled >= 3 else ("yellow" if filled else "red")
    return Text("●" * filled, style=style) + Text("○" * (4 - filled), style="dim")


def contact_label(contact: ContactRow) -> Text:
    """One line of the org tree: who, what role, how they feel about us, how well we know them
    (the title and the rest are on the card beside the tree)."""
    label = Text(contact.name, style="bold" if contact.current else "dim strike")
    if not contact.current:
        label.append(f"  left {contact.left_on:%Y-%m-%d}", "red")
        return label
    label.append("  ")
    if contact.buying_role:
        label.append(words(contact.buying_role), "cyan")
        label.append(" · ")
    label.append(words(contact.attitude), ATTITUDE_STYLES[contact.attitude] or "default")
    label.append(" · ")
    label.append_text(strength_dots(contact.strength))
    if contact.influence.value == "high":
        label.append(" · high influence", "magenta")
    return label


def contact_card(
    contact: ContactRow | None, boss: str | None, last_contact: date | None = None
) -> RenderableType:
    if contact is None:
        return Text("No contact selected", style="dim")
    grid = Pairs()
    grid.add_row("Name", Text(contact.name, style="bold"))
    for label, value in [
        ("Title", contact.title),
        ("Department", contact.department),
        ("E-mail", contact.email),
        ("Phone", contact.phone),
        ("Buying role", contact.buying_role),
        ("Attitude", contact.attitude),
        ("Influence", contact.influence),
    ]:
        grid.add_row(label, words(value))
    strength = strength_dots(contact.strength)
    strength.append(f" {words(contact.strength)}")
    grid.add_row("Relationship", strength)
    grid.add_row("Reports to", boss or "—")
    grid.add_row("Known by", contact.owner or Text("nobody on our side", style="yellow"))
    grid.add_row("Last contact", str(last_contact) if last_contact else "none logged")
    if contact.left_on:
        grid.add_row("Left", Text(contact.left_on.isoformat(), style="red"))
    for need in contact.needs:
        grid.add_row(f"Needs {words(need.kind)}", f"{need.text} ({words(need.visibility)})")
    if not contact.needs:
        grid.add_row("Needs", "— (a adds one)")
    return grid
