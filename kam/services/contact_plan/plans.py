"""Contact plans and logged activities: service policies per tier, plan items with their
cadence, logging what happened (which moves the plan on), last contact, and the agenda.

Dates are local calendar dates throughout (`date`, never a moment), so a laptop changing
time zone moves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, InputErrors, KamError
from kam.models import (
    Account,
    AccountClassification,
    Activity,
    ActivityContact,
    ActivityMember,
    Contact,
    Opportunity,
    PlanItem,
    TeamMember,
)
from kam.models.enums import (
    OPEN_STAGES,
    AccountClass,
    AccountStatus,
    ActivityKind,
    HistorySubject,
    Sentiment,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.accounts.listing import archived_ids, name_contains
from kam.services.contact_plan import cadence
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.unit import reads, writes

_plan = PlanItem.__table__
_act = Activity.__table__
_act_contact = ActivityContact.__table__
_act_member = ActivityMember.__table__
_acct = Account.__table__
_contact = Contact.__table__
_member = TeamMember.__table__
_cls = AccountClassification.__table__

POLICY_KEY = "service_policies"
WIN_BACK = "win_back"
# What each tier gets by default, as people would write it.
DEFAULT_POLICIES: dict[str, str] = {
    ValueTier.diamond.value: "executive meeting: monthly\nbusiness review: quarterly\n"
    "visit: every 2 weeks",
    ValueTier.gold.value: "visit: monthly\nbusiness review: half-yearly",
    ValueTier.strategic.value: "visit: monthly\nexecutive meeting: quarterly",
    ValueTier.potential.value: "call: every 2 months",
    ValueTier.general.value: "call: quarterly",
    ValueTier.problem.value: "",
    WIN_BACK: "call: in 7 days\nexecutive meeting: in 21 days\noffer: in 42 days",
}
POLICY_NAMES = [*(t.value for t in ValueTier), WIN_BACK]
VALUABLE = {ValueTier.diamond, ValueTier.gold, ValueTier.strategic}


def words(value: Any) -> str:
    return str(getattr(value, "value", value) or "").replace("_", " ")


# --- service policies -------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyItem:
    kind: ActivityKind
    rule: str  # '' for a one-off, due `in_days` after the policy is applied
    in_days: int = 0

    @property
    def text(self) -> str:
        if not self.rule:
            return f"{words(self.kind)}: in {self.in_days} days"
        return f"{words(self.kind)}: {cadence.describe(self.rule)}"


def parse_policy(text: str, field: str) -> list[PolicyItem]:
    """Lines of `kind: cadence` (or `kind: in N days` for a one-off)."""
    items, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        kind_text, sep, when = line.partition(":")
        kind_key = "_".join(kind_text.strip().lower().split())
        if not sep or kind_key not in ActivityKind.__members__:
            kinds = ", ".join(words(k) for k in ActivityKind)
            problems.append(f"line {number}: start with a kind of contact ({kinds}) and ':'")
            continue
        when = " ".join(when.strip().lower().split())
        if when.startswith("in ") and when.split()[1:2] and when.split()[1].isdigit():
            amount, unit = int(when.split()[1]), (when.split()[2:3] or ["days"])[0]
            days = amount * (7 if unit.startswith("week") else 1)
            items.append(PolicyItem(ActivityKind(kind_key), "", days))
            continue
        try:
            items.append(PolicyItem(ActivityKind(kind_key), cadence.parse_cadence(when)))
        except InputError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        raise InputErrors({field: "; ".join(problems)})
    return items


@dataclass(frozen=True)
class Policies(settings_service.TeamSettings):
    """The service policies' texts by name, stored as one object of name to text."""

    KEY: ClassVar[str] = POLICY_KEY

    texts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_POLICIES))

    def stored(self) -> dict[str, Any]:
        return dict(self.texts)

    @classmethod
    def from_stored(cls, raw: Mapping[str, Any]) -> Policies:
        return cls({name: str(raw.get(name, DEFAULT_POLICIES[name])) for name in POLICY_NAMES})

    def items(self, name: str) -> list[PolicyItem]:
        return parse_policy(self.texts.get(name, ""), name)

    def allowed_silence(self, name: str) -> int | None:
        """Days a key account on this policy may go without contact: its most frequent
        recurring cadence."""
        gaps = [cadence.typical_gap(i.rule) for i in self.items(name) if i.rule]
        days = [g.days for g in gaps if g is not None]
        return min(days) if days else None


