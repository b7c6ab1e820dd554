"""The change history of an account, its contacts and its team: who changed which field when.

Values are stored as the words a person reads (a member's name rather than their id), so the
history stays readable after the referenced rows are renamed or removed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import ChangeRecord
from kam.models.enums import HistorySubject

CREATED = "created"
REMOVED = "removed"
HISTORY_PAGE = 500


# Values whose name does not read well with its underscores turned into spaces.
SPELLED = {"rnd_design": "R&D and design"}


def as_words(value: object) -> str | None:
    """How a stored value reads in the history."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return SPELLED.get(str(value.value)) or str(value.value).replace("_", " ")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Subject:
    """The row a change is about, as the history names it."""

    account_id: uuid.UUID
    kind: HistorySubject
    id: uuid.UUID
    label: str


def change_values(
    subject: Subject, field: str, old: object, new: object, user: str
) -> dict[str, object]:
    """The columns of one change-history row (for a model or a bulk insert)."""
    return {
        "account_id": subject.account_id,
        "subject": subject.kind,
        "subject_id": subject.id,
        "subject_label": subject.label[:200],
        "field": field,
        "old_value": as_words(old),
        "new_value": as_words(new),
        "changed_by": user,
    }


def record(
    session: Session,
    subject: Subject,
    field: str,
    old: object,
    new: object,
    user: str,
) -> None:
    session.add(ChangeRecord(**change_values(subject, field, old, new, user)))


def record_changes(
    session: Session,
    subject: Subject,
    before: Mapping[str, object],
    after: Mapping[str, object],
    user: str,
) -> list[str]:
    """One row per field whose words differ; returns the fields that changed."""
    changed = []
    for field, new in after.items():
        old = before.get(field)
        if as_words(old) != as_words(new):
            record(session, subject, field, old, new, user)
            changed.append(field)
    return changed


@dataclass(frozen=True)
class HistoryRow:
    changed_at: datetime
    changed_by: str
    subject: HistorySubject
    subject_label: str
    field: str
    old_value: str | None
    new_value: str | None


def account_history(
    session: Session, account_id: uuid.UUID, *, text: str = "", limit: int = HISTORY_PAGE
) -> list[HistoryRow]:
    """The newest changes first; `text` keeps rows whose subject, field, values or author
    contain it."""
    table = ChangeRecord.__table__
    select = (
        sa.select(
            table.c.changed_at,
            table.c.changed_by,
            table.c.subject,
            table.c.subject_label,
            table.c.field,
            table.c.old_value,
            table.c.new_value,
        )
        .where(table.c.account_id == account_id)
        .order_by(table.c.changed_at.desc(), table.c.id)
        .limit(limit)
    )
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        select = select.where(
            sa.or_(
                *(
                    sa.func.lower(sa.func.coalesce(column, "")).like(pattern)
                    for column in (
                        table.c.subject_label,
                        table.c.field,
                        table.c.old_value,
                        table.c.new_value,
                        table.c.changed_by,
                    )
                )
            )
        )
    return [
        HistoryRow(
            changed_at=row.changed_at,
            changed_by=row.changed_by,
            subject=HistorySubject(row.subject),
            subject_label=row.subject_label,
            field=row.field,
            old_value=row.old_value,
            new_value=row.new_value,
        )
        for row in session.connection().execute(select)
    ]
