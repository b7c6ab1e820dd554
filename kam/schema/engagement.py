"""The account team on our side, complaints and satisfaction scores: rows under an account
that files bring from another CRM or a survey tool."""

from __future__ import annotations

from kam.models import AccountTeamMember, Complaint, PlanItem, SatisfactionScore
from kam.models.enums import ActivityKind, ComplaintSeverity, TeamRole
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

TEAM = Entity("team", AccountTeamMember, (
    *UNDER_ACCOUNT,
    Field("member", "member", attr="member_id", required="who on our side",
          aliases=aliases("team member|user|name|person|成员|人员|姓名")),
    Field("role", "enum", attr="role", enum=TeamRole, required="the role they play",
          aliases=aliases("team role|角色|职责")),
))  # fmt: skip

COMPLAINT = Entity("complaints", Complaint, (
    *UNDER_ACCOUNT,
    Field("opened_on", "date", attr="opened_on", required="when it was raised",
          aliases=aliases("date|opened|created date|date opened|投诉日期|日期")),
    Field("closed_on", "date", attr="closed_on",
          aliases=aliases("closed|date closed|resolved on|关闭日期|解决日期")),
    Field("severity", "enum", attr="severity", enum=ComplaintSeverity,
          default=ComplaintSeverity.medium, no_blank=True,
          aliases=aliases("priority|严重程度|级别")),
    Field("summary", "long", attr="summary",
          aliases=aliases("subject|description|内容|投诉内容|摘要")),
))  # fmt: skip

SATISFACTION = Entity("satisfaction", SatisfactionScore, (
    *UNDER_ACCOUNT,
    Field("surveyed_on", "date", attr="surveyed_on", required="when they answered",
          aliases=aliases("date|survey date|response date|调查日期|日期")),
    Field("score", "int", attr="score", required="the score from 0 to 10",
          aliases=aliases("nps|rating|csat|评分|满意度")),
    Field("comment", "long", attr="comment", aliases=aliases("comments|feedback|评价|意见")),
))  # fmt: skip

PLAN = Entity("plans", PlanItem, (
    *UNDER_ACCOUNT,
    Field("kind", "enum", attr="kind", enum=ActivityKind,
          required="what kind of contact is planned (visit, call, email, …)",
          aliases=aliases("type|activity|activity type|类型|方式")),
    # The cadence in words (every 2 weeks, monthly, first Monday of the month) or as an RRULE,
    # which export writes so that import reads it back exactly; blank: once.
    Field("cadence", "text", attr="rule", limit=300,
          aliases=aliases("rule|rrule|frequency|recurrence|repeats|频率|周期")),
    Field("next_due", "date", attr="next_due", required="when it is due next",
          aliases=aliases("due|due date|next date|next due date|下次日期|到期日")),
    Field("starts_on", "date", attr="starts_on",
          aliases=aliases("start|start date|开始日期")),
    Field("contact", "contact", attr="contact_id", limit=120,
          aliases=aliases("contact name|with|联系人")),
    Field("owner", "member", attr="owner_id", aliases=aliases("assigned to|负责人")),
    Field("active", "flag", attr="active"),
    Field("note", "text", attr="note", aliases=aliases("notes|description|备注")),
))  # fmt: skip