@reads
def policies(session: Session) -> Policies:
    return settings_service.load(session, Policies)


@writes
def save_policies(session: Session, raw: Mapping[str, Any], *, by: str) -> Policies:
    errors: dict[str, str] = {}
    texts = {}
    for name in POLICY_NAMES:
        text = str(raw.get(f"policy_{name}") or "").strip()
        try:
            parse_policy(text, f"policy_{name}")
        except InputErrors as exc:
            errors.update(exc.errors)
        texts[name] = text
    if errors:
        raise InputErrors(errors)
    return settings_service.save(session, Policies(texts), by=by)


def suggested_policy(account: Account, classification: AccountClassification | None) -> str | None:
    """The policy an account should follow: win-back for a valuable account gone silent or
    lost, else its tier's."""
    if account.archived_at is not None:
        return None
    tier = classification.tier if classification else ValueTier.general
    valuable = tier in VALUABLE or (
        classification is not None
        and classification.account_class in (AccountClass.core, AccountClass.major)
    )
    if account.status in (AccountStatus.silent, AccountStatus.lost):
        return WIN_BACK if valuable else None
    return tier.value


def policy_to_offer(
    session: Session,
    account: Account,
    classification: AccountClassification | None,
    plan: list[PlanRow],
) -> str | None:
    """The policy to offer an account whose plan does not follow the one it should (its tier
    changed, a valuable account went silent, or it has no plan yet); None when it does."""
    name = suggested_policy(account, classification)
    if name is None:
        return None
    try:
        if not policies(session).items(name):
            return None
    except InputErrors:
        return None
    followed = {r.policy for r in plan if r.active and r.policy}
    return None if followed == {name} else name


def _subject(item: PlanItem) -> history.Subject:
    label = f"{words(item.kind)} ({cadence.describe(item.rule)})"
    return history.Subject(item.account_id, HistorySubject.plan, item.id, label)


@dataclass(frozen=True)
class PolicyChange:
    """What applying a policy to an account would do, to ask before doing it."""

    policy: str
    adds: list[str]  # the new items, in words (`visit every 2 weeks`)
    stops: int  # items another policy made, which stop


@reads
def policy_change(session: Session, account_id: uuid.UUID, name: str) -> PolicyChange:
    if name not in POLICY_NAMES:
        raise KamError(f"no service policy is called {name!r}")
    current = (
        session.connection()
        .execute(
            sa.select(_plan.c.policy, _plan.c.kind, _plan.c.rule).where(
                _plan.c.account_id == account_id,
                _plan.c.active.is_(True),
                _plan.c.policy.is_not(None),
            )
        )
        .all()
    )
    kept = {(ActivityKind(k), r) for p, k, r in current if p == name}
    adds = [
        wish.text for wish in policies(session).items(name) if (wish.kind, wish.rule) not in kept
    ]
    return PolicyChange(name, adds, sum(1 for p, _k, _r in current if p != name))


