"""A key contact left: a decision maker, a champion or a person of high influence, lately."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from kam.models import Contact
from kam.models.enums import Attitude, BuyingRole, Influence
from kam.services.health.facts import Ask, Seen

KEY = "contact_left"
TITLE = "Key contact left"
WEIGHT = 8
ALARM = True

_contact = Contact.__table__


def read(ask: Ask) -> dict[Any, list[tuple[str, str, date]]]:
    since = ask.as_of - relativedelta(months=ask.settings.contact_left_months)
    found: dict[Any, list[tuple[str, str, date]]] = {}
    for account, name, role, influence, left_on in ask.conn.execute(
        sa.select(
            ask.key(_contact.c.account_id),
            _contact.c.name,
            _contact.c.buying_role,
            _contact.c.influence,
            _contact.c.left_on,
        )
        .where(
            ask.scope(_contact.c.account_id),
            _contact.c.left_on > since,
            _contact.c.left_on <= ask.as_of,
            sa.or_(
                _contact.c.buying_role.in_(
                    [BuyingRole.decision_maker.value, BuyingRole.champion.value]
                ),
                _contact.c.attitude == Attitude.champion.value,
                _contact.c.influence == Influence.high.value,
            ),
        )
        .order_by(_contact.c.left_on.desc())
    ):
        what = (role or "").replace("_", " ") or f"{influence} influence"
        found.setdefault(account, []).append((name, what, left_on))
    return found


def judge(seen: Seen, facts: dict[Any, list[tuple[str, str, date]]]) -> tuple[int | None, str]:
    left = facts.get(seen.account, [])
    if not left:
        return 100, "no key contact left"
    name, what, day = left[0]
    more = f" and {len(left) - 1} more" if len(left) > 1 else ""
    return 0, f"{name} ({what}) left on {day}{more}"
