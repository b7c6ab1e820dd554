"""Writing a deal: its form, creating and editing it, moving it a stage, closing it won or lost,
removing it, and the path of stages it took."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam import schema
from kam.errors import InputError, InputErrors, KamError
from kam.models import (
    Account,
    Opportunity,
    OpportunityStageChange,
    TeamMember,
    name_key,
)
from kam.models.base import utcnow
from kam.models.enums import (
    OPEN_STAGES,
    HistorySubject,
    OpportunityStage,
)
from kam.services import settings as settings_service
from kam.services.history import changes as history
from kam.services.history.edits import Base, FormReader, merge
from kam.services.people import team
from kam.services.people.team import MemberChoice
from kam.services.pipeline.stages import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    PipelineSettings,
)
from kam.services.unit import reads, writes
from kam.services.values.parsing import parse_amount

_acct = Account.__table__
_member = TeamMember.__table__


# --- writing ----------------------------------------------------------------------------------

# The fields of the deal form, in its order; `account` only when the account is not known.
DEAL_FIELDS = (
    "title",
    "category",
    "amount_minor",
    "stage",
    "probability_override",
    "expected_close",
    "impact_months",
    "buying_factor",
    "owner_id",
    "next_step",
    "next_step_due",
    "close_reason",
)


def deal_values(deal: Opportunity) -> dict[str, Any]:
    values = {f: getattr(deal, f) for f in DEAL_FIELDS if hasattr(deal, f)}
    values["probability_override"] = deal.probability if deal.probability_overridden else None
    return values


def _subject(deal: Opportunity) -> history.Subject:
    return history.Subject(deal.account_id, HistorySubject.opportunity, deal.id, deal.title)


def _get(session: Session, deal_id: uuid.UUID) -> Opportunity:
    deal = session.get(Opportunity, deal_id, with_for_update=True)
    if deal is None:
        raise KamError("that deal no longer exists")
    return deal


def read_deal_form(
    session: Session, raw: Mapping[str, Any], *, current: Opportunity | None = None
) -> dict[str, Any]:
    r = FormReader(raw)
    values: dict[str, Any] = r.values(
        schema.DEAL, "title", "category", "stage", "expected_close", "buying_factor",
        "next_step", "next_step_due", "close_reason",
    )  # fmt: skip
    values["owner_id"] = r.reference(
        "owner_id", lambda i: session.get(TeamMember, i) is not None, "team member"
    )
    try:
        amount = parse_amount(str(raw.get("amount_minor") or ""), "amount")
        if amount < 0:
            r.fail("amount_minor", "an amount cannot be negative")
        values["amount_minor"] = amount
    except InputError as exc:
        r.fail("amount_minor", str(exc).removeprefix("amount: "))
    values["probability_override"] = _percent(r, "probability_override")
    months = str(raw.get("impact_months") or "").strip()
    if not months:
        values["impact_months"] = 12
    elif not months.isdigit() or int(months) > 600:
        r.fail("impact_months", "months as a whole number, e.g. 12")
    else:
        values["impact_months"] = int(months)
    stage = values["stage"]
    if current is not None and current.stage in CLOSED_STAGES and stage != current.stage:
        r.fail(
            "stage",
            f"this deal is closed ({current.stage.value} on {current.closed_on}); "
            "a closed deal does not move",
        )
    elif stage in CLOSED_STAGES and not values["close_reason"]:
        r.fail("close_reason", f"say why the deal was {stage.value}")
    override = values["probability_override"]
    if stage not in CLOSED_STAGES and override in (0, 100):
        outcome = "won" if override == 100 else "lost"
        r.fail(
            "probability_override",
            f"an open deal at {override}% is {outcome}: set the stage to {outcome}, "
            "or give its odds",
        )
    r.check()
    return values


def _percent(r: FormReader, key: str) -> int | None:
    text = str(r.raw.get(key) or "").strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        r.fail(key, "a probability from 0 to 100, or blank to follow the stage")
        return None
    if not 0 <= value <= 100 or value != int(value):
        r.fail(key, "a whole number from 0 to 100, or blank to follow the stage")
        return None
    return int(value)


def _apply_probability(deal: Opportunity, override: int | None, settings: PipelineSettings) -> None:
    if deal.stage in CLOSED_STAGES:
        deal.probability, deal.probability_overridden = DEFAULT_PROBABILITY[deal.stage], False
    elif override is not None:
        deal.probability, deal.probability_overridden = override, True
    else:
        deal.probability = settings.probability[deal.stage]
        deal.probability_overridden = False


def _member_named(session: Session, name: str) -> uuid.UUID | None:
    return (
        session.connection()
        .execute(sa.select(_member.c.id).where(_member.c.name == name).limit(1))
        .scalar()
    )


def _record_stage(
    session: Session,
    deal: Opportunity,
    old: OpportunityStage | None,
    user: str,
    as_of: date,
) -> None:
    """A stage change: a row in the deal's stage path, a line in the account's history."""
    now = utcnow()
    session.add(
        OpportunityStageChange(
            opportunity_id=deal.id,
            from_stage=old,
            to_stage=deal.stage,
            changed_at=now,
            changed_by_id=_member_named(session, user),
            changed_by=user[:120],
        )
    )
    deal.stage_changed_at = now
    if deal.stage in CLOSED_STAGES:
        deal.closed_on = deal.closed_on or as_of
        deal.next_step_due = None
    if old is not None:
        history.record(session, _subject(deal), "stage", old, deal.stage, user)


def account_by_name(session: Session, name: str) -> uuid.UUID:
    key = name_key(name or "")
    if not key:
        raise InputError("which account is the deal with?", "account")
    found = (
        session.connection()
        .execute(
            sa.select(_acct.c.id).where(_acct.c.name_key == key, _acct.c.archived_at.is_(None))
        )
        .scalars()
        .all()
    )
    if not found:
        raise InputError(f"no account is named {name.strip()!r}", "account")
    return found[0]


@writes
def create_deal(
    session: Session,
    account_id: uuid.UUID | None,
    raw: Mapping[str, Any],
    user: str,
    as_of: date,
) -> Opportunity:
    errors: dict[str, str] = {}
    if account_id is None:
        try:
            account_id = account_by_name(session, str(raw.get("account") or ""))
        except InputError as exc:
            errors["account"] = str(exc)
    elif session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    try:
        values = read_deal_form(session, raw)
    except InputErrors as exc:
        raise InputErrors({**errors, **exc.errors}) from None
    if errors:
        raise InputErrors(errors)
    override = values.pop("probability_override")
    deal = Opportunity(account_id=account_id, opened_on=as_of, **values)
    _apply_probability(deal, override, settings_service.load(session, PipelineSettings))
    session.add(deal)
    session.flush()
    _record_stage(session, deal, None, user, as_of)
    history.record(session, _subject(deal), history.CREATED, None, deal.title, user)
    session.flush()
    return deal


def open_deal_form(session: Session, deal_id: uuid.UUID) -> Base:
    deal = session.get(Opportunity, deal_id)
    if deal is None:
        raise KamError("that deal no longer exists")
    return Base(deal.version, deal_values(deal))


def _readable(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "owner_id" in out:
        member = session.get(TeamMember, out["owner_id"]) if out["owner_id"] else None
        out["owner_id"] = member.name if member else None
    if "amount_minor" in out:
        out["amount_minor"] = f"{out['amount_minor'] / 100:,.2f}"
    return {k.removesuffix("_id").removesuffix("_minor"): v for k, v in out.items()}


@writes
def update_deal(
    session: Session,
    deal_id: uuid.UUID,
    base: Base,
    raw: Mapping[str, Any],
    user: str,
    as_of: date,
) -> Opportunity:
    deal = _get(session, deal_id)
    mine = read_deal_form(session, raw, current=deal)
    current = Base(deal.version, deal_values(deal))
    changes = merge(base, current, mine)
    if not changes:
        return deal
    old_stage = deal.stage
    if old_stage in CLOSED_STAGES and changes.get("stage", old_stage) != old_stage:
        raise InputErrors({"stage": "a closed deal does not move"})
    before = _readable(session, {k: current.values[k] for k in changes if k != "stage"})
    for name, value in changes.items():
        if name != "probability_override":
            setattr(deal, name, value)
    override = changes.get("probability_override", current.values["probability_override"])
    _apply_probability(deal, override, settings_service.load(session, PipelineSettings))
    if deal.stage != old_stage:
        _record_stage(session, deal, old_stage, user, as_of)
    after = _readable(session, {k: v for k, v in changes.items() if k != "stage"})
    history.record_changes(session, _subject(deal), before, after, user)
    session.flush()
    return deal


@dataclass(frozen=True)
class Moved:
    """A deal after a stage move or a close: `id` as on the deal itself, so a screen that
    keeps its cursor on a saved deal treats both alike."""

    id: uuid.UUID
    title: str
    stage: OpportunityStage


@writes
def move_deal(session: Session, deal_id: uuid.UUID, step: int, user: str, as_of: date) -> Moved:
    """One open stage forward (step 1) or back (-1). Closing is `close_deal`, with a reason."""
    deal = _get(session, deal_id)
    if deal.stage in CLOSED_STAGES:
        raise KamError(f"{deal.title!r} is {deal.stage.value}: a closed deal does not move")
    index = OPEN_STAGES.index(deal.stage) + step
    if index < 0:
        raise KamError(f"{deal.title!r} is at the first stage already")
    if index >= len(OPEN_STAGES):
        raise KamError(f"{deal.title!r} is in negotiation: W marks it won, L lost")
    old = deal.stage
    deal.stage = OPEN_STAGES[index]
    if not deal.probability_overridden:
        deal.probability = settings_service.load(session, PipelineSettings).probability[deal.stage]
    _record_stage(session, deal, old, user, as_of)
    session.flush()
    return Moved(deal.id, deal.title, deal.stage)


@writes
def close_deal(
    session: Session,
    deal_id: uuid.UUID,
    raw: Mapping[str, Any],
    *,
    won: bool,
    user: str,
    as_of: date,
) -> Moved:
    """Mark a deal won or lost: a reason is required; closed on today unless given."""
    deal = _get(session, deal_id)
    if deal.stage in CLOSED_STAGES:
        raise KamError(f"{deal.title!r} is {deal.stage.value} already")
    r = FormReader(raw, as_of)
    outcome = "won" if won else "lost"
    reason = r.text("close_reason", limit=500, required=f"say why the deal was {outcome}")
    closed_on = r.day("closed_on", not_after=as_of) or as_of
    if closed_on < deal.opened_on:
        r.fail("closed_on", f"the deal was opened on {deal.opened_on}")
    r.check()
    old = deal.stage
    deal.stage = OpportunityStage.won if won else OpportunityStage.lost
    deal.close_reason = reason
    deal.closed_on = closed_on
    _apply_probability(deal, None, settings_service.load(session, PipelineSettings))
    _record_stage(session, deal, old, user, as_of)
    history.record(session, _subject(deal), "close reason", None, reason, user)
    session.flush()
    return Moved(deal.id, deal.title, deal.stage)


@writes
def remove_deal(session: Session, deal_id: uuid.UUID, user: str) -> None:
    """For a deal entered by mistake; a deal that did not happen is rather marked lost."""
    deal = _get(session, deal_id)
    history.record(session, _subject(deal), history.REMOVED, deal.title, None, user)
    session.delete(deal)
    session.flush()


@dataclass(frozen=True)
class StageStep:
    from_stage: OpportunityStage | None
    to_stage: OpportunityStage
    changed_at: datetime
    changed_by: str | None


def stage_paths(session: Session, deal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StageStep]]:
    """Each deal's stage changes, oldest first."""
    table = OpportunityStageChange.__table__
    paths: dict[uuid.UUID, list[StageStep]] = {deal: [] for deal in deal_ids}
    for start in range(0, len(deal_ids), 500):
        rows = session.connection().execute(
            sa.select(
                table.c.opportunity_id,
                table.c.from_stage,
                table.c.to_stage,
                table.c.changed_at,
                table.c.changed_by,
            )
            .where(table.c.opportunity_id.in_(deal_ids[start : start + 500]))
            .order_by(table.c.changed_at, table.c.id)
        )
        for r in rows:
            paths[r.opportunity_id].append(
                StageStep(
                    OpportunityStage(r.from_stage) if r.from_stage else None,
                    OpportunityStage(r.to_stage),
                    r.changed_at,
                    r.changed_by,
                )
            )
    return paths


def stage_path(session: Session, deal_id: uuid.UUID) -> list[StageStep]:
    return stage_paths(session, [deal_id])[deal_id]


@dataclass(frozen=True)
class DealForm:
    members: list[MemberChoice]
    settings: PipelineSettings
    owner: uuid.UUID | None = None  # who a new deal's owner is at first
    base: Base | None = None  # the deal as it was when an edit opened


@reads
def deal_form(
    session: Session,
    deal_id: uuid.UUID | None = None,
    *,
    user: str = "",
    owner_id: uuid.UUID | None = None,
) -> DealForm:
    """What a deal's form offers: the team and the stage probabilities; for a new deal its
    owner (`owner_id`, else `user` when on the team list), for an edit the deal itself."""
    settings = settings_service.load(session, PipelineSettings)
    if deal_id is not None:
        base = open_deal_form(session, deal_id)
        return DealForm(
            team.members(session, include=base.values["owner_id"]), settings, None, base
        )
    members = team.members(session)
    me = next((m.id for m in members if m.name == user), None)
    return DealForm(members, settings, owner_id or me)
