"""A contact with an account that happened: a visit, a call, an e-mail, with whom on both
sides, and what came of it."""

from __future__ import annotations

from kam.models import Activity
from kam.models.enums import ActivityKind, Sentiment
from kam.schema.common import UNDER_ACCOUNT
from kam.schema.fields import Entity, Field, aliases

# Names in one cell are separated by `;` (a name may hold a comma: "Lima, Ana").
ACTIVITY = Entity("activities", Activity, (
    *UNDER_ACCOUNT,
    Field("occurred_on", "date", attr="occurred_on", required="when it happened",
          aliases=aliases("date|activity date|meeting date|start date|日期|拜访日期|时间")),
    Field("kind", "enum", attr="kind", enum=ActivityKind,
          required="what kind of contact it was (visit, call, email, …)",
          aliases=aliases("type|activity type|类型|方式|拜访方式")),
    Field("summary", "long", attr="summary",
          aliases=aliases("subject|description|notes|内容|摘要|主题")),
    Field("outcome", "long", attr="outcome", aliases=aliases("result|结果")),
    Field("sentiment", "enum", attr="sentiment", enum=Sentiment, default=Sentiment.neutral,
          no_blank=True, aliases=aliases("mood|情绪")),
    Field("follow_up_on", "date", attr="follow_up_on",
          aliases=aliases("follow up|follow-up date|跟进日期")),
    Field("contacts", "text", limit=2000,
          aliases=aliases("contact|contact names|attendees|their side|联系人|参与人")),
    Field("with", "text", limit=2000, aliases=aliases("our side|team|assigned to|陪同|我方人员")),
    Field("deal", "text", limit=200, aliases=aliases("opportunity|deal name|商机")),
))  # fmt: skip