@writes
def apply_policy(
    session: Session, account_id: uuid.UUID, name: str, user: str, today: date
) -> list[PlanItem]:
    """Give the account the items of policy `name`: items another policy made stop, items
    made by hand stay, items this policy already gave are kept as they are."""
    if name not in POLICY_NAMES:
        raise KamError(f"no service policy is called {name!r}")
    account = session.get(Account, account_id)
    if account is None:
        raise KamError("that account no longer exists")
    wanted = policies(session).items(name)
    current = list(
        session.exec(  # type: ignore[call-overload]
            sa.select(PlanItem).where(
                _plan.c.account_id == account_id,
                _plan.c.active.is_(True),
                _plan.c.policy.is_not(None),
            )
        ).scalars()
    )
    kept = set()
    for item in current:
        if item.policy != name:
            item.active = False
            history.record(session, _subject(item), "active", True, False, user)
        else:
            kept.add((item.kind, item.rule))
    made = []
    for wish in wanted:
        if (wish.kind, wish.rule) in kept:
            continue
        due = cadence.next_after(wish.rule, today, today) if wish.rule else None
        item = PlanItem(
            account_id=account_id,
            kind=wish.kind,
            rule=wish.rule,
            owner_id=account.owner_id,
            next_due=due or today + timedelta(days=wish.in_days),
            starts_on=today,
            policy=name,
            note=f"{words(name)} policy",
        )
        session.add(item)
        session.flush()
        history.record(session, _subject(item), history.CREATED, None, item.note, user)
        made.append(item)
    session.flush()
    return made


# --- plan items ----------------------------------------------------------------------------


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
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], today: date
) -> dict[str, Any]:
    r = FormReader(raw, today)
    values: dict[str, Any] = {
        "kind": r.choice("kind", ActivityKind, required=True),
        "owner_id": r.reference(
            "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
        ),
        "contact_id": r.reference(
            "contact_id", lambda i: _contact_of(session, i, account_id), "contact of this account"
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


def _contact_of(session: Session, contact_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    contact = session.get(Contact, contact_id)
    return contact is not None and contact.account_id == account_id


@writes
def create_item(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], user: str, today: date
) -> PlanItem:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    values = _read_plan_form(session, account_id, {"active": True, **raw}, today)
    rule = values.pop("rule")
    due = values.pop("next_due") or cadence.first_on_or_after(rule, today, today) or today
    item = PlanItem(account_id=account_id, rule=rule, next_due=due, starts_on=due, **values)
    session.add(item)
    session.flush()
    history.record(session, _subject(item), history.CREATED, None, cadence.describe(rule), user)
    return item


def open_item_form(session: Session, item_id: uuid.UUID) -> Base:
    item = _get(session, item_id)
    return Base(item.version, plan_values(item))


def _get(session: Session, item_id: uuid.UUID) -> PlanItem:
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
    today: date,
) -> PlanItem:
    item = _get(session, item_id)
    values = _read_plan_form(session, item.account_id, raw, today)
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
    history.record_changes(session, _subject(item), _readable(session, before),
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
    item = _get(session, item_id)
    history.record(session, _subject(item), history.REMOVED, words(item.kind), None, user)
    session.delete(item)
    session.flush()


@writes
def snooze(
    session: Session, item_id: uuid.UUID, raw: Mapping[str, Any], user: str, today: date
) -> PlanItem:
    """Move this one due date; the cadence keeps its schedule after it."""
    item = _get(session, item_id)
    r = FormReader(raw, today)
    until = r.day("until")
    if until is None:
        r.fail("until", "to which day?")
    elif until < today:
        r.fail("until", f"a day from today ({today}) on")
    r.check()
    assert until is not None
    history.record(session, _subject(item), "next due", item.next_due, until, user)
    item.next_due = until
    session.flush()
    return item


# --- activities -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    id: uuid.UUID
    kind: ActivityKind
    occurred_on: date
    summary: str
    outcome: str
    sentiment: Sentiment
    follow_up_on: date | None
    contacts: list[str]
    members: list[str]
    plan_item_id: uuid.UUID | None
    deal: str | None


def _ids(raw: Mapping[str, Any], key: str) -> list[uuid.UUID]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    out = []
    for v in value:
        try:
            out.append(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v).strip()))
        except ValueError:
            continue
    return out


