"""Reports by region, and the Pareto report of one region: a regional manager's figures
beside the whole portfolio's."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace

from kam.files.cells import to_csv, to_json
from kam.models.enums import AccountClass
from kam.services.classify.pareto import Classification, ClassSummary
from kam.services.health.stored import RegionHealth
from kam.services.portfolio.indicators import QuarterFigures, RegionFigures
from kam.services.values.formatting import money, percent, text_table


def _pct(value: float | None) -> str:
    return "–" if value is None else percent(value)


def _growth(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1%}"


def indicators_report(
    portfolio: QuarterFigures, rows: list[RegionFigures], fmt: str, *, as_of
) -> str:
    """Each region's accounts, revenue and share of it, and its key-account share, retention
    and growth over the 12 months to the reference date, with the whole portfolio's last."""
    records = [
        {
            "region": r.name,
            "owner": r.owner,
            "accounts": r.accounts,
            "key_accounts": r.key_accounts,
            "revenue_minor": r.revenue_minor,
            "revenue_share": r.revenue_share,
            "key_share": r.figures.key_share,
            "retention": r.figures.retention,
            "kept": r.figures.kept,
            "lost": r.figures.lost,
            "key_growth": r.figures.key_growth,
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json(
            {
                "as_of": as_of.isoformat(),
                "quarter": portfolio.label,
                "portfolio": {
                    "key_share": portfolio.key_share,
                    "retention": portfolio.retention,
                    "kept": portfolio.kept,
                    "lost": portfolio.lost,
                    "key_growth": portfolio.key_growth,
                },
                "regions": records,
            }
        )
    if fmt == "csv":
        header = list(records[0]) if records else ["region"]
        return to_csv(header, ([rec[h] for h in header] for rec in records))
    table = text_table(
        ["Region", "Owner", "Accounts", "Key", "Revenue 12m", "Share", "Key share",
         "Retention", "Key growth"],
        [
            [r.name, r.owner or "–", f"{r.accounts:,}", f"{r.key_accounts:,}",
             money(r.revenue_minor), _pct(r.revenue_share), _pct(r.figures.key_share),
             f"{_pct(r.figures.retention)} ({r.figures.kept}/{r.figures.kept + r.figures.lost})",
             _growth(r.figures.key_growth)]
            for r in rows
        ]
        + [["whole portfolio", "", "", "", "", "100%", _pct(portfolio.key_share),
            f"{_pct(portfolio.retention)} ({portfolio.kept}/{portfolio.kept + portfolio.lost})",
            _growth(portfolio.key_growth)]],
        right={2, 3, 4, 5, 6, 7, 8},
    )  # fmt: skip
    return (
        f"Regions, the 12 months to {as_of.isoformat()} ({portfolio.label}); a region's "
        "figures include its territories'.\n\n"
        + table
        + "\nShare: of the portfolio's revenue. Key share: the key accounts' part of the "
        "region's revenue.\nRetention: of the accounts that were key a year ago, those still "
        "buying (kept/were key).\nKey growth: the key accounts' revenue against the 12 months "
        "before.\n"
    )


def health_by_region(rows: list[RegionHealth], as_of, fmt: str) -> str:
    records = [
        {
            "region": r.region,
            "watched": r.watched,
            **r.bands,
            "at_risk": r.at_risk,
            "average_score": None if r.average is None else round(r.average, 1),
        }
        for r in rows
    ]
    if fmt == "json":
        return to_json({"as_of": as_of.isoformat(), "regions": records})
    if fmt == "csv":
        header = list(records[0]) if records else ["region"]
        return to_csv(header, ([rec[h] for h in header] for rec in records))
    table = text_table(
        ["Region", "Watched", "Red", "Amber", "Green", "At risk", "Average"],
        [
            [
                r.region,
                f"{r.watched:,}",
                f"{r.bands['red']:,}",
                f"{r.bands['amber']:,}",
                f"{r.bands['green']:,}",
                f"{r.at_risk:,}",
                "–" if r.average is None else f"{r.average:.0f}",
            ]
            for r in rows
        ],
        right={1, 2, 3, 4, 5, 6},
    )
    return f"Account health by region, as of {as_of.isoformat()}\n\n{table}"


def narrowed(result: Classification, account_ids: Collection[uuid.UUID]) -> Classification:
    """The portfolio's classification with only a region's accounts: each keeps its class,
    tier and rank in the whole portfolio; the classes' sums are the region's."""
    kept = [a for a in result.accounts if uuid.UUID(str(a.account_id)) in account_ids]
    total = sum(a.revenue_minor for a in kept)
    ranked = sum(1 for a in kept if a.rank is not None)
    classes, running = [], 0
    for summary in result.classes:
        mine = [a for a in kept if a.account_class == summary.account_class]
        revenue = sum(a.revenue_minor for a in mine)
        running += revenue
        classes.append(
            ClassSummary(
                summary.account_class,
                len(mine),
                revenue,
                revenue / total if total else 0.0,
                running / total if total else 0.0,
                sum(1 for a in mine if a.rank is not None) / ranked if ranked else 0.0,
            )
        )
    return replace(
        result,
        accounts=kept,
        classes=classes,
        total_revenue_minor=total,
        ranked_accounts=ranked,
        ranked_units=ranked,
    )


def region_pareto_words(name: str, region: Classification, whole: Classification) -> str:
    key = sum(1 for a in region.accounts if a.is_key)
    share = (
        region.total_revenue_minor / whole.total_revenue_minor if whole.total_revenue_minor else 0
    )
    top = next((c for c in region.classes if c.account_class == AccountClass.core), None)
    return (
        f"Region {name}: {len(region.accounts):,} of the portfolio's {len(whole.accounts):,} "
        f"accounts, {key:,} of them key; {percent(share)} of the portfolio's revenue"
        + (f", {percent(top.share)} of it from its core accounts" if top is not None else "")
        + ".\nEach account keeps its class, tier and rank in the whole portfolio; the class "
        "sums below are the region's.\n"
    )
