"""The account plan: its goals and objectives, as the review card and the Reviews tab show it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from kam.errors import InputError, KamError
from kam.models import (
    Account,
    AccountPlan,
    PlanObjective,
)
from kam.models.enums import (
    ObjectiveStatus,
    RelationshipStage,
)
from kam.services.review.cards import PlanView, WeekReview, account_reviews, plan_view
from kam.services.unit import reads, writes

# --- the account plan -----------------------------------------------------------------------


@writes
def save_plan(session: Session, account_id: uuid.UUID, raw: Mapping[str, Any]) -> PlanView:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")
    plan = session.exec(select(AccountPlan).where(AccountPlan.account_id == account_id)).first()
    stage = raw.get("desired_stage") or None
    try:
        desired = RelationshipStage(stage) if stage else None
    except ValueError:
        raise InputError("not a relationship stage", "desired_stage") from None
    if plan is None:
        plan = AccountPlan(account_id=account_id)
        session.add(plan)
    plan.strategy = str(raw.get("strategy") or "").strip()
    plan.customer_goals = str(raw.get("customer_goals") or "").strip()
    plan.desired_stage = desired
    session.flush()
    return plan_view(session, account_id)


@writes
def save_objective(
    session: Session,
    account_id: uuid.UUID | None,
    raw: Mapping[str, Any],
    objective_id: uuid.UUID | None = None,
) -> PlanObjective:
    from kam.services.history.edits import FormReader

    r = FormReader(raw)
    values = {
        "title": r.text("title", limit=200, required="name the objective"),
        "measure": r.text("measure", limit=200) or "",
        "target": r.text("target", limit=120) or "",
        "due_on": r.day("due_on"),
        "status": r.choice("status", ObjectiveStatus) or ObjectiveStatus.open,
        "progress": r.text("progress", limit=500) or "",
    }
    r.check()
    if objective_id is None:
        objective = PlanObjective(account_id=account_id, **values)
        session.add(objective)
    else:
        objective = session.get(PlanObjective, objective_id)
        if objective is None:
            raise KamError("that objective no longer exists")
        for name, value in values.items():
            setattr(objective, name, value)
    session.flush()
    return objective


@writes
def update_objective(session: Session, raw: Mapping[str, Any]) -> PlanObjective:
    """Progress on one objective (`raw["objective"]`): its status and where it stands."""
    try:
        objective_id = uuid.UUID(str(raw.get("objective")))
    except ValueError:
        raise KamError("choose an objective") from None
    values = objective_values(session, objective_id)
    values.update(status=raw.get("status"), progress=raw.get("progress"))
    return save_objective(session, None, values, objective_id=objective_id)


def objective_values(session: Session, objective_id: uuid.UUID) -> dict[str, Any]:
    objective = session.get(PlanObjective, objective_id)
    if objective is None:
        raise KamError("that objective no longer exists")
    return {
        "title": objective.title,
        "measure": objective.measure,
        "target": objective.target,
        "due_on": objective.due_on,
        "status": objective.status,
        "progress": objective.progress,
    }


@reads
def plan_and_reviews(session: Session, account_id: uuid.UUID) -> tuple[PlanView, list[WeekReview]]:
    """An account's plan and its past reviews, as its Reviews tab shows them."""
    return plan_view(session, account_id), account_reviews(session, account_id)
