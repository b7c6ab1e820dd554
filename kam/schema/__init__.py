"""One declaration per editable entity: its fields, labels, kinds, limits, the headers files
give them and the columns export writes. Forms, import, export and validation read these."""

from __future__ import annotations

from kam.schema.account import ACCOUNT
from kam.schema.activity import ACTIVITY
from kam.schema.contact import CONTACT
from kam.schema.deal import DEAL
from kam.schema.engagement import COMPLAINT, PLAN, SATISFACTION, TEAM
from kam.schema.fields import Entity, Field
from kam.schema.revenue import REVENUE
from kam.schema.wallet import WALLET

# In the order an import of everything reads them: an activity names contacts and deals.
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        ACCOUNT,
        CONTACT,
        REVENUE,
        DEAL,
        WALLET,
        ACTIVITY,
        TEAM,
        COMPLAINT,
        SATISFACTION,
        PLAN,
    )
}
KINDS = tuple(ENTITIES)

__all__ = [
    "ACCOUNT", "ACTIVITY", "COMPLAINT", "CONTACT", "DEAL", "ENTITIES", "KINDS", "PLAN", "REVENUE",
    "SATISFACTION", "TEAM", "WALLET",
    "Entity", "Field",
]  # fmt: skip
