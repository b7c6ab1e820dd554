"""Reports that the CLI prints and the screens show."""

from __future__ import annotations

from kam.config import ClassificationSettings
from kam.models.enums import ValueTier
from kam.services.classify import Classification
from kam.services.formatting import cell_len, fit, money, percent, text_table
from kam.services.io import to_csv, to_json
from kam.services.pipeline import Forecast
from kam.services.plans import AgendaRow, section_of, words

REPORT_FORMATS = ("table", "csv", "json")


def pareto_report(result: Classification, settings: ClassificationSettings, fmt: str) -> str:
    """One row per live account, ranked; CSV and JSON carry raw minor units and fractions."""
    if fmt == "json":
        return to_json(
            {
                "as_of": result.window.end.isoformat(),
                "window": result.window.label,
                "window_start_exclusive": (
                    result.window.start.isoformat() if result.window.start else None
                ),
                "total_revenue_minor": result.total_revenue_minor,
                "ranked_accounts": result.ranked_accounts,
                "classes": [
                    {
                        "class": s.account_class.value,
                        "accounts": s.accounts,
                        "revenue_minor": s.revenue_minor,
                        "share": s.share,
                        "cumulative_share": s.cumulative_share,
                    }
                    for s in result.classes
                ],
                "accounts": [
                    {
                        "rank": a.rank,
                        "account_id": str(a.account_id),
                        "name": a.name,
                        "revenue_minor": a.revenue_minor,
                        "cost_minor": a.cost_minor,
                        "share": a.share,
                        "cumulative_share": a.cumulative_share,
                        "class": a.account_class.value,
                        "tier": a.tier.value,
                        "computed_tier": a.computed_tier.value,
                        "strategic": a.strategic,
                    }
                    for a in result.accounts
                ],
            }
        )
    if fmt == "csv":
        return to_csv(
            [
                "rank",
                "account_id",
                "name",
                "revenue_minor",
                "cost_minor",
                "share",
                "cumulative_share",
                "class",
                "tier",
                "computed_tier",
                "strategic",
            ],
            (
                [
                    "" if a.rank is None else a.rank,
                    a.account_id,
                    a.name,
                    a.revenue_minor,
                    a.cost_minor,
                    repr(a.share),
                    "" if a.cumulative_share is None else repr(a.cumulative_share),
                    a.account_class.value,
                    a.tier.value,
                    a.computed_tier.value,
                    int(a.strategic),
                ]
                for a in result.accounts
            ),
        )
    body = _pareto_table(result, settings)
    start = result.window.start.isoformat() if result.window.start else "the first sale"
    summary = text_table(
        ["Class", "Accounts", "of ranked", "Revenue", "Share", "Cum."],
        [
            [
                s.account_class.value,
                f"{s.accounts:,}",
                percent(s.account_share),
                money(s.revenue_minor),
                percent(s.share),
                percent(s.cumulative_share),
            ]
            for s in result.classes
        ],
        right={1, 2, 3, 4, 5},
    )
    return (
        f"Pareto classification: revenue after {start} up to {result.window.end.isoformat()} "
        f"({result.window.label}); {result.ranked_accounts:,} accounts with revenue, "
        f"total {money(result.total_revenue_minor)}\n\n"
        + body
        + "\n* strategic by judgement   † tier set by hand\n\n"
        + summary
    )


def _pareto_table(result: Classification, settings: ClassificationSettings) -> str:
    """The per-account table, one f-string a row: it prints 100k rows in a fraction of a
    second. Widths come from the data (the largest rank and revenue, the longest name up to
    40 cells); names with wide characters are padded by their cell width."""
    accounts = result.accounts
    labels = {tier: settings.label(tier) for tier in ValueTier}
    name_width = min(40, max([cell_len("Account"), *(cell_len(a.name) for a in accounts)]))
    rank_width = max(4, len(f"{result.ranked_accounts}"))
    revenue_width = max(7, len(money(max((a.revenue_minor for a in accounts), default=0))))
    tier_width = max(len(label) + 1 for label in labels.values())
    lines = [
        f"{'Rank':>{rank_width}}  {fit('Account', name_width)}  {'Revenue':>{revenue_width}}  "
        f"{'Share':>6}  {'Cum.':>6}  {'Class':<9}  Tier",
        "  ".join("-" * w for w in (rank_width, name_width, revenue_width, 6, 6, 9, tier_width)),
    ]
    append = lines.append
    for a in accounts:
        name = a.name
        if name.isascii() and len(name) <= name_width:
            name = name.ljust(name_width)
        else:
            name = fit(name, name_width)  # exactly name_width cells, wide characters counted
        cumulative = "" if a.cumulative_share is None else f"{a.cumulative_share * 100:.1f}%"
        tier = labels[a.tier] + ("†" if a.tier != a.computed_tier else "")
        account_class = a.account_class + "*" if a.strategic else a.account_class
        append(
            f"{'' if a.rank is None else a.rank:>{rank_width}}  {name}  "
            f"{money(a.revenue_minor):>{revenue_width}}  {a.share * 100:>5.2f}%  "
            f"{cumulative:>6}  {account_class:<9}  {tier}"
        )
    return "\n".join(lines) + "\n"


