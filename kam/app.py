"""KamApp: global keys, screen switching and the command palette. Screens do the rest."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from datetime import date
from functools import partial
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer

from kam.db import Database, describe_error
from kam.errors import DatabaseOpenError
from kam.services.accounts import listing as account_service
from kam.services.accounts.regions import Scope
from kam.services.classify import pareto
from kam.services.unit import Intent


class AccountSearch(Provider):
    """ctrl+p: jump to any account or contact by part of its name."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, KamApp)
        if not query.strip():
            return
        hits = await asyncio.to_thread(app.search, query)
        matcher = self.matcher(query)
        for hit in hits:
            score = matcher.match(hit.label) or 0.5
            prefix = "Account" if hit.kind == "account" else "Contact"
            yield Hit(
                score,
                Content.assemble((f"{prefix}: ", "dim"), matcher.highlight(hit.label)),
                partial(
                    app.open_account,
                    hit.account_id,
                    "overview" if hit.kind == "account" else "contacts",
                    None if hit.kind == "account" else hit.id,
                ),
                text=hit.label,
                help=hit.detail,
            )


def _screen(module: str, name: str) -> Screen:
    """Screens are imported when first shown, which keeps start-up short."""
    from importlib import import_module

    return getattr(import_module(f"kam.screens.{module}"), name)()


HELP_PANEL_MIN_WIDTH = 110  # columns from which `?` opens the keys beside the screen


# Modules imported while the person is not typing, so the first open of each is quick.
PRELOADED = (
    "kam.screens.accounts",
    "kam.screens.account",
    "kam.screens.pipeline",
    "kam.screens.agenda",
    "kam.dialogs.deals",
    "kam.screens.risk",
)
QUIET_S = 0.3  # no key or click for this long, and nothing loading: start-up work goes on
HELD_KEYS_S = 5.0  # keys typed while a screen opens wait at most this long for it
HELD_KEYS_MAX = 500


