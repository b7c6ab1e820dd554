"""A revenue line: what the account bought, when, and what it cost us to serve."""

from __future__ import annotations

from kam.models import RevenueLine
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

REVENUE = Entity("revenue", RevenueLine, (
    *UNDER_ACCOUNT,
    Field("booked_on", "date", attr="booked_on", required="when it was booked",
          aliases=aliases("date|invoice date|booked|日期|开票日期|入账日期")),
    Field("category", "text", attr="category", required="what was sold",
          aliases=aliases("product|product family|product category|产品|类别|品类|产品类别")),
    Field("amount", "money", attr="amount_minor", required="the amount",
          aliases=aliases("revenue|net amount|金额|收入|销售额")),
    Field("cost", "money", attr="cost_minor", aliases=aliases("cost to serve|成本|服务成本")),
))  # fmt: skip
