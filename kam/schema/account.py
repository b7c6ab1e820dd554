"""An account: the customer as kam keeps it."""

from __future__ import annotations

from kam.models import Account
from kam.models.enums import (
    AccountStatus,
    BuyingFactor,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipType,
    ValueTier,
)
from kam.schema.common import ACCOUNT_NAMES, KAM_ID
from kam.schema.fields import Entity, Field, aliases

ACCOUNT = Entity("accounts", Account, (
    KAM_ID,
    Field("name", "text", "Name", "name", required="an account needs a name",
          aliases=aliases(f"{ACCOUNT_NAMES}|name|名称|客户全称")),
    Field("external_ref", "text", "", "external_ref",
          aliases=aliases("account id|id|record id|company id|crm id|客户编号|客户id|编号")),
    Field("industry", "text", "Industry", "industry", aliases=aliases("sector|行业|所属行业")),
    Field("region", "region", "Region", "region_id", key="region", limit=120,
          placeholder="a region or territory (→ completes; a new name makes a region)",
          aliases=aliases(
        "billing country|country|country/region|shipping country|territory|"
        "地区|区域|国家|国家/地区|省份")),
    Field("parent", "account", "Part of", "parent_id", key="parent",
          placeholder="the group or company it belongs to (→ completes)",
          aliases=aliases("parent account|parent account id|parent company|parent|"
                          "parentid|上级客户|上级单位|集团|所属集团|母公司")),
    Field("owner", "member", "Owner", "owner_id", placeholder="nobody yet",
          aliases=aliases("account owner|company owner|负责人|所有人|客户经理")),
    Field("status", "enum", "Status", "status", enum=AccountStatus,
          default=AccountStatus.active, no_blank=True, aliases=aliases("account status|状态")),
    Field("relationship_stage", "enum", "Relationship stage", "relationship_stage",
          enum=RelationshipStage, default=RelationshipStage.transactional, no_blank=True,
          aliases=aliases("关系阶段")),
    Field("relationship_horizon", "enum", "Horizon", "relationship_horizon",
          enum=RelationshipHorizon, default=RelationshipHorizon.long_term),
    Field("relationship_type", "enum", "Relationship type", "relationship_type",
          enum=RelationshipType, default=RelationshipType.relational, no_blank=True),
    Field("buying_factor", "enum", "Buys mainly on", "buying_factor", enum=BuyingFactor),
    Field("strategic", "flag", "Strategic", "strategic", placeholder="strategic account",
          aliases=aliases("strategic account|战略客户")),
    Field("emerging", "flag", "Emerging", "emerging", placeholder="small now, expected to grow",
          aliases=aliases("潜力客户")),
    Field("tier_override", "enum", "Tier set by hand", "tier_override", enum=ValueTier,
          placeholder="computed", aliases=aliases("tier")),
    Field("tier_override_reason", "text", "Why set by hand", "tier_override_reason",
          aliases=aliases("tier reason")),
    Field("customer_since", "date", "Customer since", "customer_since", not_future=True,
          aliases=aliases("客户起始日期|合作开始日期")),
    Field("annual_revenue", "money", "Their annual revenue", "annual_revenue_minor",
          placeholder="the customer's own size, e.g. 250,000,000",
          aliases=aliases("annualrevenue|年收入|年营业额|营业收入")),
    Field("notes", "long", "Notes", "notes", aliases=aliases("description|备注|描述|说明")),
))  # fmt: skip
