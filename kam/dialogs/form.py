"""Modal forms: every field on one scrolling page, messages beside the fields they are about.

A form is a list of `FieldSpec`s, the values to start from, and the service's `save` intent,
run in a worker with the form's `raw` values (and `base`, when editing). Bad input keeps the
form open with what was typed; a conflict with someone else's save takes their untouched
fields, keeps every field typed here, and marks the ones both changed; escape on a changed
form asks before throwing anything away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from kam.errors import InputError, InputErrors
from kam.schema import Entity
from kam.screens.base import KamModal
from kam.services.history.changes import as_words
from kam.services.history.edits import Base, EditConflict
from kam.services.unit import Intent
from kam.services.values.formatting import money_exact
from kam.services.values.parsing import parse_date

Raw = dict[str, Any]


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    # text, long, choice, flag, date, money (minor units shown as 12,500.00), many (a
    # multiple choice among `choices`)
    kind: str = "text"
    choices: Sequence[tuple[str, Any]] = ()  # (label, value) for a choice
    placeholder: str = ""
    required: bool = False  # a choice with no blank entry
    suggester: Suggester | None = None  # completes what is typed in a text field


def to_raw(spec: FieldSpec, value: Any) -> Any:
    """A stored value as its widget holds it."""
    if spec.kind == "flag":
        return bool(value)
    if spec.kind == "many":
        return sorted(str(v) for v in (value or []))
    if spec.kind == "choice":
        return None if value is None else str(getattr(value, "value", value))
    if value is None:
        return ""
    if spec.kind == "money":
        return money_exact(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def choices_of(enum: type, *, words: Callable[[Any], str] | None = None) -> list[tuple[str, Any]]:
    """The options of a closed vocabulary, as people read them."""
    return [((words or as_words)(member) or "", member.value) for member in enum]


# How each kind of declared field is edited on a form.
_WIDGET = {"enum": "choice", "member": "choice", "contact": "choice", "long": "long",
           "flag": "flag", "date": "date", "money": "money"}  # fmt: skip


def form_fields(
    entity: Entity,
    *,
    choices: Mapping[str, Sequence[tuple[str, Any]]] | None = None,
    placeholders: Mapping[str, str] | None = None,
    words: Mapping[str, Callable[[Any], str]] | None = None,
) -> list[FieldSpec]:
    """The form of `entity` as its declaration has it. `choices` gives the options of the
    fields that choose a row (a member, a contact); `placeholders` hints worked out when
    the form opens; `words` how the members of a field's enum read."""
    choices, placeholders, words = choices or {}, placeholders or {}, words or {}
    specs = []
    for f in entity.form_fields:
        key = f.form_key
        options = choices.get(key, ())
        if f.kind == "enum" and not options:
            assert f.enum is not None
            options = choices_of(f.enum, words=words.get(key))
        specs.append(
            FieldSpec(
                key,
                f.label,
                _WIDGET.get(f.kind, "text"),
                options,
                placeholders.get(key, f.placeholder),
                required=f.no_blank,
            )
        )
    return specs


@dataclass(frozen=True)
class Preset:
    """What a form types in as it opens over the stored values, and what it says beside those
    fields: the laptop's side of a sync conflict over the team database's."""

    values: Mapping[str, Any]
    theirs: Mapping[str, Any]  # field: the other side's value, shown under the field
    marks: Mapping[str, str]  # field: a sentence shown under it
    note: str


