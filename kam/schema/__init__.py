"""One declaration per editable entity: its fields, labels, kinds, limits, the headers files
give them and the columns export writes. Forms, import, export and validation read these."""

from __future__ import annotations

from kam.schema.account import ACCOUNT
from kam.schema.contact import CONTACT
from kam.schema.deal import DEAL
from kam.schema.fields import Entity, Field
from kam.schema.revenue import REVENUE
from kam.schema.wallet import WALLET

ENTITIES: dict[str, Entity] = {e.name: e for e in (ACCOUNT, CONTACT, REVENUE, DEAL, WALLET)}
KINDS = tuple(ENTITIES)

__all__ = [
    "ACCOUNT", "CONTACT", "DEAL", "ENTITIES", "KINDS", "REVENUE", "WALLET", "Entity", "Field",
]  # fmt: skip