@writes
def log_activity(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], user: str, today: date
) -> Activity:
    """Record a contact. When it fulfils a plan item, the item's next due date moves to the
    cadence's first date after this contact (or after the date it was due, when done early);
    a one-off item is done. A follow-up date becomes a one-off item on the agenda."""
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    r = FormReader(raw, today)
    kind = r.choice("kind", ActivityKind, required=True)
    occurred = r.day("occurred_on", not_after=today) or today
    follow_up = r.day("follow_up_on")
    if follow_up is not None and follow_up < occurred:
        r.fail("follow_up_on", f"after the contact itself ({occurred})")
    contacts = _ids(raw, "contact_ids")
    for contact_id in contacts:
        if not _contact_of(session, contact_id, account_id):
            r.fail("contact_ids", "only contacts of this account")
    members = _ids(raw, "member_ids")
    for member_id in members:
        if session.get(TeamMember, member_id) is None:
            r.fail("member_ids", "only people on the team list")
    item = None
    item_id = r.reference(
        "plan_item_id",
        lambda i: (p := session.get(PlanItem, i)) is not None and p.account_id == account_id,
        "plan item of this account",
    )
    deal_id = r.reference(
        "opportunity_id",
        lambda i: (d := session.get(Opportunity, i)) is not None and d.account_id == account_id,
        "deal of this account",
    )
    sentiment = r.choice("sentiment", Sentiment) or Sentiment.neutral
    summary = r.long_text("summary")
    r.check()
    activity = Activity(
        account_id=account_id,
        kind=kind,
        occurred_on=occurred,
        summary=summary,
        outcome=r.long_text("outcome"),
        sentiment=sentiment,
        follow_up_on=follow_up,
        plan_item_id=item_id,
        opportunity_id=deal_id,
    )
    session.add(activity)
    session.flush()
    for contact_id in dict.fromkeys(contacts):
        session.add(ActivityContact(activity_id=activity.id, contact_id=contact_id))
    for member_id in dict.fromkeys(members):
        session.add(ActivityMember(activity_id=activity.id, member_id=member_id))
    if item_id is not None:
        item = _get(session, item_id)
        before = item.next_due
        if item.rule:
            item.next_due = cadence.next_after(item.rule, item.starts_on, max(occurred, before))
        else:
            item.active = False
        history.record(
            session, _subject(item), "next due" if item.active else "active",
            before if item.active else True, item.next_due if item.active else False, user,
        )  # fmt: skip
    if follow_up is not None:
        owner = members[0] if members else _member_named(session, user)
        session.add(
            PlanItem(
                account_id=account_id,
                kind=kind,
                rule="",
                owner_id=owner,
                contact_id=contacts[0] if contacts else None,
                next_due=follow_up,
                starts_on=follow_up,
                note=("follow-up: " + summary.splitlines()[0] if summary else "follow-up")[:500],
            )
        )
    subject = history.Subject(account_id, HistorySubject.activity, activity.id, words(kind))
    history.record(session, subject, "logged", None, f"{occurred} {summary[:120]}".strip(), user)
    session.flush()
    return activity


def _member_named(session: Session, name: str) -> uuid.UUID | None:
    return (
        session.connection()
        .execute(sa.select(_member.c.id).where(_member.c.name == name).limit(1))
        .scalar()
    )


@reads
def member_id_of(session: Session, name: str) -> uuid.UUID | None:
    """The team member the person using kam is, if they are on the team list."""
    return _member_named(session, name)


