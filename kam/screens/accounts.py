"""All live accounts: a lazy table that filters as you type and sorts in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from kam.dialogs import workspace as forms
from kam.dialogs.form import ConfirmScreen
from kam.screens.base import KamScreen
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.accounts import listing as account_service
from kam.services.accounts.listing import AccountListQuery, AccountRow
from kam.services.classify.pareto import ClassificationSettings
from kam.services.unit import Intent
from kam.services.values.formatting import KEEP_END, money, money_short, percent
from kam.widgets.badges import STATUS_STYLES, WARNING_STYLE, class_cell, health_cell, tier_cell
from kam.widgets.keybar import KeyBar
from kam.widgets.lazy_table import Column, LazyTable
from kam.widgets.title_bar import TitleBar

if TYPE_CHECKING:
    from textual.timer import Timer

    from kam.db import Database

COLUMNS = [
    Column("name", "Account", 22, grow=4),
    Column("class", "Class", 9),
    Column("tier", "Tier", 11),
    Column("revenue", "Revenue", 11, right=True),
    Column("share", "Share", 6, right=True, optional=True),
    Column("status", "Status", 7, optional=True),
    Column("team", "Team", 6),
    Column("health", "Health", 8, right=True, optional=True),
    Column("owner", "Owner", 14, grow=1, optional=True),
    Column("industry", "Industry", 14, grow=1, optional=True),
    Column("region", "Region", 8, optional=True),
]
SORT_CYCLE = [
    "revenue", "name", "class", "tier", "health", "share", "status", "owner", "industry", "region",
]  # fmt: skip


def _revenue(minor: int) -> str:
    """Exact up to 999,999,999; beyond that, short (1.2B) rather than cut off."""
    exact = money(minor)
    return exact if len(exact) <= 11 else money_short(minor)


# How long a load may take before the status line says it is loading.
LOADING_NOTICE_S = 0.25


class AccountSource:
    """Rows for the lazy table: one short read per page, in the worker's thread."""

    def __init__(
        self, database: Database, query: AccountListQuery, prepare: Callable[[], None]
    ) -> None:
        self.database = database
        self.query = query
        self.prepare = prepare
        self.matches: int | None = None

    def count(self) -> int:
        self.prepare()  # the list reads the stored classification: bring it up to date
        self.matches = Intent(account_service.count_accounts, self.query).run(self.database)
        return self.matches

    def fetch(self, offset: int, limit: int) -> Sequence[AccountRow]:
        page = Intent(
            account_service.list_accounts, self.query, offset, limit, matches=self.matches
        )
        return page.run(self.database)


