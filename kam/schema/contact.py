"""A contact: a person at the customer."""

from __future__ import annotations

from kam.models import Contact
from kam.models.enums import Attitude, BuyingRole, Influence, RelationshipStrength
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

CONTACT = Entity("contacts", Contact, (
    *UNDER_ACCOUNT,
    Field("name", "text", "Name", "name", required="a contact needs a name",
          aliases=aliases("full name|contact name|contact|姓名|联系人")),
    Field("external_ref", "text", "", "external_ref",
          aliases=aliases("id|record id|contact id|contactid|crm id|联系人编号")),
    # Files often split the name; import joins the two when there is no full name.
    Field("first_name", "text", aliases=aliases("first name|given name|名"), limit=120,
          exported=False),
    Field("last_name", "text", aliases=aliases("last name|surname|family name|姓"), limit=120,
          exported=False),
    Field("title", "text", "Title", "title", aliases=aliases("job title|职位|职务|头衔")),
    Field("department", "text", "Department", "department", aliases=aliases("部门")),
    Field("email", "email", "E-mail", "email",
          aliases=aliases("email address|e-mail|邮箱|电子邮件|邮件")),
    Field("phone", "text", "Phone", "phone",
          aliases=aliases("phone number|mobile|mobile phone|电话|手机|联系电话")),
    Field("buying_role", "enum", "Buying role", "buying_role", enum=BuyingRole,
          aliases=aliases("role|采购角色")),
    Field("attitude", "enum", "Attitude to us", "attitude", enum=Attitude,
          default=Attitude.neutral, no_blank=True, aliases=aliases("态度")),
    Field("influence", "enum", "Influence", "influence", enum=Influence,
          default=Influence.medium, no_blank=True, aliases=aliases("影响力")),
    Field("strength", "enum", "Our relationship", "strength", enum=RelationshipStrength,
          default=RelationshipStrength.none, no_blank=True,
          aliases=aliases("relationship strength|关系强度")),
    Field("reports_to", "contact", "Reports to", "reports_to_id", placeholder="nobody here",
          limit=120, aliases=aliases("manager|上级")),
    Field("owner", "member", "Known best by", "owner_id", placeholder="nobody on our side",
          aliases=aliases("contact owner|负责人")),
    Field("left_on", "date", "Left the company on", "left_on", placeholder="still there",
          not_future=True, aliases=aliases("left|离职日期")),
    Field("notes", "long", "Notes", "notes", aliases=aliases("description|备注")),
))  # fmt: skip