class FormScreen(KamModal):
    """Returns what `save` returned, or None when cancelled."""

    CHANGES_DATA = True  # not opened on a read-only database (KamApp.push_screen)

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FieldSpec],
        values: Mapping[str, Any],
        save: Intent[Any],
        *,
        base: Base | None = None,
        preset: Preset | None = None,
    ) -> None:
        super().__init__()
        self.preset = preset
        self.form_title = title
        self.fields = list(fields)
        self.base = base
        self.save_intent = save
        self.initial: Raw = {f.key: to_raw(f, values.get(f.key)) for f in self.fields}
        self.saving = False

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.form_title, id="form-title")
            with VerticalScroll(id="form-fields"):
                for spec in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(spec.label, classes="form-label")
                        with Vertical(classes="form-cell"):
                            yield self._widget(spec)
                            if spec.kind == "date":
                                yield Static(
                                    self._date_hint(str(self.initial[spec.key] or "")),
                                    id=f"hint-{spec.key}",
                                    classes="form-hint",
                                )
                            yield Static("", id=f"error-{spec.key}", classes="form-error")
            yield Static("", id="form-message")
            with Horizontal(id="form-buttons"):
                yield Button("Save  ctrl+s", id="form-save", variant="primary", compact=True)
                yield Button("Cancel  esc", id="form-cancel", compact=True)

    def _widget(self, spec: FieldSpec) -> Widget:
        value = self.initial[spec.key]
        wid = f"field-{spec.key}"
        if spec.kind == "flag":
            return Checkbox(spec.placeholder or "yes", value, id=wid, compact=True)
        if spec.kind == "choice":
            return Select(
                [(label, v) for label, v in spec.choices],
                value=value if value is not None else Select.NULL,
                allow_blank=not spec.required,
                prompt=spec.placeholder or "—",
                id=wid,
                compact=True,
            )
        if spec.kind == "long":
            return TextArea(value, id=wid, compact=True, classes="form-long")
        if spec.kind == "many":
            return SelectionList(
                *((label, v, str(v) in value) for label, v in spec.choices),
                id=wid,
                classes="form-many",
            )
        examples = {"date": "e.g. 2026-03-05, +2w, next monday", "money": "e.g. 12,500.00"}
        placeholder = spec.placeholder or examples.get(spec.kind, "")
        return Input(value, placeholder=placeholder, id=wid, compact=True, suggester=spec.suggester)

    def on_mount(self) -> None:
        for spec in self.fields:
            if spec.kind == "date":
                hint = self.query_one(f"#hint-{spec.key}")
                hint.display = bool(self._date_hint(str(self.initial[spec.key] or "")))
        if self.fields:
            self.query_one(f"#field-{self.fields[0].key}").focus()
        if self.preset is not None:
            self._show_preset(self.preset)

    def _show_preset(self, preset: Preset) -> None:
        specs = {spec.key: spec for spec in self.fields}
        for key, value in preset.values.items():
            if key in specs:
                self._set(key, to_raw(specs[key], value))
        for key, value in preset.theirs.items():
            if key in specs:
                self._field_error(key, f"team database has: {self._words(specs[key], value)}")
        for key, text in preset.marks.items():
            self._field_error(key, text)
        self._message(preset.note, "warning")
        self._focus_first_error()

    @staticmethod
    def _words(spec: FieldSpec, value: Any) -> str:
        """A stored value as the person reads it in this field."""
        raw = to_raw(spec, value)
        if spec.kind == "choice":
            return next((label for label, v in spec.choices if v == raw), raw or "blank")
        return as_words(value) or "blank"

    # --- dates, resolved as they are typed ----------------------------------------------------

    def _date_hint(self, text: str) -> str:
        """The date a date field's text stands for, so `next monday` or `+2w` can be checked
        before saving; blank when nothing is typed."""
        if not text.strip():
            return ""
        as_of = getattr(self.app, "as_of", None) or date.today()
        try:
            value = parse_date(text, as_of=as_of)
        except InputError:
            return "not a date yet"
        return f"→ {value:%a} {value.isoformat()}"

    @on(Input.Changed)
    def _date_typed(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("field-")
        hints = self.query(f"#hint-{key}")
        if hints:
            hint = self._date_hint(event.value)
            box = hints.first(Static)
            box.update(hint)
            box.display = bool(hint)

    # --- reading the widgets ---------------------------------------------------------------

    def raw(self) -> Raw:
        values: Raw = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.key}")
            if isinstance(widget, SelectionList):
                values[spec.key] = sorted(str(v) for v in widget.selected)
            elif isinstance(widget, Select):
                values[spec.key] = None if widget.is_blank() else widget.value
            elif isinstance(widget, TextArea):
                values[spec.key] = widget.text
            elif isinstance(widget, Checkbox | Input):
                values[spec.key] = widget.value
        return values

    def _set(self, key: str, value: Any) -> None:
        widget = self.query_one(f"#field-{key}")
        if isinstance(widget, Select):
            widget.value = Select.NULL if value is None else value
        elif isinstance(widget, TextArea):
            widget.text = value
        elif isinstance(widget, Checkbox | Input):
            widget.value = value

    @property
    def changed(self) -> bool:
        return self.raw() != self.initial

    # --- saving ----------------------------------------------------------------------------

    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        if self.saving:
            return
        self.saving = True
        self._clear_messages()
        self._message("Saving…", "")
        raw, base = self.raw(), self.base
        save = self.save_intent.also(raw=raw)
        if base is not None:
            save = save.also(base=base)
        self.load(save, self._saved, group="form-save", failed=self._failed, classified=False)

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.dismiss(result)

    def _failed(self, exc: BaseException) -> None:
        self.saving = False
        if isinstance(exc, EditConflict):
            self._show_conflict(exc)
        elif isinstance(exc, InputErrors):
            for key, text in exc.errors.items():
                self._field_error(key, text)
            self._message(f"Nothing saved: {len(exc.errors)} to fix", "error")
            self._focus_first_error()
        elif isinstance(exc, InputError) and exc.field:
            self._field_error(exc.field, str(exc))
            self._message("Nothing saved", "error")
            self._focus_first_error()
        else:
            from kam.db import describe_error

            self._message(f"Nothing saved: {describe_error(exc)}", "error")

    def _show_conflict(self, conflict: EditConflict) -> None:
        """Take their values where nothing was typed here; keep ours and mark the clashes."""
        typed = self.raw()
        theirs = {
            spec.key: to_raw(spec, conflict.current.values.get(spec.key)) for spec in self.fields
        }
        for spec in self.fields:
            if typed[spec.key] == self.initial[spec.key] and theirs[spec.key] != typed[spec.key]:
                self._set(spec.key, theirs[spec.key])
        self.initial = theirs
        self.base = conflict.current
        specs = {spec.key: spec for spec in self.fields}
        for clash in conflict.clashes:
            spec = specs.get(clash.field)
            words = self._words(spec, clash.theirs) if spec else as_words(clash.theirs)
            self._field_error(clash.field, f"saved meanwhile as: {words or 'blank'}")
        self._message(
            "Someone else saved this meanwhile. Their other changes are filled in; "
            "ctrl+s saves yours over the marked fields, esc keeps theirs.",
            "warning",
        )

    def _field_error(self, key: str, text: str) -> None:
        matches = self.query(f"#error-{key}")
        if not matches:
            self._message(text, "error")
            return
        box = matches.first(Static)
        box.update(text)
        box.add_class("-shown")

    def _focus_first_error(self) -> None:
        """The first field in error, in the order the form shows them, takes the focus."""
        for spec in self.fields:
            if self.query_one(f"#error-{spec.key}").has_class("-shown"):
                field = self.query_one(f"#field-{spec.key}")
                field.focus()
                field.scroll_visible(animate=False)
                return

    def _clear_messages(self) -> None:
        for box in self.query(".form-error"):
            box.remove_class("-shown")
            box.update("")  # type: ignore[attr-defined]

    def _message(self, text: str, severity: str) -> None:
        box = self.query_one("#form-message", Static)
        box.update(text)
        box.set_classes(f"-{severity}" if severity else "")

    # --- leaving ---------------------------------------------------------------------------

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(
                "Throw away the changes in this form?",
                yes="Discard",
                no="Keep editing",
                changes_data=False,
            ),
            answered,
        )


class ConfirmScreen(KamModal):
    """y says yes; n or escape says no, and so does enter, which starts on the safe answer."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
    ]

    def __init__(
        self, question: str, *, yes: str = "Yes", no: str = "No", changes_data: bool = True
    ) -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no
        self.CHANGES_DATA = changes_data  # a yes that writes is not asked on a read-only file

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes}  y", id="confirm-yes", variant="warning", compact=True)
                yield Button(f"{self.no}  n", id="confirm-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