class FoldedSource(AccountSource):
    """The folded list (a row per group) with the groups the user unfolded: each one's
    members, in tree order, right under its row. Indexes the table asks for are *shown*
    rows; the query's own rows are *listed* ones."""

    def __init__(
        self, database: Database, query: AccountListQuery, prepare: Callable[[], None]
    ) -> None:
        super().__init__(database, query, prepare)
        self.listed = 0  # rows the query lists (groups folded), as of the last count
        self._wanted: dict[uuid.UUID, int] = {}  # unfolded: group -> its listed index
        # As of the last count: (listed index, group, its members), by listed index.
        self._layout: list[tuple[int, uuid.UUID, Sequence[AccountRow]]] = []

    def is_open(self, group: uuid.UUID) -> bool:
        return group in self._wanted

    def unfold(self, shown: int, group: uuid.UUID) -> None:
        listed, member = self._split(shown)
        if member is None:
            self._wanted[group] = listed

    def fold(self, shown: int) -> int | None:
        """Fold the group that row `shown` is or is in; the row the group is on now (None:
        that row is in no unfolded group)."""
        listed, _member = self._split(shown)
        for at, group, _rows in self._layout:
            if at == listed:
                self._wanted.pop(group, None)
                return self._shown_of(listed)
        return None

    def _shown_of(self, listed: int) -> int:
        return listed + sum(len(rows) for at, _g, rows in self._layout if at < listed)

    def _split(self, shown: int) -> tuple[int, int | None]:
        """Row `shown` as (the listed row it is or is under, which member of it or None)."""
        shift = 0
        for at, _group, rows in self._layout:
            row_of_group = at + shift
            if shown <= row_of_group:
                break
            if shown <= row_of_group + len(rows):
                return at, shown - row_of_group - 1
            shift += len(rows)
        return shown - shift, None

    def count(self) -> int:
        self.listed = super().count()
        layout = []
        for group, at in sorted(self._wanted.items(), key=lambda item: item[1]):
            here = super().fetch(at, 1) if at < self.listed else []
            if not here or here[0].id != group:  # the data changed and the group moved
                continue
            members = Intent(account_service.group_rows, group).run(self.database)
            if members:
                layout.append((at, group, members))
        self._wanted = {group: at for at, group, _rows in layout}
        self._layout = layout
        return self.listed + sum(len(rows) for _at, _g, rows in layout)

    def fetch(self, offset: int, limit: int) -> Sequence[AccountRow]:
        first, first_member = self._split(offset)
        last, _ = self._split(offset + limit - 1)
        listed = super().fetch(first, last - first + 1)
        members = {at: rows for at, _g, rows in self._layout}
        shown: list[AccountRow] = []
        for at, row in enumerate(listed, start=first):
            shown.append(row)
            shown.extend(members.get(at, ()))
        skip = 0 if first_member is None else first_member + 1
        return shown[skip : skip + limit]


