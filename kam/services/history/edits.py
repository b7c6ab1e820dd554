"""Saving a form over a row that may have changed since the form was opened.

A form remembers the row's version and values when it opened (the base). On save, if the row
moved on, the two edits are merged field by field: fields only one side changed keep that
side's value; a field both sides changed to different values is a clash, shown to the person,
who then decides. Nothing anyone typed is lost silently.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from kam.errors import ConflictError, InputError, InputErrors, KamError
from kam.schema import Entity, Field
from kam.services.history.changes import as_words
from kam.services.values.parsing import DATE_HINT, is_email, parse_amount, parse_date

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Base:
    """What the form was opened on."""

    version: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Clash:
    field: str
    theirs: Any
    mine: Any

    def describe(self) -> str:
        return f"{self.field}: saved meanwhile as {as_words(self.theirs) or 'blank'}"


class EditConflict(ConflictError):
    """Someone saved the same fields differently since the form was opened."""

    def __init__(self, clashes: list[Clash], current: Base) -> None:
        fields = ", ".join(c.field.replace("_", " ") for c in clashes)
        super().__init__(f"changed by someone else since you opened it: {fields}")
        self.clashes = clashes
        self.current = current


def merge(base: Base, current: Base, mine: Mapping[str, Any]) -> dict[str, Any]:
    """The fields to write: the ones I changed. Raises EditConflict when the other side
    changed one of them to something else."""
    my_changes = {k: v for k, v in mine.items() if v != base.values.get(k)}
    if current.version == base.version:
        return my_changes
    clashes = [
        Clash(field, current.values.get(field), value)
        for field, value in my_changes.items()
        if current.values.get(field) != base.values.get(field)
        and current.values.get(field) != value
    ]
    if clashes:
        raise EditConflict(clashes, current)
    return my_changes


# --- reading raw form input -----------------------------------------------------------------


class FormReader:
    """Reads the text a form holds into typed values, collecting every problem at once."""

    def __init__(self, raw: Mapping[str, Any], as_of: date | None = None) -> None:
        self.raw = raw
        self.as_of = as_of  # for dates typed as `tomorrow`, `+2w`, `next monday`
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self) -> None:
        if self.errors:
            raise InputErrors(self.errors)

    def text(self, field: str, *, limit: int, required: str | None = None) -> str | None:
        value = " ".join(str(self.raw.get(field) or "").split())
        if not value:
            if required:
                self.fail(field, required)
            return None
        if len(value) > limit:
            self.fail(field, f"at most {limit} characters (this has {len(value)})")
        return value

    def long_text(self, field: str) -> str:
        return str(self.raw.get(field) or "").strip()

    def choice(self, field: str, enum: type[E], *, required: bool = False) -> E | None:
        value = self.raw.get(field)
        if value in (None, ""):
            if required:
                self.fail(field, "choose one")
            return None
        try:
            return enum(value)
        except ValueError:
            self.fail(field, f"not one of: {', '.join(m.value for m in enum)}")
            return None

    def flag(self, field: str) -> bool:
        return bool(self.raw.get(field))

    def day(self, field: str, *, not_after: date | None = None) -> date | None:
        text = str(self.raw.get(field) or "").strip()
        if not text:
            return None
        try:
            value = parse_date(text, field, as_of=self.as_of)
        except InputError:
            example = DATE_HINT if self.as_of else "2026-03-05 or 5 Mar 2026"
            self.fail(field, f"{text!r} is not a date (try {example})")
            return None
        if not_after is not None and value > not_after:
            self.fail(field, f"cannot be later than {not_after.isoformat()}")
        return value

    def reference(self, field: str, exists: Callable[[uuid.UUID], bool], what: str) -> Any:
        value = self.raw.get(field)
        if value in (None, ""):
            return None
        try:
            ident = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except ValueError:
            self.fail(field, f"not a known {what}")
            return None
        if not exists(ident):
            self.fail(field, f"not a known {what}")
            return None
        return ident

    def money(self, field: str, *, required: str | None = None) -> int | None:
        """An amount in minor units, never negative; blank is None (or `required`'s
        message)."""
        text = str(self.raw.get(field) or "").strip()
        if not text:
            if required:
                self.fail(field, required)
            return None
        try:
            value = parse_amount(text, field)
        except InputError as exc:
            self.fail(field, str(exc).removeprefix(f"{field}: "))
            return None
        if value < 0:
            self.fail(field, "an amount cannot be negative")
            return None
        return value

    def email(self, field: str, *, limit: int = 200) -> str | None:
        value = self.text(field, limit=limit)
        if value and not is_email(value):
            self.fail(field, "an e-mail address looks like name@example.com")
        return value

    def value(self, f: Field) -> Any:
        """One field read as its declaration says; references are the caller's to check."""
        key = f.form_key
        if f.kind == "text":
            return self.text(key, limit=f.limit, required=f.required)
        if f.kind == "email":
            return self.email(key, limit=f.limit)
        if f.kind == "long":
            return self.long_text(key)
        if f.kind == "enum":
            assert f.enum is not None
            found = self.choice(key, f.enum, required=bool(f.required))
            return f.default if found is None else found
        if f.kind == "flag":
            return self.flag(key)
        if f.kind == "date":
            return self.day(key, not_after=self.as_of if f.not_future else None)
        if f.kind == "money":
            return self.money(key, required=f.required)
        raise KamError(f"{f.name}: a {f.kind} field is read by its service")

    def values(self, entity: Entity, *keys: str) -> dict[str, Any]:
        """The fields `keys` (form keys) of `entity`, each read as declared."""
        return {key: self.value(entity[key]) for key in keys}
