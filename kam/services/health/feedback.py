"""What the customer tells us: complaints (open until resolved) and satisfaction scores (0-10)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import InputError, KamError
from kam.models import Account, Complaint, SatisfactionScore
from kam.models.enums import ComplaintSeverity
from kam.services.history.edits import FormReader
from kam.services.unit import writes

_complaint = Complaint.__table__
_survey = SatisfactionScore.__table__


@dataclass(frozen=True)
class ComplaintRow:
    id: uuid.UUID
    opened_on: date
    closed_on: date | None
    severity: ComplaintSeverity
    summary: str

    @property
    def open(self) -> bool:
        return self.closed_on is None


@dataclass(frozen=True)
class SurveyRow:
    id: uuid.UUID
    surveyed_on: date
    score: int
    comment: str


def account_complaints(session: Session, account_id: uuid.UUID) -> list[ComplaintRow]:
    """Open ones first, newest first."""
    rows = session.connection().execute(
        sa.select(_complaint)
        .where(_complaint.c.account_id == account_id)
        .order_by(_complaint.c.closed_on.is_not(None), _complaint.c.opened_on.desc())
    )
    return [
        ComplaintRow(r.id, r.opened_on, r.closed_on, ComplaintSeverity(r.severity), r.summary)
        for r in rows
    ]


def account_surveys(session: Session, account_id: uuid.UUID) -> list[SurveyRow]:
    rows = session.connection().execute(
        sa.select(_survey)
        .where(_survey.c.account_id == account_id)
        .order_by(_survey.c.surveyed_on.desc())
    )
    return [SurveyRow(r.id, r.surveyed_on, int(r.score), r.comment) for r in rows]


def _account(session: Session, account_id: uuid.UUID) -> None:
    if session.get(Account, account_id) is None:
        raise KamError("that account no longer exists")


@writes
def open_complaint(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], as_of: date
) -> Complaint:
    _account(session, account_id)
    r = FormReader(raw, as_of)
    opened = r.day("opened_on", not_after=as_of) or as_of
    severity = r.choice("severity", ComplaintSeverity) or ComplaintSeverity.medium
    summary = r.long_text("summary")
    if not summary:
        r.fail("summary", "say what the complaint is about")
    r.check()
    complaint = Complaint(
        account_id=account_id, opened_on=opened, severity=severity, summary=summary
    )
    session.add(complaint)
    session.flush()
    return complaint


@writes
def close_complaint(
    session: Session, complaint_id: uuid.UUID, raw: Mapping[str, Any], as_of: date
) -> Complaint:
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise KamError("that complaint no longer exists")
    if complaint.closed_on is not None:
        raise InputError(f"that complaint was resolved on {complaint.closed_on} already")
    r = FormReader(raw, as_of)
    closed = r.day("closed_on", not_after=as_of) or as_of
    if closed < complaint.opened_on:
        r.fail("closed_on", f"cannot be before it was opened ({complaint.opened_on})")
    r.check()
    complaint.closed_on = closed
    resolution = r.long_text("resolution")
    if resolution:
        complaint.summary = f"{complaint.summary}\nResolved: {resolution}".strip()
    session.add(complaint)
    session.flush()
    return complaint


@writes
def record_score(
    session: Session, account_id: uuid.UUID, raw: Mapping[str, Any], as_of: date
) -> SatisfactionScore:
    _account(session, account_id)
    r = FormReader(raw, as_of)
    surveyed = r.day("surveyed_on", not_after=as_of) or as_of
    text = str(raw.get("score") or "").strip()
    score = None
    if not text:
        r.fail("score", "a score from 0 to 10 is required")
    else:
        try:
            score = int(text)
        except ValueError:
            r.fail("score", f"{text!r} is not a whole number from 0 to 10")
        else:
            if not 0 <= score <= 10:
                r.fail("score", "a score is from 0 to 10")
    r.check()
    assert score is not None
    row = SatisfactionScore(
        account_id=account_id, surveyed_on=surveyed, score=score, comment=r.long_text("comment")
    )
    session.add(row)
    session.flush()
    return row
