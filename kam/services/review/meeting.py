"""What the review meeting writes: the note, decisions, actions and their closing, the account
marked reviewed, a stage or tier set."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    ActionItem,
    PlanItem,
    Review,
    ReviewDecision,
    TeamMember,
)
from kam.models.enums import (
    ActionStatus,
    ActivityKind,
)
from kam.services.accounts import account_edit
from kam.services.review.weeks import check_week, default_action_due
from kam.services.unit import writes
from kam.services.values.parsing import parse_date

_member = TeamMember.__table__


# --- what the meeting writes ----------------------------------------------------------------


def _review_row(session: Session, account_id: uuid.UUID, week: str) -> Review:
    week = check_week(week)
    found = session.exec(
        select(Review).where(Review.account_id == account_id, Review.week == week)
    ).first()
    if found is not None:
        return found
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    review = Review(account_id=account_id, week=week)
    session.add(review)
    session.flush()
    return review


@writes
def save_note(session: Session, account_id: uuid.UUID, week: str, note: str) -> None:
    """The review note as typed so far (saved while it is typed)."""
    review = _review_row(session, account_id, week)
    if review.note != note:
        review.note = note
        session.flush()


def add_decision(session: Session, account_id: uuid.UUID, week: str, text: str) -> ReviewDecision:
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError("write the decision", "text")
    review = _review_row(session, account_id, week)
    decision = ReviewDecision(review_id=review.id, text=cleaned)
    session.add(decision)
    session.flush()
    return decision


@writes
def record_decision(
    session: Session, account_id: uuid.UUID, week: str, raw: Mapping[str, Any]
) -> ReviewDecision:
    """The decision a form wrote (`raw["text"]`)."""
    return add_decision(session, account_id, week, str(raw.get("text") or ""))


def _member_by_name(session: Session, name: str) -> uuid.UUID | None:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return None
    found = (
        session.connection()
        .execute(
            sa.select(_member.c.id).where(sa.func.lower(_member.c.name) == cleaned.lower()).limit(1)
        )
        .scalar()
    )
    if found is None:
        raise InputError(f"{cleaned!r} is not on the team list", "owner")
    return found


@writes
def add_action(
    session: Session,
    account_id: uuid.UUID,
    week: str,
    raw: Mapping[str, Any],
    user: str,
    as_of: date,
) -> ActionItem:
    """An action with an owner and a due date; it goes on the owner's agenda."""
    errors: dict[str, str] = {}
    title = " ".join(str(raw.get("title") or "").split())
    if not title:
        errors["title"] = "say what is to be done"
    elif len(title) > 300:
        errors["title"] = "at most 300 characters"
    owner_id = None
    try:
        owner_id = _member_by_name(session, str(raw.get("owner") or ""))
    except InputError as exc:
        errors["owner"] = str(exc)
    # Every action has a due date, so it always reaches the owner's agenda: blank is the
    # team's default span from today.
    due: date | None = default_action_due(session, as_of)
    if str(raw.get("due_on") or "").strip():
        try:
            due = parse_date(str(raw["due_on"]), "due_on", as_of=as_of)
        except InputError as exc:
            errors["due_on"] = str(exc).removeprefix("due_on: ")
    if errors:
        from kam.errors import InputErrors

        raise InputErrors(errors)
    review = _review_row(session, account_id, week)
    action = ActionItem(
        account_id=account_id, review_id=review.id, title=title, owner_id=owner_id, due_on=due
    )
    if due is not None:
        item = PlanItem(
            account_id=account_id,
            kind=ActivityKind.business_review,
            rule="",
            owner_id=owner_id,
            next_due=due,
            starts_on=due,
            note=f"Review action: {title}"[:500],
        )
        session.add(item)
        session.flush()
        action.plan_item_id = item.id
    session.add(action)
    session.flush()
    return action


@writes
def close_chosen_action(session: Session, raw: Mapping[str, Any], as_of: date) -> ActionItem:
    """The action a form chose (`raw["action"]`) done or dropped (`raw["status"]`)."""
    try:
        action_id = uuid.UUID(str(raw.get("action")))
        status = ActionStatus(raw.get("status"))
    except ValueError:
        raise KamError("choose an action and whether it is done or dropped") from None
    return close_action(session, action_id, status, as_of)


def close_action(
    session: Session, action_id: uuid.UUID, status: ActionStatus, as_of: date
) -> ActionItem:
    action = session.get(ActionItem, action_id)
    if action is None:
        raise KamError("that action no longer exists")
    action.status = status
    action.done_on = None if status == ActionStatus.open else as_of
    if action.plan_item_id is not None:
        item = session.get(PlanItem, action.plan_item_id)
        if item is not None:
            item.active = status == ActionStatus.open
    session.flush()
    return action


@writes
def mark_reviewed(
    session: Session, account_id: uuid.UUID, week: str, reviewer: str, as_of: date
) -> None:
    review = _review_row(session, account_id, week)
    review.reviewed_on = as_of
    try:
        review.reviewer_id = _member_by_name(session, reviewer)
    except InputError:
        review.reviewer_id = None  # a reviewer not on the team list is kept in the history only
    session.flush()


@writes
def set_stage_or_tier(
    session: Session,
    account_id: uuid.UUID,
    week: str,
    raw: Mapping[str, Any],
    user: str,
    as_of: date,
) -> ReviewDecision:
    """The relationship stage and/or a tier set by hand, each with the reason, which is also
    kept as a decision of this week's review (returned)."""
    reason = " ".join(str(raw.get("reason") or "").split())
    stage = raw.get("relationship_stage") or None
    tier = raw.get("tier_override") or None
    if not reason:
        raise InputError("say why", "reason")
    base = account_edit.open_account_form(session, account_id)
    values = dict(base.values)
    words = []
    if stage and stage != getattr(values["relationship_stage"], "value", None):
        values["relationship_stage"] = stage
        words.append(f"relationship stage → {stage.replace('_', ' ')}")
    current_tier = getattr(values["tier_override"], "value", None)
    if tier == "-" and current_tier is not None:
        values["tier_override"], values["tier_override_reason"] = None, None
        words.append("tier set by hand removed")
    elif tier and tier != "-" and tier != current_tier:
        values["tier_override"], values["tier_override_reason"] = tier, reason
        words.append(f"tier set to {tier}")
    if not words:
        raise InputError("nothing to change: choose a stage or a tier", "relationship_stage")
    account_edit.update_account(session, account_id, base, values, user, as_of)
    return add_decision(session, account_id, week, f"{'; '.join(words)}: {reason}")