class KamApp(App[None]):
    TITLE = "kam"
    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    COMMANDS = App.COMMANDS | {AccountSearch}
    ENABLE_COMMAND_PALETTE = True

    DEFAULT_MODE = "dashboard"
    MODES = {
        "dashboard": lambda: _screen("dashboard", "DashboardScreen"),
        "accounts": lambda: _screen("accounts", "AccountsScreen"),
        "pipeline": lambda: _screen("pipeline", "PipelineScreen"),
        "agenda": lambda: _screen("agenda", "AgendaScreen"),
        "review": lambda: _screen("review", "ReviewScreen"),
        "risk": lambda: _screen("risk", "RiskScreen"),
        "conflicts": lambda: _screen("conflicts", "ConflictsScreen"),
    }
    BINDINGS = [
        Binding("1", "show('dashboard')", "Dashboard"),
        Binding("2", "show('accounts')", "Accounts"),
        Binding("3", "show('pipeline')", "Pipeline"),
        Binding("4", "show('agenda')", "Agenda"),
        Binding("5", "show('review')", "Review"),
        Binding("6", "show('risk')", "At risk"),
        Binding("question_mark", "toggle_help", "Keys"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+y", "sync", "Sync", show=False),
        Binding("7", "show('conflicts')", "Conflicts", show=False),
    ]
    SYNC_EVERY = 300  # seconds between syncs of a laptop's copy of the team database

    def __init__(self, database: Database, as_of: date | None = None, user: str = "kam") -> None:
        super().__init__()
        self.database = database
        self._sync_lock = threading.Lock()
        self.user = user  # who the history names for changes made here
        self._as_of = as_of
        self._classify_lock = threading.Lock()
        self._read_ahead: dict[str, Future[object]] = {}
        self._last_input = 0.0  # time.monotonic() of the last key press or click
        self.sub_title = database.display_name
        self.crash: tuple[BaseException, Path | None] | None = None  # the error that ended it
        self.start_up_finished = False  # the background work after the first frame is done
        self._holds: set[str] = set()  # why keys are held now (see hold_keys)
        self._held_keys: list[events.Key] = []
        self._held_timer: Timer | None = None
        self._keep_theme()

    # --- the theme, kept between runs -------------------------------------------------------

    def _keep_theme(self) -> None:
        from kam.config import configured

        chosen = configured("theme")
        if chosen and chosen in self.available_themes:
            self.theme = chosen

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_chosen)

    def _theme_chosen(self, theme) -> None:
        from kam.config import save_configured

        def save() -> None:
            # A read-only config folder: the theme holds for this run only.
            with contextlib.suppress(OSError):
                save_configured("theme", theme.name)

        self.run_worker(save, thread=True, group="config", exit_on_error=False)

    # --- an unexpected error: one line on the terminal, the traceback in a log --------------

    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            from kam.crash import write_crash_log

            self.crash = (error, write_crash_log(error))
        super()._handle_exception(error)

    def _print_error_renderables(self) -> None:
        if self.crash is None:
            super()._print_error_renderables()
            return
        from kam.crash import crash_line

        self._exit_renderables.clear()
        print(crash_line(*self.crash), file=sys.__stderr__)

    def on_load(self) -> None:
        # The first screen's figures are read while Textual sets up the terminal and the
        # screen (~0.1 s), not after.
        from kam.services.portfolio.overview import portfolio_page

        self.read_ahead("dashboard", Intent(portfolio_page, self.as_of))

    def on_ready(self) -> None:
        # Once the dashboard is drawn, load the other screens' code while the person reads
        # it, so the first switch to each one does not wait for its imports.
        self.set_timer(0.5, self._preload_screens)
        if self.database.read_only is not None:
            self._say_read_only()
        elif self.database.is_sqlite:
            self.run_worker(self._first_sync, thread=True, group="sync", exclusive=True)

    @property
    def database_mark(self) -> str:
        """What the title line says about the database: "" when it can be changed and is not
        a copy of the team database."""
        if self.database.read_only is None:
            return self.sync_words
        return "read-only" if self.database.stores_derived else "damaged"

    # --- a laptop's copy of the team database ------------------------------------------------

    sync_words = ""  # the copy's state, as the title line says it ("" for any other database)
    is_replica = False

    def _first_sync(self) -> None:
        from kam.services.sync import replica

        found = Intent(replica.state).run(self.database)
        if found is None:
            return
        self.is_replica = True
        self.call_from_thread(self._show_sync_state, found)
        self.call_from_thread(self.set_interval, self.SYNC_EVERY, self.action_sync)
        self._sync(announce=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sync" or (action == "show" and parameters == ("conflicts",)):
            return self.is_replica  # only a copy of the team database syncs, and lists the keys
        return True

    def action_sync(self) -> None:
        self.run_worker(partial(self._sync, announce=True), thread=True, group="sync")

    def _sync(self, *, announce: bool) -> None:
        """Send what was changed here and receive what others changed, in this thread; the
        title line says how it went, a note only when asked for or when something came."""
        from kam.db import describe_error
        from kam.errors import KamError
        from kam.services.sync import replica

        if not self._sync_lock.acquire(blocking=False):
            return  # one sync at a time: the running one covers this request
        try:
            self.call_from_thread(self._say_syncing)
            try:
                synced = replica.sync(self.database)
            except KamError as exc:
                Intent(replica.mark_offline, str(exc)).run(self.database)
                if announce:
                    self.call_from_thread(self.notify, str(exc), title="Offline", timeout=8)
            except Exception as exc:  # this laptop's file (locked, full disk): said, not raised
                self.call_from_thread(
                    self.notify,
                    f"sync stopped: {describe_error(exc)}",
                    title="Not synced",
                    severity="error",
                    timeout=10,
                )
            else:
                came = synced.received.rows
                if announce or came or synced.conflicts:
                    note = f"sent {synced.sent}, received {came}"
                    if synced.conflicts:
                        note += f"; {synced.conflicts} changed on both sides"
                    self.call_from_thread(self.notify, note, title="Synced", timeout=5)
                if came:
                    self.call_from_thread(self._reload_screen)
            self.call_from_thread(self._show_sync_state, Intent(replica.state).run(self.database))
        finally:
            self._sync_lock.release()

    def _say_syncing(self) -> None:
        self.sync_words = "syncing…"
        self._retitle_bars()

    def _show_sync_state(self, found) -> None:
        from datetime import UTC, datetime

        self.sync_words = found.words(datetime.now(UTC)) if found is not None else ""
        self._retitle_bars()

    def _retitle_bars(self) -> None:
        for bar in self.screen.query("TitleBar"):
            bar.refresh()

    def _reload_screen(self) -> None:
        """The screen shown reads its data again; those under it do when they come back."""
        changed = getattr(self.screen, "data_changed", None)
        if callable(changed):
            changed()

    def _say_read_only(self) -> None:
        self.notify(
            f"{self.database.read_only}. You can browse and report; nothing can be changed "
            "or saved.",
            title="Read-only",
            severity="warning",
            timeout=12,
        )

    def _check_pages(self) -> None:
        """SQLite's quick check of every page, in the background once the start-up is done:
        a damaged file is shown as such and nothing more is written into it."""
        if self.database.read_only is not None:
            return  # browsed in a fresh copy, or found damaged already
        try:
            self.database.check_pages()
        except DatabaseOpenError as exc:
            self.database.refuse_writes(f"{self.database.display_name} is damaged")
            self.call_from_thread(self._say_damaged, str(exc))

    def _say_damaged(self, message: str) -> None:
        self.notify(message, title="Database damaged", severity="error", timeout=60)
        for bar in self.screen.query("TitleBar"):
            bar.refresh()

    def _preload_screens(self) -> None:
        def load() -> None:
            from importlib import import_module

            from sqlalchemy.orm import configure_mappers

            from kam.services.workspace import warm_up

            def read_ahead() -> None:
                # only a warm-up: opening an account will say what is wrong
                with contextlib.suppress(Exception):
                    Intent(warm_up, self.as_of).run(self.database)

            def keep() -> None:
                # Everything built so far lives as long as the app: keep it out of the garbage
                # collector's full passes, which otherwise pause the interface visibly.
                gc.collect()
                gc.freeze()
                self.start_up_finished = True

            steps = [
                *(partial(import_module, module) for module in PRELOADED),
                # The first ORM query sets up every model's mapping, a noticeable wait; the
                # dashboard reads without the ORM, so it would otherwise fall to the first account.
                configure_mappers,
                read_ahead,
                self._check_pages,
                keep,
            ]
            for step in steps:
                # Each step holds the interpreter for tens of milliseconds: run it while the
                # person is not typing and nothing they asked for is loading.
                while not self.call_from_thread(self._is_quiet):
                    time.sleep(0.1)
                step()

        self.run_worker(load, thread=True, group="preload", exit_on_error=False)

    def _is_quiet(self) -> bool:
        if time.monotonic() - self._last_input < QUIET_S:
            return False
        return all(worker.is_finished or worker.group == "preload" for worker in self.workers)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._holds:
                # A screen is being opened, or a key's binding is still moving the focus:
                # this key is meant for where the focus lands.
                if len(self._held_keys) < HELD_KEYS_MAX:
                    self._held_keys.append(events.Key(event.key, event.character))
                return
            focused = self.focused
            if focused is not None and focused.message_queue_size and self._binding_first(event):
                # The keys typed just before are still on their way into the field: `12000`
                # and ctrl+s at once must save 12000. This key waits until they are in.
                self._held_keys.append(events.Key(event.key, event.character))
                self.hold_keys("typing")
                self._release_when_typed(focused)
                return
            if self._binding_first(event) and (
                await self._check_bindings(event.key, priority=True)
                or await self._check_bindings(event.key)
            ):
                # What the binding set going (a focus change, a screen) is queued behind it:
                # the next keys wait until that has run.
                self.hold_keys("binding")
                self.call_later(self.release_keys, "binding")
                return
        await super().on_event(event)

    def _binding_first(self, key: events.Key) -> bool:
        """Whether `key` can only be a binding where the focus is now (no text it types).

        Textual hands a key to the focused widget's queue and runs the screen's binding when
        the key comes back up unhandled, by which time the next keys have gone out already: `/`
        and a name typed at once put the name's `e` on the list (edit) instead of in the
        filter box the `/` opened. A key the focused widget would not take as text has its
        binding run here, at once, and the keys after it wait until what it set going has
        run (see hold_keys), so they go where it moved the focus."""
        from textual.widgets import TextArea

        focused = self.focused
        if focused is None:
            return True
        if focused.check_consume_key(key.key, key.character):
            return False
        return not (isinstance(focused, TextArea) and not focused.read_only and key.key == "enter")

    # --- the main screens, and keys typed while a screen changes ----------------------------

    async def action_show(self, mode: str) -> None:
        """`1`-`6` show their screen itself, whatever was opened over it (an account from the
        palette, say): never an account left on top of the agenda."""
        from textual.screen import ModalScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            self.pop_screen()
        if mode != self.current_mode:
            self.hold_keys()  # released when the new screen is shown
            await self.switch_mode(mode)

    # --- the region shown: a regional manager's own, or the whole portfolio ---------------

    region: Scope | None = None  # the dashboard, pipeline, review and at-risk show its accounts

    def action_choose_region(self) -> None:
        """`R` on those screens: choose a region or territory, or the whole portfolio."""
        from kam.dialogs.regions import WHOLE, RegionScreen
        from kam.services.accounts import regions

        screen = self.screen
        if not hasattr(screen, "open_when_loaded"):
            return
        current = self.region.name if self.region is not None else None

        def chosen(name: str | None) -> None:
            if name is None:
                return
            if name == WHOLE:
                self._set_region(None)
                return
            screen.load(  # type: ignore[attr-defined]
                Intent(regions.scope, name), self._set_region, group="region", classified=False
            )

        screen.open_when_loaded(  # type: ignore[attr-defined]
            Intent(regions.regions), lambda rows: RegionScreen(rows, current), chosen
        )

    def _set_region(self, region: Scope | None) -> None:
        self.region = region
        self._reload_screen()  # the others read it when they are shown again

    async def show_accounts(self, query: account_service.AccountListQuery) -> None:
        """The accounts list as `query` asks (what a dashboard tile counts)."""
        await self.action_show("accounts")
        show_query = getattr(self.screen, "show_query", None)
        if show_query is not None:
            show_query(query)

    def push_screen(self, screen, *args, **kwargs):  # type: ignore[no-untyped-def]
        from kam.screens.base import DataMixin

        if self.database.read_only is not None and getattr(screen, "CHANGES_DATA", False):
            self.drop_held_keys()  # what was typed for the form has nowhere to go
            self.notify(
                f"{self.database.read_only}: you can browse and report, not change anything",
                title="Read-only",
                severity="warning",
            )
            return None
        if isinstance(screen, DataMixin):
            self.hold_keys()  # released when it is shown (see DataMixin._shown)
        return super().push_screen(screen, *args, **kwargs)

    def pop_screen(self):  # type: ignore[no-untyped-def]
        from kam.screens.base import DataMixin

        if len(self.screen_stack) > 1 and isinstance(self.screen_stack[-2], DataMixin):
            self.hold_keys()  # released when the screen below is shown again
        return super().pop_screen()

    def hold_keys(self, reason: str = "screen") -> None:
        """Keep the keys pressed from now on until `release_keys(reason)`: typing `e` and a
        name at once must put the name in the form `e` opens, not run the list's keys."""
        if not self._holds:
            self._held_timer = self.set_timer(HELD_KEYS_S, self._held_too_long)
        self._holds.add(reason)

    def release_keys(self, reason: str = "screen") -> None:
        """Once nothing holds them, the held keys go, in order, to what has the focus now."""
        self._holds.discard(reason)
        if self._holds:
            return
        held = self._stop_holding()
        for key in held:
            self.post_message(key)

    def _release_when_typed(self, widget, tries: int = 40) -> None:
        """Release the keys held for `widget` once it has taken the keys before them (or
        after 40 short waits, whatever else it has queued)."""
        if tries and widget.message_queue_size and widget.is_attached:
            self.set_timer(0.005, partial(self._release_when_typed, widget, tries - 1))
        else:
            self.release_keys("typing")

    def drop_held_keys(self, reason: str = "screen") -> None:
        """The screen did not open (an error was shown): the keys meant for it are dropped."""
        self._holds.discard(reason)
        self._held_keys.clear()
        if not self._holds:
            self._stop_holding()

    def _stop_holding(self) -> list[events.Key]:
        held, self._held_keys = self._held_keys, []
        self._holds.clear()
        if self._held_timer is not None:
            self._held_timer.stop()
            self._held_timer = None
        return held

    def _held_too_long(self) -> None:
        if self._held_keys:
            self.notify("Still opening; the keys typed meanwhile were set aside", timeout=4)
        self._stop_holding()

    @property
    def as_of(self) -> date:
        """The date the portfolio is seen from (fixed in tests, else the local calendar date)."""
        return self._as_of or date.today()

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_help(self) -> None:
        from textual.widgets import HelpPanel  # pulls in Markdown: not needed to start

        if self.screen.query(HelpPanel):
            self.action_hide_help_panel()
        elif self.size.width < HELP_PANEL_MIN_WIDTH:
            # The side panel would leave the screen's tables a few columns: show the keys
            # over the screen instead.
            from kam.screens.keys import KeysScreen, key_sections

            self.push_screen(KeysScreen(key_sections(self.screen)))
        else:
            self.action_show_help_panel()

    def open_account(
        self,
        account_id: uuid.UUID,
        tab: str = "overview",
        contact_id: uuid.UUID | None = None,
        *,
        deal_id: uuid.UUID | None = None,
    ) -> None:
        """Read the account off the UI thread, then show its screen in one paint."""
        self.hold_keys()
        self.run_worker(
            self._open_account(account_id, tab, contact_id, deal_id),
            group="open-account",
            exclusive=True,
        )

    async def _open_account(
        self,
        account_id: uuid.UUID,
        tab: str,
        contact_id: uuid.UUID | None,
        deal_id: uuid.UUID | None = None,
    ) -> None:
        from kam.screens.account import AccountScreen
        from kam.services.workspace import load_account

        def read() -> object:
            self.ensure_classified()
            return Intent(load_account, account_id, self.as_of).run(self.database)

        try:
            loaded = await asyncio.to_thread(read)
        except Exception as exc:
            self.drop_held_keys()
            self.show_error(exc)
            return
        self.push_screen(
            AccountScreen(account_id, loaded, tab=tab, contact_id=contact_id, deal_id=deal_id)  # type: ignore[arg-type]
        )

    # --- services used from worker threads -----------------------------------------------

    def ensure_classified(self) -> None:
        """Refresh the stored classification if revenue, flags, settings or the date moved."""
        self._ensure(pareto.is_current, pareto.refresh)

    def ensure_health(self) -> None:
        """Refresh the stored health (and the classification under it) if anything moved."""
        from kam.services.health import stored as health

        self.ensure_classified()
        self._ensure(health.is_current, health.refresh)

    def _ensure(self, is_current, refresh) -> None:
        """Check with a read; rebuild in a write only when out of date (one thread at a time)."""
        with self._classify_lock:
            if Intent(is_current, self.as_of).run(self.database):
                return
            if not self.database.stores_derived:
                return  # a damaged file: the figures as they were last stored
            Intent(refresh, self.as_of).run(self.database)

    def read_ahead(self, key: str, intent: Intent[object]) -> None:
        """Start a read (classification brought up to date first) in a thread of its own now,
        for a screen that will ask for it by `key` once it exists."""
        future: Future[object] = Future()

        def run() -> None:
            try:
                self.ensure_classified()
                future.set_result(intent.run(self.database))
            except BaseException as exc:  # handed to the screen that takes it
                future.set_exception(exc)

        self._read_ahead[key] = future
        threading.Thread(target=run, name=f"kam-read-ahead-{key}", daemon=True).start()

    def take_read_ahead(self, key: str) -> Future[object] | None:
        """The read started for `key`, once: later loads read afresh."""
        return self._read_ahead.pop(key, None)

    def search(self, text: str) -> list[account_service.SearchHit]:
        return Intent(account_service.search, text).run(self.database)

    def show_error(self, exc: BaseException) -> None:
        self.notify(describe_error(exc), title="Could not do that", severity="error", timeout=8)
