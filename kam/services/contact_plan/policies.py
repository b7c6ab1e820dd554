"""Service policies: what contact each tier gets (and a lost account's win-back), as the team
writes them, and offering, applying and checking them against an account's silence."""

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
    PlanItem,
)
from kam.models.enums import (
    AccountClass,
    AccountStatus,
    ActivityKind,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.contact_plan import cadence
from kam.services.contact_plan.plan_items import PlanRow, item_subject
from kam.services.history import changes as history
from kam.services.unit import reads, writes
from kam.services.values.formatting import words

_plan = PlanItem.__table__


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
        if not settings_service.load(session, Policies).items(name):
            return None
    except InputErrors:
        return None
    followed = {r.policy for r in plan if r.active and r.policy}
    return None if followed == {name} else name


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
        wish.text
        for wish in settings_service.load(session, Policies).items(name)
        if (wish.kind, wish.rule) not in kept
    ]
    return PolicyChange(name, adds, sum(1 for p, _k, _r in current if p != name))


@writes
def apply_policy(
    session: Session, account_id: uuid.UUID, name: str, user: str, as_of: date
) -> list[PlanItem]:
    """Give the account the items of policy `name`: items another policy made stop, items
    made by hand stay, items this policy already gave are kept as they are."""
    if name not in POLICY_NAMES:
        raise KamError(f"no service policy is called {name!r}")
    account = session.get(Account, account_id)
    if account is None:
        raise KamError("that account no longer exists")
    wanted = settings_service.load(session, Policies).items(name)
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
            history.record(session, item_subject(item), "active", True, False, user)
        else:
            kept.add((item.kind, item.rule))
    made = []
    for wish in wanted:
        if (wish.kind, wish.rule) in kept:
            continue
        due = cadence.next_after(wish.rule, as_of, as_of) if wish.rule else None
        item = PlanItem(
            account_id=account_id,
            kind=wish.kind,
            rule=wish.rule,
            owner_id=account.owner_id,
            next_due=due or as_of + timedelta(days=wish.in_days),
            starts_on=as_of,
            policy=name,
            note=f"{words(name)} policy",
        )
        session.add(item)
        session.flush()
        history.record(session, item_subject(item), history.CREATED, None, item.note, user)
        made.append(item)
    session.flush()
    return made


def silence_warning(
    session: Session,
    account: Account,
    classification: AccountClassification | None,
    last: date | None,
    as_of: date,
) -> str | None:
    """For a key account: no contact for longer than its policy's most frequent cadence."""
    key = account.strategic or (
        classification is not None and classification.account_class != AccountClass.general
    )
    name = suggested_policy(account, classification)
    if not key or name is None or name == WIN_BACK:
        return None
    try:
        allowed = settings_service.load(session, Policies).allowed_silence(name)
    except InputErrors:
        return None
    if allowed is None:
        return None
    if last is None:
        return f"no contact logged yet; its {words(name)} policy asks for one every {allowed} days"
    silent = (as_of - last).days
    if silent <= allowed:
        return None
    return (
        f"no contact for {silent} days (last {last}); its {words(name)} policy asks for one "
        f"every {allowed} days"
    )
