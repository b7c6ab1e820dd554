"""Creating, editing, archiving and restoring accounts, with their history.

Every write records who changed which field; fields that classification reads (name, flags,
tier override, archiving) mark the stored classification stale.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam import schema
from kam.errors import InputError, InputErrors, KamError
from kam.models import Account, AccountClassification, Region, TeamMember, TierChange, name_key
from kam.models.base import utcnow
from kam.models.enums import (
    AccountStatus,
    ChangeSource,
    ClassificationField,
    HistorySubject,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.accounts import groups, regions
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.people import team
from kam.services.people.team import MemberChoice
from kam.services.unit import reads, writes

_acct = Account.__table__

# The fields of the account form, in the order the form shows them.
ACCOUNT_FIELDS = tuple(f.form_key for f in schema.ACCOUNT.form_fields)
# What the classification reads: changing one of these makes the stored one stale.
# What the classification reads: a change makes the stored one stale. (A group is ranked on
# its members together when the team classifies by group.)
CLASSIFIED_FIELDS = {"name", "strategic", "emerging", "tier_override", "parent"}


def account_values(session: Session, account: Account) -> dict[str, Any]:
    """An account as its form holds it: the group it is part of by name."""
    named = ("parent", "region")
    values = {field: getattr(account, field) for field in ACCOUNT_FIELDS if field not in named}
    parent = session.get(Account, account.parent_id) if account.parent_id else None
    values["parent"] = parent.name if parent is not None else None
    region = session.get(Region, account.region_id) if account.region_id else None
    values["region"] = region.name if region is not None else None
    return {field: values[field] for field in ACCOUNT_FIELDS}


def subject(account: Account) -> history.Subject:
    return history.Subject(account.id, HistorySubject.account, account.id, account.name)


def _get(session: Session, account_id: uuid.UUID, *, lock: bool = False) -> Account:
    account = session.get(Account, account_id, with_for_update=lock or None)
    if account is None:
        raise KamError("that account no longer exists")
    return account


def open_account_form(session: Session, account_id: uuid.UUID) -> Base:
    account = _get(session, account_id)
    return Base(account.version, account_values(session, account))


def validate_name(session: Session, name: str, *, exclude: uuid.UUID | None = None) -> str:
    """A live account's name: not blank, at most 200 characters, unique ignoring case and
    surrounding spaces. Returns the cleaned name."""
    reader = FormReader({"name": name})
    cleaned = _read_name(session, reader, exclude)
    reader.check()
    assert cleaned is not None
    return cleaned


def _read_name(session: Session, reader: FormReader, exclude: uuid.UUID | None) -> str | None:
    cleaned = reader.value(schema.ACCOUNT["name"])
    if cleaned is None or "name" in reader.errors:
        return cleaned
    clash = sa.select(_acct.c.name).where(
        _acct.c.name_key == name_key(cleaned), _acct.c.archived_at.is_(None)
    )
    if exclude is not None:
        clash = clash.where(_acct.c.id != exclude)
    existing = session.connection().execute(clash).scalar()
    if existing is not None:
        reader.fail("name", f"an account called {existing!r} exists already")
    return cleaned


def read_account_form(
    session: Session,
    raw: Mapping[str, Any],
    *,
    exclude: uuid.UUID | None = None,
    as_of: date | None = None,
) -> dict[str, Any]:
    """The typed values of an account form, or InputErrors naming every bad field."""
    unknown = set(raw) - set(ACCOUNT_FIELDS)
    if unknown:
        raise KamError(f"unknown account fields: {', '.join(sorted(unknown))}")
    as_of = as_of or date.today()
    r = FormReader(raw, as_of)
    values: dict[str, Any] = {
        "name": _read_name(session, r, exclude),
        "owner_id": r.reference(
            "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
        ),
        "parent": _read_parent(session, r, exclude),
        "region": _read_region(session, r),
        **r.values(
            schema.ACCOUNT,
            *(f for f in ACCOUNT_FIELDS if f not in ("name", "owner_id", "parent", "region")),
        ),
    }
    values = {key: values[key] for key in ACCOUNT_FIELDS}
    if values["tier_override"] is not None and not values["tier_override_reason"]:
        r.fail("tier_override_reason", "say why the tier is set by hand")
    if values["tier_override"] is None:
        values["tier_override_reason"] = None
    r.check()
    return values


def _read_parent(session: Session, r: FormReader, account_id: uuid.UUID | None) -> str | None:
    """The group the account is part of, by its name (or another tool's id for it); a loop
    is refused."""
    text = str(r.raw.get("parent") or "").strip()
    if not text:
        return None
    found = groups.find_parent(session, text)
    if found is None:
        r.fail("parent", f"no live account is called {text!r}")
        return None
    try:
        groups.check_parent(session, account_id, found[0])
    except InputError as exc:
        r.fail("parent", str(exc))
        return None
    return found[1]


def _read_region(session: Session, r: FormReader) -> str | None:
    """The region or territory by name, as it is called in kam; a new name is a new region."""
    text = " ".join(str(r.raw.get("region") or "").split())
    if not text:
        return None
    if len(text) > 120:
        r.fail("region", "a region's name is at most 120 characters")
        return None
    found = regions.find(session, text)
    return found.name if found is not None else text


def _parent_id(session: Session, name: str | None) -> uuid.UUID | None:
    found = groups.find_parent(session, name) if name else None
    return found[0] if found else None


def create_account(session: Session, name: str, *, user: str = "kam", **fields: Any) -> Account:
    """A new live account from typed values (scripts, import, tests)."""
    raw = {"name": name, **{k: getattr(v, "value", v) for k, v in fields.items()}}
    for flag in ("strategic", "emerging"):
        raw.setdefault(flag, False)
    return save_new_account(session, raw, user)


@writes
def save_new_account(session: Session, raw: Mapping[str, Any], user: str) -> Account:
    values = read_account_form(session, raw)
    parent = values.pop("parent")
    region_id = regions.ensure(session, values.pop("region"))
    account = Account(
        name_key=name_key(values["name"]),
        parent_id=_parent_id(session, parent),
        region_id=region_id,
        **values,
    )
    session.add(account)
    session.flush()
    history.record(session, subject(account), history.CREATED, None, account.name, user)
    settings_service.bump_data_version(session)
    return account


@writes
def update_account(
    session: Session,
    account_id: uuid.UUID,
    base: Base,
    raw: Mapping[str, Any],
    user: str,
    as_of: date | None = None,
) -> Account:
    """Save an edited account form. Raises EditConflict when someone changed the same field
    differently since `base` was read; fields only they changed keep their value. A valuable
    account marked silent or lost gets the win-back policy's plan."""
    account = _get(session, account_id, lock=True)
    mine = read_account_form(session, raw, exclude=account_id)
    current = Base(account.version, account_values(session, account))
    changes = merge(base, current, mine)
    if not changes:
        return account
    before = {field: _readable(session, field, current.values[field]) for field in changes}
    old_override = account.tier_override
    for field, value in changes.items():
        if field == "parent":
            account.parent_id = _parent_id(session, value)
        elif field == "region":
            account.region_id = regions.ensure(session, value)
        else:
            setattr(account, field, value)
    if "name" in changes:
        account.name_key = name_key(account.name)
    after = {field: _readable(session, field, value) for field, value in changes.items()}
    history.record_changes(session, subject(account), before, after, user)
    if "tier_override" in changes or (
        "tier_override_reason" in changes and account.tier_override is not None
    ):
        _apply_override(session, account, old_override, user)
    session.flush()
    if CLASSIFIED_FIELDS & set(changes):
        settings_service.bump_data_version(session)
    if changes.get("status") in (AccountStatus.silent, AccountStatus.lost):
        from kam.services.contact_plan import policies

        stored = session.get(AccountClassification, account.id)
        if policies.suggested_policy(account, stored) == policies.WIN_BACK:
            policies.apply_policy(
                session, account.id, policies.WIN_BACK, user, as_of or date.today()
            )
    return account


def _readable(session: Session, field: str, value: Any) -> Any:
    """Members by name in the history, not by id."""
    if field == "owner_id" and value is not None:
        member = session.get(TeamMember, value)
        return member.name if member else value
    return value


def _apply_override(
    session: Session, account: Account, old_override: ValueTier | None, user: str
) -> None:
    """A tier set by hand takes effect at once (the list shows it without waiting for a
    reclassification) and is a tier move with the person's reason."""
    stored = session.get(AccountClassification, account.id)
    if stored is None:
        return
    new_tier = account.tier_override or stored.computed_tier
    if new_tier == stored.tier:
        return
    reason = account.tier_override_reason or (
        f"override {old_override.value if old_override else ''} removed by {user}"
    )
    session.add(
        TierChange(
            account_id=account.id,
            field=ClassificationField.tier,
            from_value=stored.tier.value,
            to_value=new_tier.value,
            source=ChangeSource.manual,
            reason=reason[:500],
        )
    )
    stored.tier = new_tier
    stored.tier_order = list(ValueTier).index(new_tier)


@writes
def archive_account(session: Session, account_id: uuid.UUID, user: str) -> Account:
    """Out of the lists, history kept; the name becomes free for a new account."""
    account = _get(session, account_id, lock=True)
    if account.archived_at is not None:
        raise KamError(f"{account.name} is archived already")
    account.archived_at = utcnow()
    history.record(session, subject(account), "archived", "no", "yes", user)
    session.flush()
    settings_service.bump_data_version(session)
    return account


@writes
def restore_account(session: Session, account_id: uuid.UUID, user: str) -> Account:
    account = _get(session, account_id, lock=True)
    if account.archived_at is None:
        raise KamError(f"{account.name} is not archived")
    clash = (
        session.connection()
        .execute(
            sa.select(_acct.c.name).where(
                _acct.c.name_key == account.name_key, _acct.c.archived_at.is_(None)
            )
        )
        .scalar()
    )
    if clash is not None:
        raise InputError(
            f"cannot restore {account.name!r}: a live account is called {clash!r}; "
            "rename one of them first",
            "name",
        )
    account.archived_at = None
    history.record(session, subject(account), "archived", "yes", "no", user)
    session.flush()
    settings_service.bump_data_version(session)
    return account


__all__ = [
    "ACCOUNT_FIELDS",
    "InputErrors",
    "archive_account",
    "create_account",
    "open_account_form",
    "read_account_form",
    "restore_account",
    "save_new_account",
    "update_account",
    "validate_name",
]


@reads
def account_form(session: Session, account_id: uuid.UUID) -> tuple[Base, list[MemberChoice]]:
    """An account as its edit form opens, and the people who can own it."""
    base = open_account_form(session, account_id)
    return base, team.members(session, include=base.values["owner_id"])
