"""The import dialog: choose a file and what it holds, see what would happen, then import.

The preview is a full check of the file against the database (a dry run); Import is offered
only once a preview found nothing wrong, and runs all of the file or none of it.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from kam.errors import KamError
from kam.files import imports
from kam.screens.base import KamModal
from kam.services.unit import Intent

PREVIEW_LINES = 200
# How dates like 03/04/2026 are read: decided per column from its dates, or as the user says.
DATE_ORDERS = {"file": "from the file", "day": "day first (3/4 = 3 Apr)", "month": "month first"}


class ImportScreen(KamModal):
    """Returns the applied ImportPlan, or None when closed without importing."""

    CHANGES_DATA = True

    BINDINGS = [
        Binding("ctrl+r", "preview", "Preview", priority=True),
        Binding("ctrl+s", "run_import", "Import", priority=True),
        Binding("escape", "cancel", "Close"),
    ]

    def __init__(self, kind: str = "accounts") -> None:
        super().__init__()
        self.kind = kind
        self.previewed: tuple | None = None  # the inputs of the last clean preview
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form", classes="import"):
            yield Static("Import from a file", id="form-title")
            with Horizontal(classes="form-row"):
                yield Label("File", classes="form-label")
                yield Input(placeholder="path to a .csv or .xlsx file", id="import-path")
            with Horizontal(classes="form-row"):
                yield Label("It holds", classes="form-label")
                yield Select(
                    [(k, k) for k in (*imports.KINDS, "all")],
                    value=self.kind,
                    allow_blank=False,
                    id="import-kind",
                    compact=True,
                )
                yield Label("Dates", classes="import-dates-label")
                yield Select(
                    [(label, key) for key, label in DATE_ORDERS.items()],
                    value="file",
                    allow_blank=False,
                    id="import-dates",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label("Columns", classes="form-label")
                yield Input(placeholder="optional: Kunde=name, Umsatz=amount", id="import-map")
            with Horizontal(classes="form-row"):
                yield Label("", classes="form-label")
                yield Checkbox("update what kam has", id="import-update", compact=True)
                yield Checkbox("create accounts it names", id="import-create", compact=True)
            with VerticalScroll(id="import-preview"):
                yield Static(
                    "Type the file's path, then enter or ctrl+r to preview.", id="import-report"
                )
            yield Static("", id="form-message")
            with Horizontal(id="form-buttons"):
                yield Button("Preview  ctrl+r", id="import-preview-button", compact=True)
                yield Button(
                    "Import  ctrl+s",
                    id="import-run",
                    variant="primary",
                    compact=True,
                    disabled=True,
                )

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    def _inputs(self) -> tuple:
        return (
            self.query_one("#import-path", Input).value.strip(),
            str(self.query_one("#import-kind", Select).value),
            self.query_one("#import-map", Input).value.strip(),
            self.query_one("#import-update", Checkbox).value,
            str(self.query_one("#import-dates", Select).value),
            self.query_one("#import-create", Checkbox).value,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        """Anything changed since the preview: it has to be previewed again."""
        self.query_one("#import-run", Button).disabled = self._inputs() != self.previewed

    def _options(self, inputs: tuple) -> tuple[Path, str, imports.Options]:
        path_text, kind, mapping, update, dates, create = inputs
        if not path_text:
            raise KamError("which file? type its path")
        items = [m for m in mapping.replace(";", ",").split(",") if m.strip()]
        options = imports.Options(
            remembered=True,
            update=update,
            dayfirst={"day": True, "month": False}.get(dates),
            create_accounts=create,
            mapping=imports.parse_mapping(items),
            user=self.kam.user,
        )
        return Path(path_text).expanduser(), kind, options

    def _message(self, text: str, severity: str = "") -> None:
        message = self.query_one("#form-message", Static)
        message.update(text)
        message.set_classes(f"-{severity}" if severity else "")

    @on(Button.Pressed, "#import-preview-button")
    @on(Input.Submitted)
    def action_preview(self) -> None:
        if self.busy:
            return
        inputs = self._inputs()
        try:
            path, kind, options = self._options(inputs)
        except KamError as exc:
            self._message(str(exc), "error")
            return
        self.busy = True
        self._message("Checking the file…")

        def shown(plan: imports.ImportPlan) -> None:
            self.busy = False
            self._show(plan, applied=False)
            self.previewed = inputs if plan.ok and plan.writes else None
            self._changed()
            if plan.ok and plan.writes:
                self._message("Nothing wrong found: ctrl+s imports it.")
            elif plan.ok:
                self._message("Nothing to import: kam holds all of it already.", "warning")
            else:
                self._message("Fix the rows listed, then preview again.", "error")

        self.load(
            Intent(imports.preview_file, kind, path, options),
            shown,
            group="import",
            failed=self._failed,
            classified=False,
        )

    @on(Button.Pressed, "#import-run")
    def action_run_import(self) -> None:
        inputs = self._inputs()
        if self.busy or inputs != self.previewed:
            if not self.busy:
                self._message("Preview first (ctrl+r): import runs what the preview showed.")
            return
        path, kind, options = self._options(inputs)
        self.busy = True
        self._message("Importing…")

        def done(plan: imports.ImportPlan) -> None:
            self.busy = False
            if not plan.ok:  # the data changed since the preview
                self._show(plan, applied=False)
                self.previewed = None
                self._changed()
                self._message(
                    "The database changed since the preview; nothing was written.", "error"
                )
                return
            self.dismiss(plan)

        self.load(
            Intent(imports.apply_file, kind, path, options),
            done,
            group="import",
            failed=self._failed,
            classified=False,
        )

    def _show(self, plan: imports.ImportPlan, *, applied: bool) -> None:
        from rich.text import Text

        lines = [plan.describe(applied=applied, limit=PREVIEW_LINES)]
        for kind in plan.kinds:
            columns = kind.column_lines()
            if columns and not applied:
                lines += ["", f"{kind.source}: each column, the field it goes to, its first values"]
                lines += columns
        if not applied and any(k.header for k in plan.kinds):
            lines += [
                "",
                "A column read wrong? Columns: Kunde=name; kam keeps it for these headers.",
            ]
        self.query_one("#import-report", Static).update(Text("\n".join(lines)))

    def _failed(self, exc: BaseException) -> None:
        from kam.db import describe_error

        self.busy = False
        self.previewed = None
        self._changed()
        self._message(describe_error(exc), "error")

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)
