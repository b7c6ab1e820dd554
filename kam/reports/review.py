"""The week's review as a document to hand out: Markdown to paste into mail or a wiki, HTML to
open in a browser and print.

It holds the headline indicators with their trend, every account reviewed that week with its
plan, note, decisions and actions, the at-risk list, and the tier upgrades and downgrades.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from kam.files.tabular import private_file
from kam.models import Account, Review, TierChange
from kam.models.enums import ClassificationField
from kam.services import settings as settings_service
from kam.services.accounts.regions import Scope
from kam.services.classify.pareto import ClassificationSettings, classified_by_words, is_upgrade
from kam.services.health import stored as health
from kam.services.history.changes import as_words
from kam.services.portfolio import indicators
from kam.services.review import cards, weeks
from kam.services.unit import reads
from kam.services.values.formatting import money_short, percent


@dataclass
class ReviewedAccount:
    name: str
    tier: str | None
    owner: str | None
    reviewed_on: date | None
    reviewer: str | None
    note: str
    decisions: list[str]
    actions: list[cards.ActionRow]
    plan: cards.PlanView
    health: str


@dataclass
class TierMove:
    name: str
    from_value: str | None
    to_value: str
    on: date
    reason: str

    @property
    def upgrade(self) -> bool:
        return is_upgrade("tier", self.from_value or "general", self.to_value, self.reason)


@dataclass
class ReviewReport:
    week: str
    start: date
    as_of: date
    headline: indicators.Headline
    classified: str = ""  # how the classes are cut, and whether by account or by group
    reviewed: list[ReviewedAccount] = field(default_factory=list)
    at_risk: list[health.RiskRow] = field(default_factory=list)
    moves: list[TierMove] = field(default_factory=list)
    region: str | None = None  # the region the report is of (None: the whole portfolio)
    # The current quarter's indicators of the regions shown (the one reported on, or every
    # region with --by region) and of the whole portfolio beside them.
    regions: list[indicators.RegionFigures] = field(default_factory=list)
    portfolio: indicators.QuarterFigures | None = None


def build(
    session: Session,
    week: str,
    as_of: date,
    *,
    region: Scope | None = None,
    by_region: bool = False,
) -> ReviewReport:
    """The week's review of the whole portfolio, or of one region's accounts (`region`) with
    its indicators beside the portfolio's; `by_region` adds every region's indicators."""
    week = weeks.check_week(week)
    start = weeks.week_start(week)
    end = start + timedelta(days=7)
    seen_from = min(as_of, end - timedelta(days=1))
    worked_out = indicators.current_headline(session, seen_from)  # the stored ones if current
    assert worked_out is not None
    classes = settings_service.load(session, ClassificationSettings)
    report = ReviewReport(week, start, as_of, worked_out[1], classified_by_words(classes))
    rev, acct = Review.__table__, Account.__table__
    in_region = sa.true() if region is None else acct.c.id.in_(region.accounts())
    rows = session.connection().execute(
        sa.select(rev.c.account_id)
        .join(acct, acct.c.id == rev.c.account_id)
        .where(rev.c.week == week, in_region)
        .where(sa.or_(rev.c.reviewed_on.is_not(None), rev.c.note != ""))
        .order_by(acct.c.name_key)
    )
    for (account_id,) in rows:
        report.reviewed.append(_reviewed(session, account_id, week, seen_from))
    report.at_risk = health.at_risk(session, region=region)
    report.moves = _moves(session, start - timedelta(days=weeks.TIER_DAYS - 7), end, in_region)
    if region is not None or by_region:
        report.portfolio, report.regions = indicators.by_region(
            session, seen_from, region=None if by_region else region
        )
    if region is not None:
        report.region = region.name
    return report


def _reviewed(session: Session, account_id: uuid.UUID, week: str, as_of: date) -> ReviewedAccount:
    card = cards.review_card(session, account_id, as_of)
    state = card.review
    health_words = (
        f"{card.health.band.value} {card.health.score}: {card.health.reasons}"
        if card.health
        else "not watched"
    )
    return ReviewedAccount(
        card.name,
        card.tier.value if card.tier else None,
        card.owner,
        state.reviewed_on,
        state.reviewer,
        state.note,
        [text for _, text in state.decisions],
        card.actions,
        card.plan,
        health_words,
    )


def _moves(
    session: Session, start: date, end: date, in_region: sa.ColumnElement[bool]
) -> list[TierMove]:
    tc, acct = TierChange.__table__, Account.__table__
    from kam.services.pipeline.filters import local_midnight_utc

    rows = session.connection().execute(
        sa.select(acct.c.name, tc.c.from_value, tc.c.to_value, tc.c.changed_at, tc.c.reason)
        .join(acct, acct.c.id == tc.c.account_id)
        .where(
            tc.c.field == ClassificationField.tier.value,
            tc.c.changed_at >= local_midnight_utc(start),
            tc.c.changed_at < local_midnight_utc(end),
            in_region,
        )
        .order_by(tc.c.changed_at, acct.c.name_key)
    )
    return [TierMove(n, f, t, at.date(), reason or "") for n, f, t, at, reason in rows]


def _file_part(name: str) -> str:
    """A region's name as part of a file name: letters (any script), digits and dashes."""
    kept = "".join(c if c.isalnum() else "-" for c in name.strip())
    return "-".join(part for part in kept.split("-") if part) or "region"


