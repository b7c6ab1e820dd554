"""Their side: the customer's contacts, their needs, and the relationship map.

The map is the org tree of reports-to lines; its warnings say when a key account lacks a
decision maker, a champion, or anyone we know well.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam import schema
from kam.errors import KamError
from kam.models import Account, Contact, ContactNeed, TeamMember
from kam.models.enums import (
    Attitude,
    BuyingRole,
    HistorySubject,
    Influence,
    NeedKind,
    NeedVisibility,
    RelationshipStrength,
)
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.people import team
from kam.services.unit import reads, writes

CONTACT_FIELDS = tuple(f.form_key for f in schema.CONTACT.form_fields)
_REFERENCES = ("reports_to_id", "owner_id")
STRONG = {RelationshipStrength.strong, RelationshipStrength.trusted}


@dataclass
class ContactRow:
    id: uuid.UUID
    version: int
    name: str
    title: str | None
    department: str | None
    email: str | None
    phone: str | None
    buying_role: BuyingRole | None
    attitude: Attitude
    influence: Influence
    strength: RelationshipStrength
    reports_to_id: uuid.UUID | None
    owner: str | None
    left_on: date | None
    needs: list[NeedRow] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return self.left_on is None


@dataclass(frozen=True)
class NeedRow:
    id: uuid.UUID
    kind: NeedKind
    visibility: NeedVisibility
    text: str


def account_contacts(session: Session, account_id: uuid.UUID) -> list[ContactRow]:
    """All contacts of an account (those who left too), by name, with their needs."""
    contact = Contact.__table__
    member = TeamMember.__table__
    conn = session.connection()
    rows = [
        ContactRow(
            id=r.id,
            version=r.version,
            name=r.name,
            title=r.title,
            department=r.department,
            email=r.email,
            phone=r.phone,
            buying_role=BuyingRole(r.buying_role) if r.buying_role else None,
            attitude=Attitude(r.attitude),
            influence=Influence(r.influence),
            strength=RelationshipStrength(r.strength),
            reports_to_id=r.reports_to_id,
            owner=r.owner,
            left_on=r.left_on,
        )
        for r in conn.execute(
            sa.select(contact, member.c.name.label("owner"))
            .outerjoin(member, member.c.id == contact.c.owner_id)
            .where(contact.c.account_id == account_id)
            .order_by(sa.func.lower(contact.c.name))
        )
    ]
    by_id = {r.id: r for r in rows}
    need = ContactNeed.__table__
    if by_id:
        for n in conn.execute(
            sa.select(need)
            .where(need.c.contact_id.in_(list(by_id)))
            .order_by(need.c.kind, need.c.created_at)
        ):
            by_id[n.contact_id].needs.append(
                NeedRow(n.id, NeedKind(n.kind), NeedVisibility(n.visibility), n.text)
            )
    return rows


# --- the relationship map ----------------------------------------------------------------


@dataclass
class OrgNode:
    contact: ContactRow
    reports: list[OrgNode] = field(default_factory=list)


def org_tree(contacts: list[ContactRow]) -> list[OrgNode]:
    """Reports-to lines as a forest: people whose manager is unknown (or outside the account)
    are roots. A reports-to loop, which the service refuses but an import could bring, is
    cut where it closes, so every contact appears exactly once."""
    nodes = {c.id: OrgNode(c) for c in contacts}

    def boss_in_tree(contact_id: uuid.UUID) -> uuid.UUID | None:
        node = nodes.get(contact_id)
        return node.contact.reports_to_id if node else None

    roots: list[OrgNode] = []
    for contact in contacts:
        boss = contact.reports_to_id
        if boss in nodes and not reports_up_to(boss, contact.id, boss_in_tree):
            nodes[boss].reports.append(nodes[contact.id])
        else:
            roots.append(nodes[contact.id])
    return roots


def reports_up_to(
    start: uuid.UUID, target: uuid.UUID, boss_of: Callable[[uuid.UUID], uuid.UUID | None]
) -> bool:
    """Whether following reports-to lines up from `start` arrives at `target` (stopping at
    a loop, which an import could bring)."""
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = boss_of(current)
    return False


def relationship_warnings(contacts: list[ContactRow], *, key_account: bool) -> list[str]:
    """What is missing from a key account's relationship map, in words."""
    if not key_account:
        return []
    current = [c for c in contacts if c.current]
    if not current:
        return ["no contacts at all: we know nobody at this key account"]
    warnings = []
    if len(current) == 1:
        warnings.append(f"only one contact ({current[0].name}): a single thread")
    if not any(c.buying_role == BuyingRole.decision_maker for c in current):
        warnings.append("no decision maker among the contacts")
    if not any(
        c.buying_role == BuyingRole.champion or c.attitude == Attitude.champion for c in current
    ):
        warnings.append("no champion: nobody sells for us inside the customer")
    if not any(c.strength in STRONG for c in current):
        warnings.append("no strong or trusted relationship with anyone")
    return warnings


# --- writing -------------------------------------------------------------------------------


def contact_values(contact: Contact) -> dict[str, Any]:
    return {f: getattr(contact, f) for f in CONTACT_FIELDS}


def _subject(contact: Contact) -> history.Subject:
    return history.Subject(contact.account_id, HistorySubject.contact, contact.id, contact.name)


