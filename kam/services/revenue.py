"""Revenue lines: what each account bought, and what it cost us to serve."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session

from kam.errors import InputError
from kam.models import Account, RevenueLine
from kam.services import settings as settings_service


def add_revenue(
    session: Session,
    account_id: uuid.UUID,
    booked_on: date,
    amount_minor: int,
    *,
    cost_minor: int = 0,
    category: str = "General",
) -> RevenueLine:
    if session.get(Account, account_id) is None:
        raise InputError("account: no such account", "account")
    if amount_minor < 0:
        raise InputError("amount: must not be negative", "amount")
    if cost_minor < 0:
        raise InputError("cost: must not be negative", "cost")
    category = " ".join((category or "").split())
    if not category:
        raise InputError("category: a revenue line needs a category", "category")
    line = RevenueLine(
        account_id=account_id,
        booked_on=booked_on,
        amount_minor=amount_minor,
        cost_minor=cost_minor,
        category=category,
    )
    session.add(line)
    session.flush()
    settings_service.bump_data_version(session)
    return line