PIPELINE_COLUMNS = (
    "open_deals",
    "amount_minor",
    "weighted_minor",
    "won_deals",
    "won_minor",
    "forecast_minor",
    "stale",
    "overdue",
)


def pipeline_report(result: Forecast, fmt: str) -> str:
    """The forecast grouped one way, with a total; CSV and JSON carry minor units."""
    rows = [*result.rows, result.total]
    if fmt == "json":
        return to_json(
            {
                "as_of": result.as_of.isoformat(),
                "by": result.by,
                "won_period": result.won_period,
                "groups": [
                    {"key": r.key, "label": r.label, **{c: getattr(r, c) for c in PIPELINE_COLUMNS}}
                    for r in result.rows
                ],
                "total": {c: getattr(result.total, c) for c in PIPELINE_COLUMNS},
            }
        )
    if fmt == "csv":
        return to_csv(
            [result.by, *PIPELINE_COLUMNS],
            ([r.label, *(getattr(r, c) for c in PIPELINE_COLUMNS)] for r in rows),
        )
    table = text_table(
        [
            result.by.capitalize(),
            "Open",
            "Amount",
            "Weighted",
            f"Won {result.won_period}",
            "Forecast",
            "Stale",
            "Overdue",
        ],
        [
            [
                r.label,
                f"{r.open_deals:,}",
                money(r.amount_minor),
                money(r.weighted_minor),
                money(r.won_minor),
                money(r.forecast_minor),
                f"{r.stale:,}",
                f"{r.overdue:,}",
            ]
            for r in rows
        ],
        right={1, 2, 3, 4, 5, 6, 7},
    )
    return (
        f"Pipeline by {result.by}, as of {result.as_of.isoformat()}: open deals weighted by "
        f"probability; won deals in {result.won_period} at their full amount\n\n{table}"
    )


def agenda_report(rows: list[AgendaRow], today, user: str | None, fmt: str) -> str:
    """Planned contacts due up to the horizon, overdue first; one row per item."""
    records = [
        {
            "section": section_of(r.next_due, today),
            "due": r.next_due.isoformat(),
            "days_overdue": max(0, (today - r.next_due).days),
            "kind": r.kind.value,
            "account": r.account,
            "contact": r.contact,
            "owner": r.owner,
            "cadence": r.cadence,
            "last_contact": r.last_contact.isoformat() if r.last_contact else None,
            "note": r.note,
            "plan_item_id": str(r.id),
            "account_id": str(r.account_id),
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json({"as_of": today.isoformat(), "user": user, "items": records})
    if fmt == "csv":
        header = list(records[0]) if records else ["section", "due", "kind", "account"]
        return to_csv(header, ([rec.get(h) for h in header] for rec in records))
    who = f"for {user}" if user else "for the whole team"
    if not rows:
        return f"Agenda {who} as of {today.isoformat()}: nothing due.\n"
    table = text_table(
        ["Section", "Due", "Kind", "Account", "Contact", "Owner", "Cadence", "Last contact"],
        [
            [
                rec["section"] + (f" {rec['days_overdue']}d" if rec["days_overdue"] else ""),
                rec["due"],
                words(rec["kind"]),
                rec["account"],
                rec["contact"] or "",
                rec["owner"] or "",
                rec["cadence"],
                rec["last_contact"] or "never",
            ]
            for rec in records
        ],
        right=set(),
    )
    overdue = sum(1 for rec in records if rec["section"] == "overdue")
    return (
        f"Agenda {who} as of {today.isoformat()}: {len(rows):,} planned contacts, "
        f"{overdue:,} overdue\n\n{table}"
    )