def read_contact_form(
    session: Session,
    account_id: uuid.UUID,
    raw: Mapping[str, Any],
    *,
    contact_id: uuid.UUID | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    r = FormReader(raw, as_of)

    def same_account(other: uuid.UUID) -> bool:
        boss = session.get(Contact, other)
        return boss is not None and boss.account_id == account_id

    values: dict[str, Any] = r.values(
        schema.CONTACT, *(f for f in CONTACT_FIELDS if f not in _REFERENCES)
    )
    values["reports_to_id"] = r.reference("reports_to_id", same_account, "contact of this account")
    values["owner_id"] = r.reference(
        "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
    )
    values = {key: values[key] for key in CONTACT_FIELDS}
    boss = values["reports_to_id"]
    if boss is not None and contact_id is not None:
        if boss == contact_id:
            r.fail("reports_to_id", "a contact cannot report to themselves")
        elif reports_up_to(boss, contact_id, lambda c: _boss_in_database(session, c)):
            r.fail("reports_to_id", "that would make a reporting loop")
    r.check()
    return values


def _boss_in_database(session: Session, contact_id: uuid.UUID) -> uuid.UUID | None:
    row = session.get(Contact, contact_id)
    return row.reports_to_id if row else None


def _readable(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if out.get("reports_to_id") is not None:
        boss = session.get(Contact, out["reports_to_id"])
        out["reports_to_id"] = boss.name if boss else out["reports_to_id"]
    if out.get("owner_id") is not None:
        member = session.get(TeamMember, out["owner_id"])
        out["owner_id"] = member.name if member else out["owner_id"]
    return {k.removesuffix("_id"): v for k, v in out.items()}


@writes
def create_contact(
    session: Session,
    account_id: uuid.UUID,
    raw: Mapping[str, Any],
    user: str,
    *,
    as_of: date | None = None,
) -> Contact:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    values = read_contact_form(session, account_id, raw, as_of=as_of)
    contact = Contact(account_id=account_id, **values)
    session.add(contact)
    session.flush()
    history.record(session, _subject(contact), history.CREATED, None, contact.name, user)
    return contact


def open_contact_form(session: Session, contact_id: uuid.UUID) -> Base:
    contact = _get(session, contact_id)
    return Base(contact.version, contact_values(contact))


def _get(session: Session, contact_id: uuid.UUID) -> Contact:
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise KamError("that contact no longer exists")
    return contact


@writes
def update_contact(
    session: Session,
    contact_id: uuid.UUID,
    base: Base,
    raw: Mapping[str, Any],
    user: str,
    *,
    as_of: date | None = None,
) -> Contact:
    contact = _get(session, contact_id)
    mine = read_contact_form(session, contact.account_id, raw, contact_id=contact_id, as_of=as_of)
    current = Base(contact.version, contact_values(contact))
    changes = merge(base, current, mine)
    if not changes:
        return contact
    before = _readable(session, {f: current.values[f] for f in changes})
    for name, value in changes.items():
        setattr(contact, name, value)
    history.record_changes(session, _subject(contact), before, _readable(session, changes), user)
    session.flush()
    return contact


@writes
def remove_contact(session: Session, contact_id: uuid.UUID, user: str) -> None:
    """For a contact entered by mistake; people who moved on get a left-the-company date."""
    contact = _get(session, contact_id)
    history.record(session, _subject(contact), history.REMOVED, contact.name, None, user)
    session.delete(contact)
    session.flush()


@writes
def add_need(
    session: Session, contact_id: uuid.UUID, raw: Mapping[str, Any], user: str
) -> ContactNeed:
    contact = _get(session, contact_id)
    r = FormReader(raw)
    kind = r.choice("kind", NeedKind, required=True)
    visibility = r.choice("visibility", NeedVisibility) or NeedVisibility.explicit
    text = r.long_text("text")
    if not text:
        r.fail("text", "say what they need")
    r.check()
    need = ContactNeed(contact_id=contact_id, kind=kind, visibility=visibility, text=text)
    session.add(need)
    session.flush()
    subject = history.Subject(contact.account_id, HistorySubject.need, need.id, contact.name)
    history.record(session, subject, f"{kind.value} need", None, f"{text} ({visibility})", user)
    return need


@writes
def remove_chosen_need(session: Session, raw: Mapping[str, Any], user: str) -> uuid.UUID:
    """The need a form chose (`raw["need_id"]`) off the record; its id."""
    try:
        need_id = uuid.UUID(str(raw.get("need_id")))
    except ValueError:
        raise KamError("choose a need") from None
    remove_need(session, need_id, user)
    return need_id


def remove_need(session: Session, need_id: uuid.UUID, user: str) -> None:
    need = session.get(ContactNeed, need_id)
    if need is None:
        raise KamError("that need no longer exists")
    contact = _get(session, need.contact_id)
    subject = history.Subject(contact.account_id, HistorySubject.need, need.id, contact.name)
    history.record(session, subject, f"{need.kind.value} need", need.text, None, user)
    session.delete(need)
    session.flush()


@reads
def contact_form(
    session: Session, account_id: uuid.UUID, contact_id: uuid.UUID | None = None
) -> tuple[Base | None, list[team.MemberChoice], list[ContactRow]]:
    """A contact as its form opens (None for a new one), who on our side can know them best,
    and their colleagues (whom they may report to)."""
    base = open_contact_form(session, contact_id) if contact_id is not None else None
    owner = base.values["owner_id"] if base is not None else None
    return base, team.members(session, include=owner), account_contacts(session, account_id)