def account_activities(
    session: Session, account_id: uuid.UUID, limit: int = 200
) -> list[ActivityRow]:
    conn = session.connection()
    opp = Opportunity.__table__
    rows = conn.execute(
        sa.select(_act, opp.c.title.label("deal"))
        .select_from(_act.outerjoin(opp, opp.c.id == _act.c.opportunity_id))
        .where(_act.c.account_id == account_id)
        .order_by(_act.c.occurred_on.desc(), _act.c.created_at.desc())
        .limit(limit)
    ).all()
    ids = [r.id for r in rows]
    people: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    ours: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for activity_id, name in conn.execute(
            sa.select(_act_contact.c.activity_id, _contact.c.name)
            .join_from(_act_contact, _contact, _contact.c.id == _act_contact.c.contact_id)
            .where(_act_contact.c.activity_id.in_(ids))
        ):
            people[activity_id].append(name)
        for activity_id, name in conn.execute(
            sa.select(_act_member.c.activity_id, _member.c.name)
            .join_from(_act_member, _member, _member.c.id == _act_member.c.member_id)
            .where(_act_member.c.activity_id.in_(ids))
        ):
            ours[activity_id].append(name)
    return [
        ActivityRow(
            r.id,
            ActivityKind(r.kind),
            r.occurred_on,
            r.summary or "",
            r.outcome or "",
            Sentiment(r.sentiment),
            r.follow_up_on,
            sorted(people[r.id]),
            sorted(ours[r.id]),
            r.plan_item_id,
            r.deal,
        )
        for r in rows
    ]


def last_contact(session: Session, account_id: uuid.UUID) -> date | None:
    return (
        session.connection()
        .execute(sa.select(sa.func.max(_act.c.occurred_on)).where(_act.c.account_id == account_id))
        .scalar()
    )


def contacts_last_contact(session: Session, account_id: uuid.UUID) -> dict[uuid.UUID, date]:
    rows = session.connection().execute(
        sa.select(_act_contact.c.contact_id, sa.func.max(_act.c.occurred_on))
        .join_from(_act_contact, _act, _act.c.id == _act_contact.c.activity_id)
        .where(_act.c.account_id == account_id)
        .group_by(_act_contact.c.contact_id)
    )
    return {contact_id: day for contact_id, day in rows}


def open_deals_of(session: Session, account_id: uuid.UUID) -> list[tuple[str, uuid.UUID]]:
    opp = Opportunity.__table__
    rows = session.connection().execute(
        sa.select(opp.c.title, opp.c.id)
        .where(opp.c.account_id == account_id, opp.c.stage.in_([s.value for s in OPEN_STAGES]))
        .order_by(opp.c.amount_minor.desc())
    )
    return [(title, deal_id) for title, deal_id in rows]


# --- the agenda -------------------------------------------------------------------------------

SECTIONS = ("overdue", "today", "this week", "next week", "later")


def week_end(day: date) -> date:
    """The Sunday ending the week of `day` (weeks start on Monday)."""
    return day + timedelta(days=6 - day.weekday())


def section_of(due: date, today: date) -> str:
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    if due <= week_end(today):
        return "this week"
    if due <= week_end(today) + timedelta(days=7):
        return "next week"
    return "later"


@dataclass(frozen=True)
class AgendaQuery:
    until: date  # due on or before this day (overdue included)
    owner_id: uuid.UUID | None = None  # None: the whole team
    text: str = ""


@dataclass(frozen=True)
class AgendaRow:
    id: uuid.UUID
    account_id: uuid.UUID
    account: str
    kind: ActivityKind
    rule: str
    next_due: date
    contact: str | None
    contact_id: uuid.UUID | None
    owner: str | None
    note: str
    last_contact: date | None
    starts_on: date

    @property
    def cadence(self) -> str:
        return cadence.describe(self.rule)


def _agenda_where(conn: sa.Connection, select: sa.Select, q: AgendaQuery) -> sa.Select:
    select = select.where(
        _plan.c.active.is_(True),
        _plan.c.next_due <= q.until,
        _plan.c.account_id.not_in(archived_ids()),
    )
    if q.owner_id is not None:
        select = select.where(_plan.c.owner_id == q.owner_id)
    if q.text.strip():
        named = sa.select(_acct.c.id).where(name_contains(conn, q.text))
        select = select.where(_plan.c.account_id.in_(named))
    return select


