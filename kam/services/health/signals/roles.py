"""Buying roles: whether we know a decision maker and a champion among the current contacts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kam.models import Contact
from kam.models.enums import Attitude, BuyingRole
from kam.services.health.facts import Ask, Seen

KEY = "roles"
TITLE = "Buying roles"
WEIGHT = 6
ALARM = False

_contact = Contact.__table__


def read(ask: Ask) -> dict[Any, tuple[int, int, int]]:
    """Per account: current contacts, decision makers and champions among them."""
    current = sa.or_(_contact.c.left_on.is_(None), _contact.c.left_on > ask.as_of)
    champion = sa.or_(
        _contact.c.buying_role == BuyingRole.champion.value,
        _contact.c.attitude == Attitude.champion.value,
    )

    def counted(condition: sa.ColumnElement) -> Any:
        return sa.func.sum(sa.case((sa.and_(current, condition), 1), else_=0))

    return {
        account: (int(n or 0), int(dm or 0), int(champ or 0))
        for account, n, dm, champ in ask.conn.execute(
            sa.select(
                ask.key(_contact.c.account_id),
                counted(sa.true()),
                counted(_contact.c.buying_role == BuyingRole.decision_maker.value),
                counted(champion),
            )
            .where(ask.scope(_contact.c.account_id))
            .group_by(_contact.c.account_id)
        )
    }


def judge(seen: Seen, facts: dict[Any, tuple[int, int, int]]) -> tuple[int | None, str]:
    current, dms, champions = facts.get(seen.account, (0, 0, 0))
    if current == 0:
        return 0, "we know nobody there"
    missing = [m for m, n in (("decision maker", dms), ("champion", champions)) if not n]
    if not missing:
        return 100, "decision maker and champion known"
    people = f"{current} contact{'s' if current > 1 else ''}"
    return 100 - 50 * len(missing), f"no {' and no '.join(missing)} among {people}"
