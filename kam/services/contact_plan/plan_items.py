"""Plan items: an account's recurring or one-off contacts with their cadence and next due date;
adding, editing, snoozing and removing them.

Dates are local calendar dates throughout (`date`, never a moment), so a laptop changing
time zone moves nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    Contact,
    PlanItem,
    TeamMember,
)
from kam.models.enums import (
    ActivityKind,
    HistorySubject,
)
from kam.services.contact_plan import cadence
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.unit import writes
from kam.services.values.formatting import words

_plan = PlanItem.__table__
_contact = Contact.__table__
_member = TeamMember.__table__


# --- plan items ----------------------------------------------------------------------------


def item_subject(item: PlanItem) -> history.Subject:
    label = f"{words(item.kind)} ({cadence.describe(item.rule)})"
    return history.Subject(item.account_id, HistorySubject.plan, item.id, label)


@dataclass(frozen=True)
class PlanRow:
    id: uuid.UUID
    kind: ActivityKind
    rule: str
    owner: str | None
    owner_id: uuid.UUID | None
    contact: str | None
    contact_id: uuid.UUID | None
    next_due: date
    active: bool
    policy: str | None
    note: str

    @property
    def cadence(self) -> str:
        return cadence.describe(self.rule)


def account_plan(session: Session, account_id: uuid.UUID) -> list[PlanRow]:
    """Active items by due date, then stopped ones."""
    rows = session.connection().execute(
        sa.select(
            _plan.c.id,
            _plan.c.kind,
            _plan.c.rule,
            _member.c.name.label("owner"),
            _plan.c.owner_id,
            _contact.c.name.label("contact"),
            _plan.c.contact_id,
            _plan.c.next_due,
            _plan.c.active,
            _plan.c.policy,
            _plan.c.note,
        )
        .select_from(
            _plan.outerjoin(_member, _member.c.id == _plan.c.owner_id).outerjoin(
                _contact, _contact.c.id == _plan.c.contact_id
            )
        )
        .where(_plan.c.account_id == account_id)
        .order_by(_plan.c.active.desc(), _plan.c.next_due, _plan.c.id)
    )
    return [
        PlanRow(
            r.id,
            ActivityKind(r.kind),
            r.rule,
            r.owner,
            r.owner_id,
            r.contact,
            r.contact_id,
            r.next_due,
            bool(r.active),
            r.policy,
            r.note or "",
        )
        for r in rows
    ]


PLAN_FIELDS = ("kind", "cadence", "owner_id", "contact_id", "next_due", "active", "note")


def plan_values(item: PlanItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "cadence": cadence.describe(item.rule) if item.rule else "",
        "owner_id": item.owner_id,
        "contact_id": item.contact_id,
        "next_due": item.next_due,
        "active": item.active,
        "note": item.note,
    }


def _read_plan_form(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], as_of: date
) -> dict[str, Any]:
    r = FormReader(raw, as_of)
    values: dict[str, Any] = {
        "kind": r.choice("kind", ActivityKind, required=True),
        "owner_id": r.reference(
            "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
        ),
        "contact_id": r.reference(
            "contact_id",
            lambda i: contact_of_account(session, i, account_id),
            "contact of this account",
        ),
        "next_due": r.day("next_due"),
        "active": r.flag("active"),
        "note": r.text("note", limit=500) or "",
    }
    try:
        values["rule"] = cadence.parse_cadence(str(raw.get("cadence") or ""))
    except InputError as exc:
        r.fail("cadence", str(exc))
    r.check()
    return values


def contact_of_account(session: Session, contact_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    contact = session.get(Contact, contact_id)
    return contact is not None and contact.account_id == account_id


@writes
def create_item(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], user: str, as_of: date
) -> PlanItem:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    values = _read_plan_form(session, account_id, {"active": True, **raw}, as_of)
    rule = values.pop("rule")
    due = values.pop("next_due") or cadence.first_on_or_after(rule, as_of, as_of) or as_of
    item = PlanItem(account_id=account_id, rule=rule, next_due=due, starts_on=due, **values)
    session.add(item)
    session.flush()
    history.record(session, item_subject(item), history.CREATED, None, cadence.describe(rule), user)
    return item


def open_item_form(session: Session, item_id: uuid.UUID) -> Base:
    item = get_item(session, item_id)
    return Base(item.version, plan_values(item))


def get_item(session: Session, item_id: uuid.UUID) -> PlanItem:
    item = session.get(PlanItem, item_id, with_for_update=True)
    if item is None:
        raise KamError("that plan item no longer exists")
    return item


@writes
def update_item(
    session: Session,
    item_id: uuid.UUID,
    base: Base,
    raw: Mapping[str, Any],
    user: str,
    as_of: date,
) -> PlanItem:
    item = get_item(session, item_id)
    values = _read_plan_form(session, item.account_id, raw, as_of)
    mine = {k: values[k] for k in values if k != "rule"}
    mine["cadence"] = cadence.describe(values["rule"]) if values["rule"] else ""
    if mine.get("next_due") is None:
        mine["next_due"] = item.next_due
    current = Base(item.version, plan_values(item))
    changes = merge(base, current, mine)
    if not changes:
        return item
    before = {k: current.values[k] for k in changes}
    for name, value in changes.items():
        if name == "cadence":
            item.rule = values["rule"]
            item.starts_on = changes.get("next_due", item.next_due)
            item.policy = None  # changed by hand: no longer the policy's
        else:
            setattr(item, name, value)
    history.record_changes(session, item_subject(item), _readable(session, before),
                           _readable(session, changes), user)  # fmt: skip
    session.flush()
    return item


def _readable(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key, table in (("owner_id", TeamMember), ("contact_id", Contact)):
        if out.get(key) is not None:
            row = session.get(table, out[key])
            out[key] = row.name if row else out[key]
    return {k.removesuffix("_id"): v for k, v in out.items()}


@writes
def remove_item(session: Session, item_id: uuid.UUID, user: str) -> None:
    item = get_item(session, item_id)
    history.record(session, item_subject(item), history.REMOVED, words(item.kind), None, user)
    session.delete(item)
    session.flush()


@writes
def snooze(
    session: Session, item_id: uuid.UUID, raw: Mapping[str, Any], user: str, as_of: date
) -> PlanItem:
    """Move this one due date; the cadence keeps its schedule after it."""
    item = get_item(session, item_id)
    r = FormReader(raw, as_of)
    until = r.day("until")
    if until is None:
        r.fail("until", "to which day?")
    elif until < as_of:
        r.fail("until", f"a day from today ({as_of}) on")
    r.check()
    assert until is not None
    history.record(session, item_subject(item), "next due", item.next_due, until, user)
    item.next_due = until
    session.flush()
    return item