@reads
def count_agenda(session: Session, q: AgendaQuery) -> int:
    conn = session.connection()
    select = _agenda_where(conn, sa.select(sa.func.count()).select_from(_plan), q)
    return int(conn.execute(select).scalar_one())


@reads
def agenda_sections(session: Session, q: AgendaQuery, today: date) -> dict[str, int]:
    """How many items fall in each section, in one statement."""
    end = week_end(today)
    section = sa.case(
        (_plan.c.next_due < today, "overdue"),
        (_plan.c.next_due == today, "today"),
        (_plan.c.next_due <= end, "this week"),
        (_plan.c.next_due <= end + timedelta(days=7), "next week"),
        else_="later",
    )
    select = _agenda_where(
        session.connection(), sa.select(section, sa.func.count()).select_from(_plan), q
    )
    counts = dict.fromkeys(SECTIONS, 0)
    for name, n in session.connection().execute(select.group_by(section)):
        counts[name] = int(n)
    return counts


@reads
def list_agenda(session: Session, q: AgendaQuery, offset: int, limit: int) -> list[AgendaRow]:
    """Oldest due first; the day's items by account."""
    last = (
        sa.select(sa.func.max(_act.c.occurred_on))
        .where(_act.c.account_id == _plan.c.account_id)
        .scalar_subquery()
    )
    select = sa.select(
        _plan.c.id,
        _plan.c.account_id,
        _acct.c.name.label("account"),
        _plan.c.kind,
        _plan.c.rule,
        _plan.c.next_due,
        _contact.c.name.label("contact"),
        _plan.c.contact_id,
        _member.c.name.label("owner"),
        _plan.c.note,
        last.label("last_contact"),
        _plan.c.starts_on,
    ).select_from(
        _plan.join(_acct, _acct.c.id == _plan.c.account_id)
        .outerjoin(_contact, _contact.c.id == _plan.c.contact_id)
        .outerjoin(_member, _member.c.id == _plan.c.owner_id)
    )
    select = (
        _agenda_where(session.connection(), select, q)
        .order_by(_plan.c.next_due, _acct.c.name_key, _plan.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        AgendaRow(
            r.id,
            r.account_id,
            r.account,
            ActivityKind(r.kind),
            r.rule,
            r.next_due,
            r.contact,
            r.contact_id,
            r.owner,
            r.note or "",
            r.last_contact,
            r.starts_on,
        )
        for r in session.connection().execute(select)
    ]


def silence_warning(
    session: Session,
    account: Account,
    classification: AccountClassification | None,
    last: date | None,
    today: date,
) -> str | None:
    """For a key account: no contact for longer than its policy's most frequent cadence."""
    key = account.strategic or (
        classification is not None and classification.account_class != AccountClass.general
    )
    name = suggested_policy(account, classification)
    if not key or name is None or name == WIN_BACK:
        return None
    try:
        allowed = policies(session).allowed_silence(name)
    except InputErrors:
        return None
    if allowed is None:
        return None
    if last is None:
        return f"no contact logged yet; its {words(name)} policy asks for one every {allowed} days"
    silent = (today - last).days
    if silent <= allowed:
        return None
    return (
        f"no contact for {silent} days (last {last}); its {words(name)} policy asks for one "
        f"every {allowed} days"
    )


def upcoming_items(session: Session, owner_id: uuid.UUID | None) -> list[AgendaRow]:
    """Every active item (for a calendar), by due date."""
    everything = AgendaQuery(until=date(9999, 12, 31), owner_id=owner_id)
    return list_agenda(session, everything, 0, count_agenda(session, everything))


def check_member_name(session: Session, name: str) -> uuid.UUID:
    found = member_id_of(session, name)
    if found is None:
        raise InputError(f"{name!r} is not on the team list", "user")
    return found
