"""A deal (an opportunity): what the account may buy, its stage and its odds."""

from __future__ import annotations

from kam.models import Opportunity
from kam.models.enums import BuyingFactor, OpportunityStage
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

DEAL = Entity("opportunities", Opportunity, (
    *UNDER_ACCOUNT,
    Field("title", "text", "Title", "title", required="a deal needs a title", aliases=aliases(
        "opportunity name|opportunity|deal name|deal|name|商机名称|机会名称|项目名称|商机")),
    Field("external_ref", "text", "", "external_ref",
          aliases=aliases("id|record id|deal id|opportunity id|opportunityid|crm id|商机编号")),
    Field("category", "text", "Category", "category", aliases=aliases("product|产品|类别")),
    Field("amount", "money", "Amount", "amount_minor",
          aliases=aliases("deal amount|金额|商机金额|预计金额")),
    Field("stage", "enum", "Stage", "stage", enum=OpportunityStage,
          default=OpportunityStage.prospecting, no_blank=True,
          aliases=aliases("stagename|deal stage|sales stage|阶段|销售阶段")),
    Field("probability", "percent", "Probability %", "probability", key="probability_override",
          aliases=aliases("probability (%)|deal probability|赢率|成交概率")),
    Field("expected_close", "date", "Expected close", "expected_close",
          aliases=aliases("close date|expected close date|预计成交日期|预计签约日期")),
    Field("impact_months", "int", "Impact (months)", "impact_months",
          placeholder="blank: 12 months"),
    Field("buying_factor", "enum", "Buys mainly on", "buying_factor", enum=BuyingFactor),
    Field("next_step", "text", "Next step", "next_step", aliases=aliases("下一步")),
    Field("next_step_due", "date", "Next step due", "next_step_due"),
    Field("owner", "member", "Owner", "owner_id", placeholder="nobody yet",
          aliases=aliases("opportunity owner|deal owner|负责人|销售")),
    Field("close_reason", "text", "Won/lost reason", "close_reason",
          placeholder="needed when won or lost",
          aliases=aliases("closed lost reason|loss reason|loss reason c|reason c|win loss reason c|"
                          "输赢原因")),
    Field("opened_on", "date", attr="opened_on",
          aliases=aliases("created date|create date|创建日期")),
    Field("closed_on", "date", attr="closed_on", aliases=aliases("closed date|实际成交日期")),
    # Salesforce's own flags beside its stage: checked against the stage, never stored.
    Field("is_closed", "flag", exported=False),
    Field("is_won", "flag", exported=False),
))  # fmt: skip