# --- Markdown -------------------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else percent(value, digits)


def _growth(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1%}"


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


REGION_HEADERS = (
    "Region",
    "Owner",
    "Accounts",
    "Key accounts",
    "Revenue, 12 months",
    "Share of revenue",
    "Key-account share",
    "Key-account retention",
    "Growth of key-account revenue",
)


def region_cells(report: ReviewReport) -> list[list[str]]:
    """The regions' indicators and, last, the whole portfolio's, as the cells of a table."""
    rows = [
        [
            r.name,
            r.owner or "–",
            f"{r.accounts:,}",
            f"{r.key_accounts:,}",
            money_short(r.revenue_minor),
            _pct(r.revenue_share),
            _pct(r.figures.key_share),
            f"{_pct(r.figures.retention)} ({r.figures.kept} kept, {r.figures.lost} lost)",
            _growth(r.figures.key_growth),
        ]
        for r in report.regions
    ]
    whole = report.portfolio
    if whole is not None:
        rows.append(
            ["whole portfolio", "", "", "", "", "100%", _pct(whole.key_share),
             f"{_pct(whole.retention)} ({whole.kept} kept, {whole.lost} lost)",
             _growth(whole.key_growth)]
        )  # fmt: skip
    return rows


def _title(report: ReviewReport) -> str:
    return f"Account review {report.week}" + (f" — {report.region}" if report.region else "")


def _scope_words(report: ReviewReport) -> str:
    if report.region is None:
        return ""
    return (
        f"The accounts of {report.region} only (its territories with it); the headline "
        "indicators below are the whole portfolio's, the region's are beside them."
    )


