"""Team settings, the one way any module reads or writes them, and kam's own stored state.

A group of settings is a frozen dataclass deriving from `TeamSettings`: its fields and their
defaults are the settings, `check` says what a value may be. `load` reads a group (a value
never saved, or stored in a shape an older kam wrote, is its default); `save` checks it,
writes it and records each changed field in `setting_change`. The same key-value table also
holds what kam keeps for itself (the data version, what a stored figure was computed from):
`get_value` / `set_value`, never a team setting."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from kam.models import Setting, SettingChange
from kam.models.base import utcnow
from kam.services.unit import reads

DATA_VERSION_KEY = "data_version"
T = TypeVar("T", bound="TeamSettings")


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
    text = _json(value)
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


def last_changed(session: Session, *kinds: type[TeamSettings]) -> datetime | None:
    """When any of these groups of settings was last saved (None: never)."""
    return (
        session.connection()
        .execute(
            sa.select(sa.func.max(_setting.c.updated_at)).where(
                _setting.c.key.in_([kind.KEY for kind in kinds])
            )
        )
        .scalar()
    )


def data_version(session: Session) -> int:
    return int(get_value(session, DATA_VERSION_KEY, 0))


def bump_data_version(session: Session) -> int:
    """Called by every service that writes revenue or what classification reads, so the
    stored classification is known to be stale."""
    version = data_version(session) + 1
    set_value(session, DATA_VERSION_KEY, version)
    return version


class TeamSettings:
    """A group of team settings, stored under `KEY` as one JSON object of its fields."""

    KEY: ClassVar[str]
    # Whether saving changes figures kam stores (the classification): they are recomputed.
    CHANGES_FIGURES: ClassVar[bool] = False

    def check(self) -> None:
        """Raise InputError (or InputErrors) naming what is wrong; nothing is saved then."""

    def stored(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_stored(cls: type[T], raw: Mapping[str, Any]) -> T:
        """The fields as stored, each in the type of its default; a field missing, unknown or
        of a shape this kam cannot read is its default."""
        default = cls()
        values = {}
        for f in dataclasses.fields(default):  # type: ignore[arg-type]
            if f.name in raw:
                base = getattr(default, f.name)
                try:
                    values[f.name] = _like(base, raw[f.name])
                except (TypeError, ValueError, AttributeError):
                    continue
        return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _like(base: Any, value: Any) -> Any:
    """`value` as read from JSON, in the type of `base`; a dict keeps base's keys and types."""
    if isinstance(base, dict):
        if not isinstance(value, dict):
            raise TypeError("not an object")
        merged = dict(base)
        by_text = {str(k): k for k in base}
        for key, item in value.items():
            if key in by_text:
                merged[by_text[key]] = _like(base[by_text[key]], item)
        return merged
    if isinstance(base, bool):
        if not isinstance(value, bool):
            raise TypeError("not true or false")
        return value
    if isinstance(base, tuple):
        return tuple(value)
    return type(base)(value)


@reads
def load(session: Session, kind: type[T]) -> T:
    return kind.from_stored(get_value(session, kind.KEY, {}) or {})


def save(session: Session, value: T, *, by: str) -> T:
    """Check `value`, store it, and record each field that changed (who, when, from what)."""
    value.check()
    stored_before = get_value(session, value.KEY)
    before = type(value).from_stored(stored_before or {}).stored()
    after = value.stored()
    changed = [name for name in after if after[name] != before.get(name)]
    if not changed and stored_before is not None:
        return value
    set_value(session, value.KEY, after)
    now = utcnow()
    for name in changed:
        was = None if stored_before is None or name not in stored_before else before[name]
        session.add(
            SettingChange(
                key=value.KEY,
                field=name,
                old_value=None if was is None else _json(was),
                new_value=_json(after[name]),
                changed_by=by,
                changed_at=now,
            )
        )
    session.flush()
    if value.CHANGES_FIGURES:
        bump_data_version(session)
    return value


def changes(session: Session, kind: type[TeamSettings] | None = None) -> list[SettingChange]:
    """The changes of one group of settings (or of all), newest first."""
    query = select(SettingChange)
    if kind is not None:
        query = query.where(SettingChange.key == kind.KEY)
    return list(session.exec(query.order_by(SettingChange.changed_at.desc())).all())  # type: ignore[attr-defined]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
