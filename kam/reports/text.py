"""Reports that the CLI prints and the screens show."""

from __future__ import annotations

from kam.files.cells import to_csv, to_json
from kam.models.enums import Segment, ValueTier
from kam.services.classify.pareto import Classification, ClassificationSettings
from kam.services.classify.segments import GROUP_WORDS, SEGMENT_WORDS, SegmentRow, SegmentSummary
from kam.services.contact_plan.agenda import AgendaRow, section_of
from kam.services.contact_plan.policies import words
from kam.services.health.stored import HealthSummary, RiskRow
from kam.services.pipeline.forecast import Forecast
from kam.services.sql.bulk import dashed
from kam.services.values.formatting import cell_len, fit, money, percent, text_table
from kam.services.wallet.share_of_wallet import (
    AccountWalletRow,
    WalletView,
    competitors_text,
    points,
    signed_percent,
)

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
                "classified_by": settings.by,
                "total_revenue_minor": result.total_revenue_minor,
                "ranked_accounts": result.ranked_accounts,
                "ranked_units": result.ranked_units,
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
                        "account_id": dashed(a.account_id),
                        "name": a.name,
                        "revenue_minor": a.revenue_minor,
                        "cost_minor": a.cost_minor,
                        "share": a.share,
                        "cumulative_share": a.cumulative_share,
                        "class": a.account_class.value,
                        "tier": a.tier.value,
                        "computed_tier": a.computed_tier.value,
                        "strategic": a.strategic,
                        "via_group_id": dashed(a.via_group) if a.via_group else None,
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
                "via_group_id",
            ],
            (
                [
                    "" if a.rank is None else a.rank,
                    dashed(a.account_id),
                    a.name,
                    a.revenue_minor,
                    a.cost_minor,
                    repr(a.share),
                    "" if a.cumulative_share is None else repr(a.cumulative_share),
                    a.account_class.value,
                    a.tier.value,
                    a.computed_tier.value,
                    int(a.strategic),
                    dashed(a.via_group) if a.via_group else "",
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
    by_group = settings.by_group
    return (
        f"Pareto classification: revenue after {start} up to {result.window.end.isoformat()} "
        f"({result.window.label}); {result.ranked_accounts:,} accounts with revenue, "
        f"total {money(result.total_revenue_minor)}\n"
        + (
            f"Classified by group: {result.ranked_units:,} groups and lone accounts ranked; a "
            "group on its members' revenue together, its members (‡) take its class, tier and "
            "rank.\n\n"
            if by_group
            else "Classified by account: each account on its own revenue.\n\n"
        )
        + body
        + "\n* strategic by judgement   † tier set by hand"
        + ("   ‡ via its group" if by_group else "")
        + "\n\n"
        + summary
        + _unranked_note(result)
    )


def _unranked_note(result: Classification) -> str:
    unranked = len(result.accounts) - result.ranked_accounts
    if not unranked:
        return ""
    return (
        f"\n{unranked:,} account{'s' if unranked > 1 else ''} without revenue in the window "
        "count under Accounts but are not ranked;\n"
        f"`of ranked` is each class's share of the {result.ranked_accounts:,} with revenue.\n"
    )


def _pareto_table(result: Classification, settings: ClassificationSettings) -> str:
    """The per-account table, one f-string a row: it prints 100k rows in a fraction of a
    second. Widths come from the data (the largest rank and revenue, the longest name up to
    40 cells); names with wide characters are padded by their cell width."""
    accounts = result.accounts
    labels = {tier: settings.label(tier) for tier in ValueTier}
    name_width = cell_len("Account")
    for a in accounts:
        name_width = max(name_width, cell_len(a.name))
        if name_width >= 40:
            name_width = 40  # no need to measure the rest
            break
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
        if a.via_group:
            tier += "‡"
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


def agenda_report(rows: list[AgendaRow], as_of, user: str | None, fmt: str) -> str:
    """Planned contacts due up to the horizon, overdue first; one row per item."""
    records = [
        {
            "section": section_of(r.next_due, as_of),
            "due": r.next_due.isoformat(),
            "days_overdue": max(0, (as_of - r.next_due).days),
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
        return to_json({"as_of": as_of.isoformat(), "user": user, "items": records})
    if fmt == "csv":
        header = list(records[0]) if records else ["section", "due", "kind", "account"]
        return to_csv(header, ([rec.get(h) for h in header] for rec in records))
    who = f"for {user}" if user else "for the whole team"
    if not rows:
        return f"Agenda {who} as of {as_of.isoformat()}: nothing due.\n"
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
        f"Agenda {who} as of {as_of.isoformat()}: {len(rows):,} planned contacts, "
        f"{overdue:,} overdue\n\n{table}"
    )


# --- share of wallet, health, segments ------------------------------------------------------


def account_wallet_report(view: WalletView, name: str, fmt: str) -> str:
    """One account's categories x periods, with the totals; minor units in CSV and JSON."""
    records = []
    for period in view.periods:
        cells = [view.cell(c, period) for c in view.categories]
        for cell in [*(c for c in cells if c is not None), view.totals[period]]:
            records.append(
                {
                    "period": period.label,
                    "partial": view.partial(period),
                    "category": cell.category,
                    "spend_minor": cell.spend_minor,
                    "ours_minor": cell.ours_minor,
                    "run_rate_minor": cell.run_rate_minor,
                    "share": cell.share,
                    "share_change": cell.share_change,
                    "our_growth": cell.our_growth,
                    "customer_growth": cell.customer_growth,
                    "growth_gap": cell.growth_gap,
                    "whitespace": cell.whitespace,
                    "lost_share": cell.lost_share(view.settings),
                    "competitors": [{"name": n, "share": s} for n, s in cell.competitors],
                }
            )
    if fmt == "json":
        return to_json(
            {
                "account": name,
                "as_of": view.as_of.isoformat(),
                "kind": view.kind.value,
                "whitespace": view.whitespace,
                "cells": records,
            }
        )
    if fmt == "csv":
        header = [k for k in records[0] if k != "competitors"] if records else ["period"]
        return to_csv(
            [*header, "competitors"],
            (
                [
                    *(r[h] for h in header),
                    competitors_text([(c["name"], c["share"]) for c in r["competitors"]]),
                ]
                for r in records
            ),
        )
    if not records:
        return f"{name}: no wallet estimates yet (add them on the account's Wallet tab).\n"
    lines = []
    for r in records:
        flags = []
        if r["whitespace"]:
            flags.append("whitespace")
        if r["lost_share"]:
            flags.append("lost share")
        if r["growth_gap"] is not None and r["growth_gap"] <= -view.settings.growth_gap:
            flags.append("behind")
        lines.append(
            [
                r["period"] + ("*" if r["partial"] else ""),
                r["category"],
                money(r["spend_minor"]) if r["spend_minor"] is not None else "no estimate",
                money(r["run_rate_minor"]),
                percent(r["share"], 0),
                signed_percent(r["our_growth"]),
                signed_percent(r["customer_growth"]),
                competitors_text([(c["name"], c["share"]) for c in r["competitors"]][:2]),
                ", ".join(flags),
            ]
        )
    table = text_table(
        [
            "Period",
            "Category",
            "Their spend",
            "Ours",
            "Share",
            "We grow",
            "They grow",
            "Competitors",
            "",
        ],
        lines,
        right={2, 3, 4, 5, 6},
    )
    note = ""
    if any(view.partial(p) for p in view.periods):
        note = (
            f"\n* still running: our revenue to {view.as_of.isoformat()} scaled to the whole "
            "period (its run rate)\n"
        )
    return f"Share of wallet of {name}, as of {view.as_of.isoformat()}\n\n{table}{note}"


def wallet_report(rows: list[AccountWalletRow], as_of, fmt: str) -> str:
    """One row per account with estimates, in its latest estimated year."""
    records = [
        {
            "account": r.name,
            "period": r.period.label,
            "spend_minor": r.spend_minor,
            "ours_minor": r.ours_minor,
            "run_rate_minor": r.run_rate_minor,
            "share": r.share,
            "share_change": r.share_change,
            "our_growth": r.our_growth,
            "customer_growth": r.customer_growth,
            "growth_gap": r.growth_gap,
            "whitespace": "; ".join(r.whitespace),
            "lost_share": "; ".join(r.lost_share),
            "behind": "; ".join(r.behind),
            "top_competitor": r.top_competitor,
            "account_id": str(r.account_id),
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json({"as_of": as_of.isoformat(), "accounts": records})
    if fmt == "csv":
        header = list(records[0]) if records else ["account", "period"]
        return to_csv(header, ([rec[h] for h in header] for rec in records))
    if not rows:
        return "No wallet estimates yet: add them on an account's Wallet tab.\n"
    table = text_table(
        [
            "Account",
            "Year",
            "Their spend",
            "Ours",
            "Share",
            "Change",
            "We grow",
            "They grow",
            "Whitespace",
            "Top rival",
        ],
        [
            [
                r.name,
                r.period.label,
                money(r.spend_minor),
                money(r.run_rate_minor),
                percent(r.share, 0),
                points(r.share_change),
                signed_percent(r.our_growth),
                signed_percent(r.customer_growth),
                ", ".join(r.whitespace),
                r.top_competitor or "",
            ]
            for r in rows
        ],
        right={2, 3, 4, 5, 6, 7},
    )
    spend = sum(r.spend_minor for r in rows)
    ours = sum(r.run_rate_minor for r in rows)
    overall = percent(ours / spend, 1) if spend else ""
    behind = sum(1 for r in rows if r.growth_gap is not None and r.growth_gap < 0)
    return (
        f"Share of wallet, as of {as_of.isoformat()}: {len(rows):,} accounts with estimates, "
        f"{overall} of their spend comes to us; {behind:,} grow faster than we do with them. "
        f"A year still running counts our revenue at its run rate.\n\n{table}"
    )


def health_report(
    rows: list[RiskRow], summary: HealthSummary, as_of, fmt: str, *, everyone: bool
) -> str:
    """At-risk accounts (or every watched one) with score, band, change and the reasons."""
    records = [
        {
            "account": r.name,
            "class": r.account_class,
            "tier": r.tier,
            "owner": r.owner,
            "revenue_minor": r.revenue_minor,
            "score": r.score,
            "band": r.band.value,
            "change_4_weeks": r.change,
            "listed_for": r.why_listed,
            "reasons": r.reasons,
            "account_id": str(r.account_id),
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json(
            {
                "as_of": as_of.isoformat(),
                "watched": summary.watched,
                "bands": summary.bands,
                "at_risk": summary.at_risk,
                "accounts": records,
            }
        )
    if fmt == "csv":
        header = list(records[0]) if records else ["account", "score", "band"]
        return to_csv(header, ([rec[h] for h in header] for rec in records))
    head = (
        f"Account health, as of {as_of.isoformat()}: {summary.watched:,} watched, "
        f"{summary.bands['red']:,} red, {summary.bands['amber']:,} amber, "
        f"{summary.bands['green']:,} green; {summary.at_risk:,} at risk"
    )
    if not rows:
        return head + ".\n"
    table = text_table(
        ["Account", "Tier", "Owner", "Health", "4 wk", "Why listed", "Reasons"],
        [
            [
                r.name,
                r.tier or "",
                r.owner or "",
                f"{r.score} {r.band.value}",
                f"{r.change:+d}" if r.change is not None else "",
                r.why_listed,
                r.reasons,
            ]
            for r in rows
        ],
        right={3, 4},
        max_width=200,
    )
    return f"{head}\n\n{table}"


def segments_report(summary: SegmentSummary, fmt: str) -> str:
    def record(f) -> dict:
        return {
            "key": f.key,
            "accounts": f.accounts,
            "revenue_minor": f.revenue_minor,
            "profit_minor": f.profit_minor,
            "share": f.share,
        }

    if fmt == "json":
        return to_json(
            {
                "as_of": summary.as_of.isoformat(),
                "window_months": summary.settings.window_months,
                "segments": [
                    {
                        **record(f),
                        "letter": Segment(f.key).letter,
                        "key_accounts": summary.key_by_segment.get(f.key, 0),
                    }
                    for f in summary.segments
                ],
                "groups": [record(f) for f in summary.groups],
            }
        )
    if fmt == "csv":
        return to_csv(
            ["kind", "key", "accounts", "key_accounts", "revenue_minor", "profit_minor", "share"],
            [
                *(
                    [
                        "segment",
                        f.key,
                        f.accounts,
                        summary.key_by_segment.get(f.key, 0),
                        f.revenue_minor,
                        f.profit_minor,
                        f.share,
                    ]
                    for f in summary.segments
                ),
                *(
                    ["group", f.key, f.accounts, "", f.revenue_minor, f.profit_minor, f.share]
                    for f in summary.groups
                ),
            ],
        )
    segments_table = text_table(
        ["Segment", "Accounts", "Key", "Revenue", "Profit", "Share", "What to do"],
        [
            [
                f"{Segment(f.key).letter} {words(f.key)}",
                f"{f.accounts:,}",
                f"{summary.key_by_segment.get(f.key, 0):,}",
                money(f.revenue_minor),
                money(f.profit_minor),
                percent(f.share),
                SEGMENT_WORDS[Segment(f.key)].split(": ", 1)[-1],
            ]
            for f in summary.segments
        ],
        right={1, 2, 3, 4, 5},
        max_width=70,
    )
    groups_table = text_table(
        ["Group", "Accounts", "Revenue", "Profit", "Share"],
        [
            [
                GROUP_WORDS.get(f.key, words(f.key)) if f.key in GROUP_WORDS else words(f.key),
                f"{f.accounts:,}",
                money(f.revenue_minor),
                money(f.profit_minor),
                percent(f.share),
            ]
            for f in summary.groups
        ],
        right={1, 2, 3, 4},
        max_width=60,
    )
    s = summary.settings
    return (
        f"Segments, as of {summary.as_of.isoformat()}, over the last {s.window_months} months: "
        f"value = profit (top {percent(s.high_value_top, 0)} of buying accounts are high), "
        f"loyalty = regular purchases over {s.loyalty_years} years and tenure "
        f"(loyal from {s.loyal_from:.2f}), silent = fewer than {s.silent_below} purchases\n\n"
        f"{segments_table}\n\nTransactional accounts first, then the valuable relational ones\n\n"
        f"{groups_table}"
    )


def segment_rows_report(rows: list[SegmentRow], as_of, fmt: str) -> str:
    records = [
        {
            "account": r.name,
            "class": r.account_class,
            "segment": r.segment.letter,
            "segment_name": r.segment.value,
            "group": r.group,
            "last_purchase": r.last_purchase.isoformat() if r.last_purchase else None,
            "recency_days": (as_of - r.last_purchase).days if r.last_purchase else None,
            "frequency": r.frequency,
            "monetary_minor": r.monetary_minor,
            "aov_minor": r.aov_minor,
            "profit_minor": r.profit_minor,
            "rfm": r.rfm,
            "loyalty": round(r.loyalty, 3),
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json({"as_of": as_of.isoformat(), "accounts": records})
    if fmt == "csv":
        header = list(records[0]) if records else ["account", "segment"]
        return to_csv(header, ([rec[h] for h in header] for rec in records))
    table = text_table(
        [
            "Account",
            "Class",
            "Seg",
            "Group",
            "Recency",
            "Freq",
            "Monetary",
            "AOV",
            "RFM",
            "Loyalty",
        ],
        [
            [
                rec["account"],
                rec["class"] or "",
                rec["segment"],
                words(rec["group"]) if rec["group"] else "",
                f"{rec['recency_days']}d" if rec["recency_days"] is not None else "never",
                f"{rec['frequency']:,}",
                money(rec["monetary_minor"]),
                money(rec["aov_minor"]) if rec["aov_minor"] is not None else "",
                rec["rfm"],
                f"{rec['loyalty']:.2f}",
            ]
            for rec in records
        ],
        right={4, 5, 6, 7, 9},
    )
    return f"Segments of {len(rows):,} accounts, as of {as_of.isoformat()}\n\n{table}"