def render_markdown(report: ReviewReport) -> str:
    out = [
        f"# {_title(report)}",
        "",
        f"Week of {report.start:%d %B %Y}; figures as of {report.headline.as_of}.",
        f"Classes: {report.classified}.",
        *([_scope_words(report)] if report.region else []),
        "",
        "## Headline indicators",
        "",
        "| Quarter | Key-account share of revenue | Key-account retention | "
        "Growth of key-account revenue |",
        "|---|---:|---:|---:|",
    ]
    for q in report.headline.quarters:
        out.append(
            f"| {q.label} | {_pct(q.key_share)} | {_pct(q.retention)} ({q.kept} kept, "
            f"{q.lost} lost) | {_growth(q.key_growth)} |"
        )
    out += ["", "Average share of wallet of the key accounts: " + ", ".join(
        f"{year} {_pct(share)} ({n} accounts)" for year, share, n in report.headline.wallet
    ) + ".", "", "Pareto curve of the portfolio (share of revenue by share of accounts):", "",
        "```", *indicators.pareto_chart(report.headline.pareto), "```", ""]  # fmt: skip
    if report.regions:
        quarter = report.portfolio.label if report.portfolio else ""
        out += [f"## {'Region' if report.region else 'By region'} ({quarter})", ""]
        out += ["| " + " | ".join(REGION_HEADERS) + " |", "|---|---|" + "---:|" * 7]
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in region_cells(report)]
        out.append("")
    out += [f"## Accounts reviewed ({len(report.reviewed)})", ""]
    if not report.reviewed:
        out += ["No account was reviewed this week.", ""]
    for acc in report.reviewed:
        out += _md_account(acc)
    out += [f"## At risk ({len(report.at_risk)})", ""]
    if report.at_risk:
        out += ["| Account | Health | 4 wk | Tier | Owner | Why |", "|---|---:|---:|---|---|---|"]
        for r in report.at_risk:
            change = f"{r.change:+d}" if r.change else ""
            out.append(
                f"| {_md_cell(r.name)} | {r.band.value} {r.score} | {change} | {r.tier or ''} | "
                f"{_md_cell(r.owner or '')} | {_md_cell(r.reasons)} |"
            )
    else:
        out.append("No key account is at risk.")
    out += ["", "## Upgrades and downgrades", ""]
    if report.moves:
        for m in report.moves:
            arrow = "▲ upgrade" if m.upgrade else "▼ downgrade"
            reason = f" ({m.reason})" if m.reason else ""
            out.append(
                f"- {arrow}: **{m.name}** {m.from_value or 'new'} → {m.to_value} on {m.on}{reason}"
            )
    else:
        out.append("No tier moved in the last four weeks.")
    return "\n".join(out) + "\n"


def _md_account(acc: ReviewedAccount) -> list[str]:
    head = f"### {acc.name}"
    out = [head, ""]
    bits = [f"tier {acc.tier or '–'}", f"owner {acc.owner or '–'}", f"health {acc.health}"]
    if acc.reviewed_on:
        bits.append(f"reviewed {acc.reviewed_on}" + (f" by {acc.reviewer}" if acc.reviewer else ""))
    out += ["; ".join(bits), ""]
    plan = acc.plan
    if not plan.empty:
        out.append(f"**Plan:** {_md_cell(plan.strategy) or 'no strategy written'}")
        if plan.desired_stage:
            out.append(f"Desired stage: {as_words(plan.desired_stage)}.")
        if plan.customer_goals:
            out.append(f"Their goals we support: {_md_cell(plan.customer_goals)}")
        for o in plan.objectives:
            due = f" by {o.due_on}" if o.due_on else ""
            progress = f" — {o.progress}" if o.progress else ""
            out.append(f"- Objective: {o.title}: {o.measure} {o.target}{due} "
                       f"[{as_words(o.status)}]{progress}")  # fmt: skip
        out.append("")
    if acc.note:
        out += ["**Note:**", "", *[f"> {line}" for line in acc.note.splitlines()], ""]
    if acc.decisions:
        out += ["**Decisions:**", *[f"- {d}" for d in acc.decisions], ""]
    if acc.actions:
        out.append("**Actions:**")
        for a in acc.actions:
            box = "x" if a.status.value != "open" else " "
            due = f", due {a.due_on}" if a.due_on else ""
            state = "" if a.status.value == "open" else f" ({a.status.value})"
            out.append(f"- [{box}] {a.title} — {a.owner or 'nobody'}{due}{state}")
        out.append("")
    return out


