"""A sync conflict opened in its record's own form, as when two windows saved the same row:
the laptop's values typed in over what the team database has, each field marked with the
team database's value. Saving sends them with the next sync; escape decides nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kam import schema
from kam.dialogs.deals import edit_deal
from kam.dialogs.form import Preset
from kam.dialogs.plans import edit_item
from kam.dialogs.workspace import edit_account, edit_contact, new_account
from kam.screens.base import DataMixin
from kam.services.sync.conflicts import RowConflicts, refusal_words

FIELDS_NOTE = (
    "Changed here and on the team database. The marked fields hold this laptop's values: "
    "ctrl+s saves them (sent with the next sync), or change them first; esc decides nothing."
)
REFUSED_NOTE = (
    "The team database refused this new account as it was: change what is marked, then ctrl+s "
    "adds it (sent with the next sync); esc decides nothing."
)
# The rows a form edits, by table: the form opener for a conflict on some of its fields.
_EDITORS: dict[str, Callable[[DataMixin, RowConflicts, Callable[[Any], None], Preset], None]] = {
    "account": lambda on, r, done, p: edit_account(on, r.row_id, done, preset=p),
    "contact": lambda on, r, done, p: edit_contact(on, r.account_id, r.row_id, done, preset=p),
    "opportunity": lambda on, r, done, p: edit_deal(on, r.row_id, done, preset=p),
    "plan_item": lambda on, r, done, p: edit_item(on, r.account_id, r.row_id, done, preset=p),
}


def opens_in_form(row: RowConflicts) -> bool:
    if row.kind == "fields":
        return row.table_name in _EDITORS
    return row.kind == "refused" and row.table_name == "account"


def open_conflict(screen: DataMixin, row: RowConflicts, done: Callable[[Any], None]) -> None:
    """The form of the row the conflict is about, with the laptop's side typed in."""
    if row.kind == "fields":
        _EDITORS[row.table_name](screen, row, done, Preset(row.mine, row.theirs, {}, FIELDS_NOTE))
        return
    keys = {f.form_key for f in schema.ACCOUNT.form_fields}
    values = {k: v for k, v in row.mine.items() if k in keys}
    mark = f"the team database refused it: {refusal_words(row.reason)}; rename it"
    preset = Preset(values, {}, {"name": mark}, REFUSED_NOTE)
    new_account(screen, done, preset=preset)
