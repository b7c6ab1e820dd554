"""What a field of an editable entity is: one line that forms, import, export and validation
all read, so a field is declared once.

`kind` says how the field's text is read and shown:
    text, long (free text), email, enum, flag, date, money (minor units), percent, int,
    member (a team member by name or id), region (a region or territory by name),
    contact (a contact of the same account, by name),
    id (kam's own id of the row), account (the account's name), ref (the account's id in
    kam or in another tool), period (a year or quarter), growth (a percentage that may be
    negative), competitors (`Acme 30%, Beta 15%`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

TEXT_KINDS = ("text", "email", "contact", "member", "account", "region")


@dataclass(frozen=True)
class Field:
    name: str  # the column a file has it under, and the header export writes
    kind: str = "text"
    label: str = ""  # as a person reads it on a form; blank: not on a form
    attr: str | None = None  # the model's attribute; None: a column only files have
    key: str | None = None  # the form's key for it, when not `attr`
    aliases: tuple[str, ...] = ()  # other headers files give it (other tools, Chinese)
    limit: int = 0  # characters; taken from the model's column when it has a length
    enum: type[StrEnum] | None = None
    required: str | None = None  # what a blank value is told
    default: Any = None  # what a blank value becomes
    placeholder: str = ""  # the form's hint when the field is blank
    no_blank: bool = False  # a choice the form offers with no blank entry
    not_future: bool = False  # a date that cannot be later than today
    exported: bool = True  # export writes it (False: an import-only column)

    @property
    def form_key(self) -> str:
        return self.key or self.attr or self.name

    @property
    def on_form(self) -> bool:
        return bool(self.label)


@dataclass(frozen=True)
class Entity:
    """The editable fields of one kind of row, in the order files and forms show them."""

    name: str
    model: type
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        table: sa.Table = self.model.__table__  # type: ignore[attr-defined]
        filled = []
        for f in self.fields:
            column = table.c.get(f.attr) if f.attr else None
            length = getattr(getattr(column, "type", None), "length", None)
            if length and not f.limit and f.kind in (*TEXT_KINDS, "long"):
                f = replace(f, limit=length)
            filled.append(f)
        object.__setattr__(self, "fields", tuple(filled))

    def __getitem__(self, key: str) -> Field:
        """A field by its form key, its attribute or its file column."""
        for f in self.fields:
            if key in (f.form_key, f.attr, f.name):
                return f
        raise KeyError(key)

    @property
    def file_fields(self) -> tuple[Field, ...]:
        return self.fields

    @property
    def export_header(self) -> list[str]:
        return [f.name for f in self.fields if f.exported]

    @property
    def defaults(self) -> dict[str, Any]:
        """What a new row's form starts from: each declared default, by form key."""
        return {f.form_key: f.default for f in self.fields if f.on_form and f.default is not None}

    @property
    def form_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.on_form)


def aliases(text: str) -> tuple[str, ...]:
    """Other headers separated by `|`."""
    return tuple(a for a in text.split("|") if a)
