"""A wallet estimate: what the account spends on a category with every supplier."""

from __future__ import annotations

from kam.models import WalletEstimate
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

WALLET = Entity("wallet", WalletEstimate, (
    *UNDER_ACCOUNT,
    Field("category", "text", "Category", "category", required="what they buy",
          placeholder="what they buy, e.g. Spare parts", aliases=aliases("product|产品|类别|品类")),
    Field("period", "period", "Period", required="a year or a quarter",
          placeholder="a year (2026) or a quarter (2026-Q3)",
          aliases=aliases("year|quarter|年份|年度|期间")),
    Field("total_spend", "money", "Their spend", "total_spend_minor", key="spend",
          required="their spend", placeholder="all suppliers together, e.g. 1,250,000",
          aliases=aliases("spend|wallet|total wallet|总支出|采购总额")),
    Field("customer_growth", "growth", "Their growth", "customer_growth",
          placeholder="e.g. 12% (blank: from last period)", aliases=aliases("growth|客户增长")),
    Field("competitors", "competitors", "Competitors",
          placeholder="e.g. Acme 30%, Beta 15%", aliases=aliases("竞争对手")),
    Field("notes", "text", "Notes", "notes", aliases=aliases("备注")),
))  # fmt: skip
