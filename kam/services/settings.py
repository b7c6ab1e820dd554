"""Team settings stored in the database, and the data version that invalidates caches."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from kam.config import DEFAULT_TIER_LABELS, ClassificationSettings
from kam.errors import InputError
from kam.models import Setting
from kam.models.base import utcnow
from kam.models.enums import ValueTier

CLASSIFICATION_KEY = "classification"
DATA_VERSION_KEY = "data_version"


_setting = Setting.__table__


def get_value(session: Session, key: str, default: Any = None) -> Any:
    text = (
        session.connection()
        .execute(sa.select(_setting.c.value).where(_setting.c.key == key))
        .scalar_one_or_none()
    )
    return default if text is None else json.loads(text)


def set_value(session: Session, key: str, value: Any) -> None:
    """Written in one statement (insert, or update when the key is there), so two processes
    saving the same key for the first time at once both succeed on PostgreSQL too."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    statement = insert(_setting).values(key=key, value=text, updated_at=now)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[_setting.c.key], set_={"value": text, "updated_at": now}
        )
    )


def classification_settings(session: Session) -> ClassificationSettings:
    raw = get_value(session, CLASSIFICATION_KEY, {}) or {}
    labels = dict(DEFAULT_TIER_LABELS)
    for key, label in (raw.get("tier_labels") or {}).items():
        if key in ValueTier.__members__:
            labels[ValueTier(key)] = str(label)
    return ClassificationSettings(
        core_bp=int(raw.get("core_bp", 500)),
        major_bp=int(raw.get("major_bp", 2500)),
        window=str(raw.get("window", "12m")),
        tier_labels=labels,
    )


def save_classification_settings(session: Session, settings: ClassificationSettings) -> None:
    if not 0 < settings.core_bp <= settings.major_bp <= 10000:
        raise InputError("cut-offs must satisfy 0 < core share <= major share <= 100%", "core_bp")
    from kam.services.classify.pareto import parse_window

    parse_window(settings.window)
    set_value(
        session,
        CLASSIFICATION_KEY,
        {
            "core_bp": settings.core_bp,
            "major_bp": settings.major_bp,
            "window": settings.window,
            "tier_labels": {t.value: label for t, label in settings.tier_labels.items()},
        },
    )
    bump_data_version(session)


def data_version(session: Session) -> int:
    return int(get_value(session, DATA_VERSION_KEY, 0))


def bump_data_version(session: Session) -> int:
    """Called by every service that writes revenue or what classification reads, so the
    stored classification is known to be stale."""
    version = data_version(session) + 1
    set_value(session, DATA_VERSION_KEY, version)
    return version


def all_settings(session: Session) -> dict[str, Any]:
    rows = session.exec(select(Setting)).all()
    return {row.key: json.loads(row.value) for row in rows}