class AccountsScreen(KamScreen):
    AUTO_FOCUS = "#accounts"
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("s", "next_sort", "Sort"),
        Binding("r", "reverse_sort", "Reverse"),
        Binding("n", "new_account", "New"),
        Binding("e", "edit_account", "Edit"),
        Binding("d", "archive_account", "Archive"),
        Binding("u", "restore_account", "Restore"),
        Binding("a", "toggle_archive", "Archive view"),
        Binding("i", "import_file", "Import"),
        Binding("f", "toggle_fold", "Flat/folded"),
        Binding("right", "unfold", "Unfold", show=False),
        Binding("left", "fold", "Fold", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = AccountListQuery()
        self.labels = ClassificationSettings()
        self._left = False  # another screen was shown over this one since it loaded
        self._slow_load: Timer | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Input(placeholder="Filter by name…", id="filter")
        yield LazyTable(COLUMNS, self._cells, id="accounts")
        yield Static("", id="accounts-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.sub_title = "Accounts"
        self.load(
            Intent(settings_service.load, ClassificationSettings),
            self._labels_loaded,
            group="labels",
        )
        self._apply()

    def _labels_loaded(self, labels: ClassificationSettings) -> None:
        self.labels = labels
        self.query_one(LazyTable).refresh()

    def on_screen_suspend(self) -> None:
        self._left = True

    def data_changed(self) -> None:
        self.query_one(LazyTable).reload()

    def on_screen_resume(self) -> None:
        table = self.query_one(LazyTable)
        if self._left:  # coming back: the data may have changed meanwhile
            table.reload()
        self._left = False
        if self.focused is None:
            self.call_after_refresh(table.focus)

    def _name_cell(self, row: AccountRow) -> str:
        if row.depth:  # a member shown under its group
            return "  " * row.depth + "└ " + row.name
        if row.members:
            source = self.query_one(LazyTable).source
            mark = "▾" if isinstance(source, FoldedSource) and source.is_open(row.id) else "▸"
            return f"{mark} {row.name}{KEEP_END} ({row.members})"
        if row.group:
            return f"{row.name} (in {row.group})"
        return row.name

    def _cells(self, row: AccountRow) -> list[tuple[str, object]]:
        return [
            (self._name_cell(row), None),
            class_cell(row.account_class, row.strategic),
            tier_cell(row.tier, self.labels.label(row.tier)),
            (_revenue(row.revenue_minor), None),
            (percent(row.share), None),
            (row.status.value, STATUS_STYLES[row.status]),
            ("single", WARNING_STYLE) if row.single_threaded else ("", None),
            health_cell(row.health, row.band),
            (row.owner or "", None),
            (row.industry or "", None),
            (row.region or "", None),
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "archive_account":
            return not self.query_state.archived
        if action == "restore_account":
            return self.query_state.archived
        return True

    # --- editing --------------------------------------------------------------------------

    def _selected(self) -> AccountRow | None:
        row = self.query_one(LazyTable).cursor_value
        if row is None:
            self.notify("No account selected", timeout=3)
        return row

    def _saved(self, account: object) -> None:
        if account is not None:
            self.notify(f"Saved {account.name}", timeout=2)  # type: ignore[attr-defined]
            self.query_one(LazyTable).reload()

    def action_import_file(self) -> None:
        from kam.screens.importing import ImportScreen

        def imported(plan: Any) -> None:
            if plan is not None:
                self.notify(plan.summary(), timeout=5)
                self.query_one(LazyTable).reload()

        self.app.push_screen(ImportScreen(), imported)

    def action_new_account(self) -> None:
        forms.new_account(self, self._saved)

    def action_edit_account(self) -> None:
        row = self._selected()
        if row is not None:
            forms.edit_account(self, row.id, self._saved)

    def action_archive_account(self) -> None:
        row = self._selected()
        if row is None:
            return
        user = self.kam.user

        def answered(sure: bool | None) -> None:
            if sure:
                self._write(
                    Intent(account_edit.archive_account, row.id, user),
                    "Archived {} (a shows the archive)",
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Archive {row.name}? It leaves the lists and keeps its history; "
                "the archive view (a) can restore it.",
                yes="Archive",
                no="Cancel",
            ),
            answered,
        )

    def action_restore_account(self) -> None:
        row = self._selected()
        if row is None:
            return
        user = self.kam.user
        self._write(Intent(account_edit.restore_account, row.id, user), "Restored {}")

    def _write(self, change: Intent[Any], message: str) -> None:
        """Make `change`, then say so (with the account's name)."""

        def done(account: Any) -> None:
            self.notify(message.format(account.name), timeout=3)
            self.query_one(LazyTable).reload()

        self.load(change, done, group="write", classified=False)

    def action_toggle_archive(self) -> None:
        archived = not self.query_state.archived
        self.query_state = replace(self.query_state, archived=archived)
        self.sub_title = "Archived accounts" if archived else "Accounts"
        self.refresh_bindings()
        self._apply()

    # --- groups -----------------------------------------------------------------------

    def action_toggle_fold(self) -> None:
        folded = not self.query_state.folded
        self.query_state = replace(self.query_state, folded=folded)
        if self.query_state.filtered or self.query_state.archived:
            self.notify(
                "Groups fold again once the filter is cleared"
                if folded
                else "Every account is listed",
                timeout=3,
            )
        self._apply()

    def _folded_source(self) -> FoldedSource | None:
        source = self.query_one(LazyTable).source
        return source if isinstance(source, FoldedSource) else None

    def action_unfold(self) -> None:
        table = self.query_one(LazyTable)
        row, source = table.cursor_value, self._folded_source()
        if row is None or source is None or not row.members or row.depth:
            return
        if not source.is_open(row.id):
            source.unfold(table.cursor_row, row.id)
            table.reload()

    def action_fold(self) -> None:
        table = self.query_one(LazyTable)
        source = self._folded_source()
        if source is None or table.cursor_value is None:
            return
        at = source.fold(table.cursor_row)
        if at is not None:
            table.reload(cursor=at)

    def _apply(self) -> None:
        table = self.query_one(LazyTable)
        arrow = " ↓" if self.query_state.descending else " ↑"
        table.header_marks = {self.query_state.sort: arrow}
        kind = FoldedSource if self.query_state.shows_folded else AccountSource
        table.set_source(
            kind(
                self.kam.database,
                self.query_state,
                self.kam.ensure_health
                if self.query_state.sort == "health"
                else self.kam.ensure_classified,
            )
        )
        # The last count stays up while the next one is read: a filter keystroke is answered
        # in a few dozen milliseconds, and repainting the line twice for it only slows it.
        if self._slow_load is not None:
            self._slow_load.stop()
        self._slow_load = self.set_timer(LOADING_NOTICE_S, self._still_loading)

    def _still_loading(self) -> None:
        if self.query_one(LazyTable).is_loading:
            self._status("Loading…")

    def _status(self, text: str) -> None:
        self.query_one("#accounts-status", Static).update(text)

    def show_query(self, query: AccountListQuery) -> None:
        """Show the list as `query` asks (the dashboard opens what a tile counts); the
        filter box is cleared, escape clears the rest."""
        self.query_state = query
        box = self.query_one("#filter", Input)
        with box.prevent(Input.Changed):
            box.value = query.text
        box.set_class(bool(query.text), "-active")
        self.sub_title = "Accounts"
        self.refresh_bindings()
        self._apply()

    @on(LazyTable.Loaded)
    def _loaded(self, event: LazyTable.Loaded) -> None:
        q = self.query_state
        label = next(c.label for c in COLUMNS if c.key == q.sort)
        source = self._folded_source()
        if source is not None:
            parts = [f"{source.listed:,} groups and accounts, folded (→ unfolds, f flat)"]
        else:
            parts = [f"{event.row_count:,} {'archived ' if q.archived else ''}accounts"]
            if not q.folded and not q.filtered and not q.archived:
                parts.append("every one listed (f folds groups)")
        if q.described:
            parts.append(f"{q.described} only (esc shows all)")
        if q.text.strip():
            parts.append(f"matching “{q.text.strip()}”")
        parts.append(f"sorted by {label} {'↓' if q.descending else '↑'}")
        self._status(" · ".join(parts))

    @on(LazyTable.LoadFailed)
    def _failed(self, event: LazyTable.LoadFailed) -> None:
        self._status(f"Could not load accounts: {event.error}")
        self.notify(event.error, title="Could not load accounts", severity="error")

    @on(LazyTable.Selected)
    def _open(self, event: LazyTable.Selected) -> None:
        row, source = event.row, self._folded_source()
        if source is not None and row.members and not row.depth and not source.is_open(row.id):
            self.action_unfold()  # enter on a folded group unfolds it; again opens it
            return
        self.kam.open_account(row.id)

    @on(LazyTable.HeaderClicked)
    def _header(self, event: LazyTable.HeaderClicked) -> None:
        if event.column.key == self.query_state.sort:
            self.action_reverse_sort()
        else:
            self._sort_by(event.column.key)

    # --- filter -----------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-active")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_state = replace(self.query_state, text=event.value)
        self._apply()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(LazyTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus:
            if not box.value:
                box.remove_class("-active")
            self.query_one(LazyTable).focus()
            return
        if box.value:
            box.value = ""  # Input.Changed reloads the table
        elif self.query_state.classified_filter:
            self.query_state = replace(
                self.query_state, account_class=None, tier=None, key_only=False
            )
            self._apply()
        box.remove_class("-active")

    # --- sort -------------------------------------------------------------------------

    def _sort_by(self, key: str) -> None:
        descending = key in {"revenue", "share", "class", "tier"} and key != "name"
        if key in {"class", "tier", "health"}:
            descending = False  # core/diamond first; the worst health first
        self.query_state = replace(self.query_state, sort=key, descending=descending)
        self._apply()

    def action_next_sort(self) -> None:
        index = SORT_CYCLE.index(self.query_state.sort)
        self._sort_by(SORT_CYCLE[(index + 1) % len(SORT_CYCLE)])

    def action_reverse_sort(self) -> None:
        self.query_state = replace(self.query_state, descending=not self.query_state.descending)
        self._apply()
