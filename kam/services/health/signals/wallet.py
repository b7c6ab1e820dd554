"""Share of wallet: whether our share of what the customer spends grows, and whether we grow
as fast as they do."""

from __future__ import annotations

from datetime import date
from typing import Any

from kam.services.health.facts import Ask, Seen, clamp
from kam.services.values.formatting import percent
from kam.services.wallet import share_of_wallet as wallet

KEY = "wallet"
TITLE = "Share of wallet"
WEIGHT = 10
ALARM = False


def read(ask: Ask) -> dict[Any, wallet.AccountWalletRow]:
    # Estimates from last year on: this year against last, or last against the one before
    # when this year has none yet. The same read for one account as for all of them.
    return {
        ask.key_of(r.account_id): r
        for r in wallet.portfolio_wallet(
            ask.session,
            ask.as_of,
            competitors=False,
            since=date(ask.as_of.year - 1, 1, 1),
            accounts=ask.accounts,
        )
    }


def judge(seen: Seen, facts: dict[Any, wallet.AccountWalletRow]) -> tuple[int | None, str]:
    row = facts.get(seen.account)
    if row is None or row.share is None:
        return None, "no wallet estimate"
    scores, words = [], [f"share of wallet {percent(row.share, 0)} in {row.period}"]
    if row.share_change is not None:
        scores.append(70 + 600 * row.share_change)
        words.append(f"{row.share_change * 100:+.1f} pts")
    gap = row.growth_gap
    if gap is not None:
        scores.append(70 + 300 * gap)
        if gap < 0:
            words.append(
                f"we grow {wallet.signed_percent(row.our_growth)} while they grow "
                f"{wallet.signed_percent(row.customer_growth)}"
            )
    if row.whitespace:
        words.append(f"whitespace: {', '.join(row.whitespace[:3])}")
    return (clamp(min(scores)) if scores else None), ", ".join(words)