# --- HTML -----------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; } .muted { color: #666; }
section.account { break-inside: avoid; border-top: 1px solid #eee; padding-top: .5rem; }
blockquote { margin: .3rem 0; padding-left: .8rem; border-left: 3px solid #ccc; }
.up { color: #17803d; } .down { color: #b42318; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _svg_curve(curve: list[tuple[float, float]]) -> str:
    if len(curve) < 2:
        return "<p class='muted'>No revenue ranked yet.</p>"
    w, h = 320, 180
    points = " ".join(f"{30 + x * (w - 40):.1f},{h - 20 - y * (h - 30):.1f}" for x, y in curve)
    return (
        f"<svg id='pareto' width='{w}' height='{h}' viewBox='0 0 {w} {h}' role='img' "
        "aria-label='Pareto curve of the portfolio'>"
        f"<line x1='30' y1='{h - 20}' x2='{w - 10}' y2='{h - 20}' stroke='#999'/>"
        f"<line x1='30' y1='10' x2='30' y2='{h - 20}' stroke='#999'/>"
        f"<polyline fill='none' stroke='#2563eb' stroke-width='2' points='{points}'/>"
        f"<text x='30' y='{h - 5}' font-size='10'>0%</text>"
        f"<text x='{w - 95}' y='{h - 5}' font-size='10'>100% of accounts</text>"
        "<text x='0' y='14' font-size='10'>100%</text></svg>"
    )


def render_html(report: ReviewReport) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(_title(report))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(_title(report))}</h1>",
        f"<p class='muted'>Week of {report.start:%d %B %Y}; classes: {_e(report.classified)}</p>",
        *([f"<p>{_e(_scope_words(report))}</p>"] if report.region else []),
        "<section id='headline'><h2>Headline indicators</h2><table><thead><tr><th>Quarter</th>"
        "<th>Key-account share of revenue</th><th>Key-account retention</th>"
        "<th>Growth of key-account revenue</th></tr></thead><tbody>",
    ]
    for q in report.headline.quarters:
        parts.append(
            f"<tr><td>{_e(q.label)}</td><td class='n'>{_pct(q.key_share)}</td>"
            f"<td class='n'>{_pct(q.retention)} ({q.kept} kept, {q.lost} lost)</td>"
            f"<td class='n'>{_growth(q.key_growth)}</td></tr>"
        )
    wallet = ", ".join(
        f"{year} {_pct(share)} ({n} accounts)" for year, share, n in report.headline.wallet
    )
    parts += [
        "</tbody></table>",
        f"<p>Average share of wallet of the key accounts: {_e(wallet)}.</p>",
        _svg_curve(report.headline.pareto),
        "</section>",
        _html_regions(report),
        f"<section id='reviewed'><h2>Accounts reviewed ({len(report.reviewed)})</h2>",
    ]
    if not report.reviewed:
        parts.append("<p>No account was reviewed this week.</p>")
    for acc in report.reviewed:
        parts.append(_html_account(acc))
    parts.append(f"</section><section id='at-risk'><h2>At risk ({len(report.at_risk)})</h2>")
    if report.at_risk:
        parts.append(
            "<table><thead><tr><th>Account</th><th>Health</th><th>4 wk</th><th>Tier</th>"
            "<th>Owner</th><th>Why</th></tr></thead><tbody>"
        )
        for r in report.at_risk:
            change = f"{r.change:+d}" if r.change else ""
            parts.append(
                f"<tr><td>{_e(r.name)}</td><td class='n'>{_e(r.band.value)} {r.score}</td>"
                f"<td class='n'>{change}</td><td>{_e(r.tier or '')}</td>"
                f"<td>{_e(r.owner or '')}</td><td>{_e(r.reasons)}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No key account is at risk.</p>")
    parts.append("</section><section id='moves'><h2>Upgrades and downgrades</h2>")
    if report.moves:
        parts.append("<ul>")
        for m in report.moves:
            cls, word = ("up", "▲ upgrade") if m.upgrade else ("down", "▼ downgrade")
            reason = f" ({_e(m.reason)})" if m.reason else ""
            parts.append(
                f"<li class='{cls}'>{word}: <b>{_e(m.name)}</b> {_e(m.from_value or 'new')} → "
                f"{_e(m.to_value)} on {m.on}{reason}</li>"
            )
        parts.append("</ul>")
    else:
        parts.append("<p>No tier moved in the last four weeks.</p>")
    parts.append("</section></body></html>\n")
    return "".join(parts)


def _html_regions(report: ReviewReport) -> str:
    if not report.regions:
        return ""
    quarter = report.portfolio.label if report.portfolio else ""
    head = "".join(f"<th>{_e(h)}</th>" for h in REGION_HEADERS)
    number = " class='n'"
    rows = "".join(
        "<tr>"
        + "".join(f"<td{number if i > 1 else ''}>{_e(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in region_cells(report)
    )
    title = "Region" if report.region else "By region"
    return (
        f"<section id='regions'><h2>{title} ({_e(quarter)})</h2><table><thead><tr>{head}"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _html_account(acc: ReviewedAccount) -> str:
    bits = [f"tier {acc.tier or '–'}", f"owner {acc.owner or '–'}", f"health {acc.health}"]
    if acc.reviewed_on:
        bits.append(f"reviewed {acc.reviewed_on}" + (f" by {acc.reviewer}" if acc.reviewer else ""))
    out = [f"<section class='account'><h3>{_e(acc.name)}</h3>",
           f"<p class='muted'>{_e('; '.join(bits))}</p>"]  # fmt: skip
    plan = acc.plan
    if not plan.empty:
        out.append(f"<p><b>Plan:</b> {_e(plan.strategy or 'no strategy written')}</p>")
        if plan.desired_stage:
            out.append(f"<p>Desired stage: {_e(as_words(plan.desired_stage))}.</p>")
        if plan.customer_goals:
            out.append(f"<p>Their goals we support: {_e(plan.customer_goals)}</p>")
        if plan.objectives:
            out.append("<ul class='objectives'>")
            for o in plan.objectives:
                due = f" by {o.due_on}" if o.due_on else ""
                out.append(
                    f"<li>{_e(o.title)}: {_e(o.measure)} {_e(o.target)}{due} "
                    f"[{_e(as_words(o.status))}] {_e(o.progress)}</li>"
                )
            out.append("</ul>")
    if acc.note:
        out.append(f"<blockquote class='note'>{_e(acc.note).replace(chr(10), '<br>')}</blockquote>")
    if acc.decisions:
        out.append("<p><b>Decisions</b></p><ul class='decisions'>")
        out += [f"<li>{_e(d)}</li>" for d in acc.decisions]
        out.append("</ul>")
    if acc.actions:
        out.append("<p><b>Actions</b></p><ul class='actions'>")
        for a in acc.actions:
            box = "☑" if a.status.value != "open" else "☐"
            due = f", due {a.due_on}" if a.due_on else ""
            out.append(f"<li>{box} {_e(a.title)} — {_e(a.owner or 'nobody')}{due}</li>")
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)


def render(report: ReviewReport, fmt: str) -> str:
    return render_html(report) if fmt == "html" else render_markdown(report)


def write(report: ReviewReport, fmt: str, path: Path) -> None:
    with private_file(path) as out:
        out.write(render(report, fmt))


@reads
def write_files(
    session: Session, week: str, as_of: date, folder: Path, region: Scope | None = None
) -> list[Path]:
    """The week's review (of a region, with one) as Markdown and HTML in `folder`; the
    paths written."""
    report = build(session, week, as_of, region=region)
    written = []
    suffix = "" if region is None else "-" + _file_part(region.name)
    for fmt in ("md", "html"):
        path = folder / f"kam-review-{week}{suffix}.{fmt}"
        write(report, fmt, path)
        written.append(path)
    return written
