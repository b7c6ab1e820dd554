"""The columns every file of rows under an account has: kam's id and the account."""

from __future__ import annotations

from kam.schema.fields import Field, aliases

ACCOUNT_NAMES = (
    "account|account name|company|company name|associated company|"
    "associated company (primary)|customer|customer name|organization|organisation|"
    "客户|客户名称|公司|公司名称|企业名称|单位"
)

KAM_ID = Field("kam_id", "id", aliases=aliases("kam id"))
ACCOUNT = Field("account", "account", aliases=aliases(ACCOUNT_NAMES), limit=200)
ACCOUNT_REF = Field(
    "account_id",
    "ref",
    aliases=aliases("account id|company id|associated company id|客户编号|客户id"),
)
UNDER_ACCOUNT = (KAM_ID, ACCOUNT, ACCOUNT_REF)
