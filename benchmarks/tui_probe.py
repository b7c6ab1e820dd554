"""Measures the interface from inside one headless kam process (used by run.py).

Each figure runs from the moment the action starts (a mode switch, a character entering the
filter box, an account being opened) to the refresh that shows its data: the time stamp is
taken in `call_after_refresh` after the screen has the rows, so it includes the worker
thread's SQL and the repaint, not the Pilot's own overhead.

An account screen is timed to the first frame Textual writes for it once every tab's data is
on it (a test checks that this frame has the text the screen settles on), and again to the
moment it has settled: after it, Textual lays the screen out again for its own bookkeeping
(a new screen's resize, the end of its mount) on its next frame tick, which changes nothing
on the screen.

Prints one JSON object: first_frame_at (wall clock, for the parent to subtract its spawn time),
accounts_open_ms, filter_keystroke_ms (one per character), account_open_ms (the first account
opened in the process, to its first frame with every tab's data), account_settled_ms (the
same, settled), account_again_ms and account_again_settled_ms (a second account), maxrss_mb.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path


async def probe(db_path: str, as_of: date, word: str) -> dict[str, object]:
    from textual.app import App

    from kam.app import KamApp
    from kam.db import open_database
    from kam.screens.account import AccountScreen
    from kam.screens.dashboard import DashboardScreen
    from kam.widgets.lazy_table import LazyTable

    shown = asyncio.Event()

    def after_refresh(original):
        def wrapper(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            self.call_after_refresh(shown.set)
            return result

        return wrapper

    framed = asyncio.Event()  # a frame written for an account screen with every tab's data
    display = App._display

    def watch_frames(self, screen, update) -> None:
        display(self, screen, update)
        workspace = getattr(screen, "workspace", None)
        if update is not None and workspace is not None and workspace.insight_loaded:
            framed.set()

    App._display = watch_frames
    DashboardScreen._show = after_refresh(DashboardScreen._show)
    LazyTable._counted = after_refresh(LazyTable._counted)
    AccountScreen._show = after_refresh(AccountScreen._show)

    async def timed(action) -> float:
        shown.clear()
        started = time.perf_counter()
        action()
        await asyncio.wait_for(shown.wait(), 60)
        return (time.perf_counter() - started) * 1000

    app = KamApp(open_database(f"sqlite:///{db_path}"), as_of=as_of)
    results: dict[str, object] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        await asyncio.wait_for(shown.wait(), 60)
        results["first_frame_at"] = time.time()
        await pilot.pause()
        results["accounts_open_ms"] = await timed(lambda: app.switch_mode("accounts"))
        await pilot.pause()
        screen = app.screen
        screen.action_filter()
        await pilot.pause()
        box = screen.query_one("#filter")
        keystrokes = []
        for char in word:
            keystrokes.append(await timed(lambda c=char: box.insert_text_at_cursor(c)))
            await pilot.pause()
        results["filter_keystroke_ms"] = keystrokes
        box.value = ""
        await asyncio.wait_for(shown.wait(), 60)
        await pilot.pause()
        table = screen.query_one(LazyTable)
        first, second = table.row_at(0), table.row_at(1)

        async def open_account(account_id) -> tuple[float, float]:
            """(first frame with every tab's data, settled) in ms; the Account plan tab reads
            its own when it is shown."""
            framed.clear()
            shown.clear()
            started = time.perf_counter()
            app.open_account(account_id)
            await asyncio.wait_for(framed.wait(), 60)
            framed_ms = (time.perf_counter() - started) * 1000
            await asyncio.wait_for(shown.wait(), 60)
            settled_ms = (time.perf_counter() - started) * 1000
            assert isinstance(app.screen, AccountScreen)
            await pilot.pause()
            app.pop_screen()
            await pilot.pause()
            return framed_ms, settled_ms

        results["account_open_ms"], results["account_settled_ms"] = await open_account(first.id)
        # Another account: the screen's code, Textual's styles and the queries are warm.
        results["account_again_ms"], results["account_again_settled_ms"] = await open_account(
            second.id
        )
        results.update(await pipeline_figures(app, pilot))
    results["maxrss_mb"] = peak_memory_mb()
    return results


async def until(ready, limit: float = 60.0) -> float:
    """Milliseconds until `ready()` holds, checked every millisecond, then one repaint."""
    started = time.perf_counter()
    while not ready():
        if time.perf_counter() - started > limit:
            raise TimeoutError("the screen never showed its data")
        await asyncio.sleep(0.001)
    return (time.perf_counter() - started) * 1000


async def pipeline_figures(app, pilot) -> dict[str, float]:
    from kam.screens.pipeline import CardList

    out: dict[str, float] = {}

    def board_ready(screen, before=None) -> bool:
        columns = list(screen.query(CardList))
        return (
            len(columns) == 5
            and all(not c.is_loading for c in columns)
            and screen.forecast is not None
            and screen.forecast is not before
        )

    started = time.perf_counter()
    app.switch_mode("pipeline")
    await until(lambda: hasattr(app.screen, "forecast") and board_ready(app.screen))
    out["board_open_ms"] = (time.perf_counter() - started) * 1000
    await pilot.pause()
    screen = app.screen
    # A filter, once typing pauses: every column recounted and the totals redone.
    before = screen.forecast
    box = screen.query_one("#deal-text")
    started = time.perf_counter()
    box.value = "a"
    screen._read_filters()
    await until(lambda: board_ready(screen, before))
    out["board_filter_ms"] = (time.perf_counter() - started) * 1000
    await pilot.pause()
    box.value = ""
    before = screen.forecast
    screen._read_filters()
    await until(lambda: board_ready(screen, before))
    await pilot.pause()
    # A card moved one stage: written, both columns reloaded, the cursor on it.
    first = screen.query(CardList).first()
    first.focus()
    await pilot.pause()
    target = list(screen.query(CardList))[1]
    before = screen.forecast
    started = time.perf_counter()
    screen.action_move(1)
    await until(
        lambda: app.focused is target and not target.is_loading and screen.forecast is not before
    )
    out["card_move_ms"] = (time.perf_counter() - started) * 1000
    await pilot.pause()
    # The forecast view: four groupings.
    started = time.perf_counter()
    await screen.action_toggle_forecast()
    body = screen.query_one("#forecast-body")
    await until(lambda: bool(str(body.content)))
    out["forecast_view_ms"] = (time.perf_counter() - started) * 1000
    await pilot.pause()
    # The agenda: the team's plan items due up to the end of next week, and their counts.
    from kam.widgets.lazy_table import LazyTable

    started = time.perf_counter()
    app.switch_mode("agenda")

    def agenda_ready() -> bool:
        tables = app.screen.query("#agenda")
        counts = app.screen.query("#agenda-counts")
        return (
            bool(tables)
            and not tables.first(LazyTable).is_loading
            and bool(counts)
            and bool(str(counts.first().content))
        )

    await until(agenda_ready)
    out["agenda_open_ms"] = (time.perf_counter() - started) * 1000
    await pilot.pause()
    # At risk: the stored health (current for the day) and its at-risk list.
    started = time.perf_counter()
    app.switch_mode("risk")

    def risk_ready() -> bool:
        tables = app.screen.query("#risk")
        return bool(tables) and not tables.first(LazyTable).is_loading

    await until(risk_ready)
    out["at_risk_open_ms"] = (time.perf_counter() - started) * 1000
    return out


def peak_memory_mb() -> float:
    """This process's peak resident memory. On Linux, VmHWM: ru_maxrss survives exec, so a
    probe started by a parent that held a lot of memory would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    db_path, as_of, word = sys.argv[1], date.fromisoformat(sys.argv[2]), sys.argv[3]
    print(json.dumps(asyncio.run(probe(db_path, as_of, word))))


if __name__ == "__main__":
    main()
