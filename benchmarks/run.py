"""kam's speed at several portfolio sizes, measured against targets and against the floor.

    python benchmarks/run.py [--scales 1000,10000,100000] [--runs 3] [--json PATH] [--keep DIR]

Builds a demo database per scale (about 20 revenue lines per account over 3 years, plus
contacts, deals and plans), then measures each figure several times and prints medians in one
table, also written as JSON. Needs the `bench` extra (pandas) for the pandas comparison and
the `sqlite3` shell for the SQL floor; figures that cannot be measured say why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2026, 11, 22)
FILTER_WORD = "acme"

TARGETS = {
    "build_s": ("build the demo database", "< 60 s", 60.0),
    "pareto_s": ("`kam report pareto`, whole process", "< 1.5 s", 1.5),
    "pareto_fresh_s": ("... computed afresh (another date)", "", None),
    "shell_s": ("... the same SQL in the sqlite3 shell", "", None),
    "pareto_vs_shell": ("... kam afresh / sqlite3 shell", "< 3x", 3.0),
    "classify_s": ("classification in-process", "< pandas", None),
    "pandas_s": ("... the same in pandas (rows in memory)", "", None),
    "pandas_load_s": ("... pandas reading the rows first", "", None),
    "first_frame_s": ("`kam` start to first dashboard frame", "< 1.0 s", 1.0),
    "accounts_open_ms": ("accounts screen open", "< 150 ms", 150.0),
    "keystroke_ms": ("one filter keystroke to refreshed table", "< 50 ms", 50.0),
    "account_open_ms": ("account screen open: first frame, every tab's data", "< 100 ms", 100.0),
    "account_settled_ms": ("... until Textual's follow-up layout passes are done", "", None),
    "account_again_ms": ("... another account after it: first frame", "< 100 ms", 100.0),
    "account_again_settled_ms": ("... another account: settled", "", None),
    "board_open_ms": ("pipeline board open (5 columns, totals)", "< 150 ms", 150.0),
    "board_filter_ms": ("... a filter applied to the board", "< 150 ms", 150.0),
    "card_move_ms": ("... a card moved one stage", "< 150 ms", 150.0),
    "forecast_view_ms": ("... the forecast view", "< 500 ms", 500.0),
    "pipeline_report_s": ("`kam report pipeline`, whole process", "< 1.5 s", 1.5),
    "agenda_open_ms": ("agenda open (the team's, counts per section)", "< 150 ms", 150.0),
    "health_fresh_s": (
        "`kam report health`, a new day: classification, segments and every health",
        "",
        None,
    ),
    "health_report_s": ("`kam report health`, health current", "< 1.5 s", 1.5),
    "wallet_report_s": ("`kam report wallet`, whole process", "< 1.5 s", 1.5),
    "segments_report_s": ("`kam report segments`, whole process", "< 1.5 s", 1.5),
    "at_risk_open_ms": ("At-risk view open (health current)", "< 500 ms", 500.0),
    "review_queue_ms": (
        "review queue built: its order and first page (health current)",
        "< 500 ms",
        500.0,
    ),
    "review_card_ms": ("... one account's review card", "< 100 ms", 100.0),
    "headline_s": ("headline indicators, 4 quarters, and the Pareto curve", "", None),
    "review_report_s": ("`kam report review`, whole process", "", None),
    "export_all_s": ("`kam export all` as CSV, whole process", "", None),
    "import_all_s": ("`kam import all` of that export into a new file", "", None),
    "maxrss_mb": ("peak memory of the TUI process", "< 300 MB", 300.0),
    "list_flat_ms": ("accounts list, every account: count and first page", "< 150 ms", 150.0),
    "list_folded_ms": ("... groups folded: count and first page", "< 150 ms", 150.0),
    "list_filter_ms": ("... filtered by name (members shown with their group)", "< 50 ms", 50.0),
    "group_unfold_ms": ("... the biggest group unfolded (its tree)", "< 50 ms", 50.0),
    "group_rollup_ms": ("the biggest group's figures (Overview)", "< 100 ms", 100.0),
    "classify_by_group_s": ("classification by group, in-process", "", None),
    "region_indicators_ms": ("every region's indicators (report --by region)", "< 2000 ms", None),
    # The same targets as the whole portfolio's views: a region may be half of it.
    "region_dashboard_ms": ("the dashboard of the biggest region", "< 2000 ms", 2000.0),
    "region_forecast_ms": ("the forecast by region", "< 500 ms", 500.0),
    "region_at_risk_ms": ("the biggest region's at-risk count and first page", "< 500 ms", 500.0),
    "region_list_ms": ("the biggest region's key accounts: count and page", "< 150 ms", 150.0),
    "sync_week_s": (
        "`kam sync` after a week offline: 1,000 edits here, 10,000 rows there (10k accounts)",
        "< 10 s",
        10.0,
    ),
}


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed_process(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def kam(*args: str) -> list[str]:
    return [sys.executable, "-m", "kam", *args]


def fresh_sql(db: Path, as_of: date) -> str:
    """The classification statement kam runs when nothing is stored, as literal SQL."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import sqlite

    from kam.services.classify import pareto
    from kam.services.classify.pareto import ClassificationSettings

    window = pareto.make_window(as_of, "12m")
    query = pareto.classification_select(window, ClassificationSettings()).subquery("c")
    statement = sa.select(query).order_by(query.c.position)
    return str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


def pandas_classification(db: Path, as_of: date, runs: int) -> tuple[float, float]:
    """The same classification in pandas: (compute time on rows in memory, load time)."""
    import pandas as pd

    start = (as_of - timedelta(days=365)).isoformat()
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    lines = pd.read_sql_query(
        "SELECT account_id, booked_on, amount_minor, cost_minor FROM revenue_line", conn
    )
    accounts = pd.read_sql_query(
        "SELECT id, name, name_key, strategic, emerging, tier_override FROM account "
        "WHERE archived_at IS NULL",
        conn,
    )
    load = time.perf_counter() - started
    conn.close()

    def compute() -> float:
        started = time.perf_counter()
        window = lines[(lines.booked_on > start) & (lines.booked_on <= as_of.isoformat())]
        sums = window.groupby("account_id")[["amount_minor", "cost_minor"]].sum()
        df = accounts.merge(sums, left_on="id", right_index=True, how="left").fillna(
            {"amount_minor": 0, "cost_minor": 0}
        )
        df["active"] = df.amount_minor > 0
        df = df.sort_values(
            ["active", "amount_minor", "name_key", "id"], ascending=[False, False, True, True]
        )
        df["position"] = range(1, len(df) + 1)
        n = int(df.active.sum())
        core, major = (500 * n + 9999) // 10000, (2500 * n + 9999) // 10000
        total = df.amount_minor.sum()
        df["share"] = df.amount_minor / total
        df["cumulative"] = df.amount_minor.cumsum() / total
        rank = df.position.where(df.active)
        df["class"] = "general"
        df.loc[df.emerging.astype(bool), "class"] = "emerging"
        df.loc[rank <= major, "class"] = "major"
        df.loc[rank <= core, "class"] = "core"
        tier = pd.Series("general", index=df.index)
        tier[df.emerging.astype(bool)] = "potential"
        tier[df.strategic.astype(bool)] = "strategic"
        tier[rank <= major] = "gold"
        tier[rank <= core] = "diamond"
        tier[df.cost_minor > df.amount_minor] = "problem"
        df["tier"] = df.tier_override.fillna(tier)
        assert len(df) == len(accounts)
        return time.perf_counter() - started

    return median_of(runs, compute), load


def classify_in_process(db: Path, as_of: date, runs: int) -> float:
    from kam.db import open_database
    from kam.services.classify import pareto

    database = open_database(f"sqlite:///{db}")

    def once() -> float:
        started = time.perf_counter()
        with database.read() as session:
            pareto.classify(session, as_of)  # not the stored date: computed afresh
        return time.perf_counter() - started

    try:
        return median_of(runs, once)
    finally:
        database.dispose()


def probe_tui(db: Path, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        spawned = time.time()
        out = subprocess.run(
            [sys.executable, str(HERE / "tui_probe.py"), str(db), AS_OF.isoformat(), FILTER_WORD],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
        data["first_frame_s"] = data.pop("first_frame_at") - spawned
        results.append(data)
    return {
        "first_frame_s": statistics.median(r["first_frame_s"] for r in results),
        "accounts_open_ms": statistics.median(r["accounts_open_ms"] for r in results),
        "keystroke_ms": statistics.median(k for r in results for k in r["filter_keystroke_ms"]),
        "maxrss_mb": max(r["maxrss_mb"] for r in results),
        **{
            key: statistics.median(r[key] for r in results)
            for key in (
                "account_open_ms",
                "account_settled_ms",
                "account_again_ms",
                "account_again_settled_ms",
                "board_open_ms",
                "board_filter_ms",
                "card_move_ms",
                "forecast_view_ms",
                "agenda_open_ms",
                "at_risk_open_ms",
            )
        },
    }


def measure(
    scale: int, folder: Path, runs: int, only_groups: bool = False
) -> dict[str, float | str]:
    db = folder / f"bench-{scale}.db"
    figures: dict[str, float | str] = {}
    print(f"[{scale:,} accounts] building…", file=sys.stderr)
    figures["build_s"] = timed_process(
        kam(
            "demo",
            "--accounts",
            str(scale),
            "--db",
            str(db),
            "--no-tui",
            "--as-of",
            AS_OF.isoformat(),
        )
    )
    print(f"[{scale:,} accounts] groups…", file=sys.stderr)
    figures.update(groups_in_process(db, runs))
    print(f"[{scale:,} accounts] regions…", file=sys.stderr)
    figures.update(regions_in_process(db, runs))
    if only_groups:
        figures.update(probe_tui(db, runs))
        return figures
    print(f"[{scale:,} accounts] reports…", file=sys.stderr)
    figures["pareto_s"] = median_of(
        runs,
        lambda: timed_process(
            kam("report", "pareto", "--db", str(db), "--as-of", AS_OF.isoformat())
        ),
    )
    figures["pipeline_report_s"] = median_of(
        runs,
        lambda: timed_process(
            kam("report", "pipeline", "--db", str(db), "--as-of", AS_OF.isoformat())
        ),
    )
    other_day = AS_OF - timedelta(days=1)
    # Every run on another day, so that every one scores all health afresh.
    fresh_days = iter(AS_OF - timedelta(days=10 + n) for n in range(runs))
    figures["health_fresh_s"] = median_of(
        runs,
        lambda: timed_process(
            kam("report", "health", "--db", str(db), "--as-of", next(fresh_days).isoformat())
        ),
    )
    for key, args in (
        ("health_report_s", ("report", "health", "--as-of", AS_OF.isoformat())),
        ("wallet_report_s", ("report", "wallet", "--as-of", AS_OF.isoformat())),
        ("segments_report_s", ("report", "segments", "--as-of", AS_OF.isoformat())),
    ):
        figures[key] = median_of(
            runs, lambda args=args: timed_process(kam(*args[:2], "--db", str(db), *args[2:]))
        )
    figures["pareto_fresh_s"] = median_of(
        runs,
        lambda: timed_process(
            kam("report", "pareto", "--db", str(db), "--as-of", other_day.isoformat())
        ),
    )
    shell = shutil.which("sqlite3")
    if shell:
        sql_file = folder / "pareto.sql"
        sql_file.write_text(fresh_sql(db, other_day) + ";\n")

        def run_shell() -> float:
            started = time.perf_counter()
            with sql_file.open() as stdin:
                subprocess.run([shell, str(db)], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
            return time.perf_counter() - started

        figures["shell_s"] = median_of(runs, run_shell)
        figures["pareto_vs_shell"] = figures["pareto_fresh_s"] / figures["shell_s"]
    else:
        figures["shell_s"] = figures["pareto_vs_shell"] = "no sqlite3 shell"
    print(f"[{scale:,} accounts] classification…", file=sys.stderr)
    figures["classify_s"] = classify_in_process(db, other_day, runs)
    try:
        figures["pandas_s"], figures["pandas_load_s"] = pandas_classification(db, other_day, runs)
    except ImportError:
        figures["pandas_s"] = figures["pandas_load_s"] = "pandas not installed"
    print(f"[{scale:,} accounts] interface…", file=sys.stderr)
    figures.update(probe_tui(db, runs))
    print(f"[{scale:,} accounts] review…", file=sys.stderr)
    figures.update(review_in_process(db, runs))
    figures["review_report_s"] = median_of(
        runs,
        lambda: timed_process(
            kam("report", "review", "--db", str(db), "--as-of", AS_OF.isoformat())
        ),
    )
    print(f"[{scale:,} accounts] export and import…", file=sys.stderr)
    out = folder / f"export-{scale}"
    figures["export_all_s"] = timed_process(kam("export", "all", "--db", str(db), "-o", str(out)))
    target = folder / f"imported-{scale}.db"
    figures["import_all_s"] = timed_process(kam("import", "all", str(out), "--db", str(target)))
    shutil.rmtree(out, ignore_errors=True)
    target.unlink(missing_ok=True)
    return figures


def groups_in_process(db: Path, runs: int) -> dict[str, float]:
    """The accounts list flat and folded, the biggest group unfolded and its figures, and
    the classification computed by group (then set back to by account)."""
    import sqlalchemy as sa

    from kam.db import open_database
    from kam.models import Account
    from kam.services.accounts import group_figures, listing
    from kam.services.classify import pareto

    database = open_database(f"sqlite:///{db}")
    acct = Account.__table__
    try:
        with database.write() as session:
            pareto.refresh(session, AS_OF)
        with database.read() as session:
            biggest = (
                session.connection()
                .execute(
                    sa.select(acct.c.parent_id)
                    .where(acct.c.parent_id.is_not(None))
                    .group_by(acct.c.parent_id)
                    .order_by(sa.func.count().desc())
                    .limit(1)
                )
                .scalar_one()
            )
            while (up := session.get(Account, biggest).parent_id) is not None:
                biggest = up

        def page(query: listing.AccountListQuery) -> Callable[[object], object]:
            def read(session) -> None:
                matches = listing.count_accounts(session, query)
                listing.list_accounts(session, query, 0, 100, matches=matches)

            return read

        def timed(work: Callable[[object], object]) -> float:
            started = time.perf_counter()
            with database.read() as session:
                work(session)
            return time.perf_counter() - started

        def by_group() -> float:
            with database.write() as session:
                pareto.classify_by(session, "group", "bench")
            started = time.perf_counter()
            with database.write() as session:
                pareto.refresh(session, AS_OF, force=True)
            took = time.perf_counter() - started
            with database.write() as session:
                pareto.classify_by(session, "account", "bench")
                pareto.refresh(session, AS_OF, force=True)
            return took

        folded = listing.AccountListQuery()
        return {
            "list_flat_ms": 1000
            * median_of(runs, lambda: timed(page(listing.AccountListQuery(folded=False)))),
            "list_folded_ms": 1000 * median_of(runs, lambda: timed(page(folded))),
            "list_filter_ms": 1000
            * median_of(runs, lambda: timed(page(listing.AccountListQuery(text=FILTER_WORD)))),
            "group_unfold_ms": 1000
            * median_of(runs, lambda: timed(lambda s: listing.group_rows(s, biggest))),
            "group_rollup_ms": 1000
            * median_of(runs, lambda: timed(lambda s: group_figures.rollup(s, biggest, AS_OF))),
            "classify_by_group_s": median_of(runs, by_group),
        }
    finally:
        database.dispose()


def regions_in_process(db: Path, runs: int) -> dict[str, float]:
    """The figures of the biggest region (dashboard, at-risk, accounts list) and every
    region's indicators and forecast, with the classification and health current."""
    from kam.db import open_database
    from kam.services.accounts import listing, regions
    from kam.services.classify import pareto
    from kam.services.health import stored as health
    from kam.services.pipeline import filters, forecast
    from kam.services.portfolio import indicators, overview

    database = open_database(f"sqlite:///{db}")
    try:
        with database.write() as session:
            pareto.refresh(session, AS_OF)
            health.refresh(session, AS_OF)
        with database.read() as session:
            biggest = max((r for r in regions.regions(session) if r.region is None),
                          key=lambda r: r.accounts)  # fmt: skip
            scope = regions.scope(session, biggest.name)

        def timed(work: Callable[[object], object]) -> float:
            started = time.perf_counter()
            with database.read() as session:
                work(session)
            return time.perf_counter() - started

        def at_risk(session) -> None:
            health.count_at_risk(session, region=scope)
            health.at_risk(session, offset=0, limit=100, region=scope)

        def key_list(session) -> None:
            query = listing.AccountListQuery(key_only=True, region=scope)
            matches = listing.count_accounts(session, query)
            listing.list_accounts(session, query, 0, 100, matches=matches)

        def ms(work: Callable[[object], object]) -> float:
            return 1000 * median_of(runs, lambda: timed(work))

        return {
            "region_indicators_ms": ms(lambda s: indicators.by_region(s, AS_OF)),
            "region_dashboard_ms": ms(lambda s: overview.portfolio_page(s, AS_OF, scope)),
            "region_forecast_ms": ms(
                lambda s: forecast.forecast(s, filters.DealFilter(), AS_OF, "region")
            ),
            "region_at_risk_ms": ms(at_risk),
            "region_list_ms": ms(key_list),
        }
    finally:
        database.dispose()


def review_in_process(db: Path, runs: int) -> dict[str, float]:
    """The review queue, one card and the headline indicators, with health current (as the
    review screen has it)."""
    from kam.db import open_database
    from kam.services.classify import pareto
    from kam.services.health import stored as score
    from kam.services.portfolio import indicators
    from kam.services.review import cards, queue

    database = open_database(f"sqlite:///{db}")
    try:
        with database.write() as session:
            pareto.refresh(session, AS_OF)
            score.refresh(session, AS_OF)
        with database.read() as session:
            first = queue.queue_order(session, AS_OF).ids[0]

        def read_queue(session) -> None:  # what the screen reads: the order, then the first page
            order = queue.queue_order(session, AS_OF)
            queue.queue_rows(session, AS_OF, queue.QueueFilter(), order.ids[:100])

        def timed(work: Callable[[object], object]) -> float:
            started = time.perf_counter()
            with database.read() as session:
                work(session)
            return time.perf_counter() - started

        return {
            "review_queue_ms": 1000 * median_of(runs, lambda: timed(read_queue)),
            "review_card_ms": 1000
            * median_of(runs, lambda: timed(lambda s: cards.review_card(s, first, AS_OF))),
            "headline_s": median_of(runs, lambda: timed(lambda s: indicators.headline(s, AS_OF))),
        }
    finally:
        database.dispose()


SYNC_TEAM = 10_000  # accounts on the team database of the sync figure
SYNC_LOCAL, SYNC_SERVER = 1_000, 10_000  # changes made on each side during a week offline


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return candidates[0].parent if candidates else None


def sync_after_a_week(folder: Path, runs: int) -> dict[str, float | str]:
    """The first sync of a laptop's copy after a week offline: SYNC_LOCAL accounts edited on
    the laptop, SYNC_SERVER revenue lines booked on the team database, on a throwaway
    PostgreSQL server (as the tests start one). Each run starts again from the same copy."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        return {"sync_week_s": "no PostgreSQL found"}
    root = Path(tempfile.mkdtemp(prefix="kam-bench-pg-"))
    as_postgres = os.geteuid() == 0
    wrap = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = root / "data"

    def pg(*args: str) -> None:
        subprocess.run([*wrap, str(bin_dir / args[0]), *args[1:]], check=True, capture_output=True)

    pg("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg("pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        import sqlalchemy as sa

        admin = sa.create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE kam")
        admin.dispose()
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/kam"
        team = folder / "sync-team.db"
        build = ("demo", "--accounts", str(SYNC_TEAM), "--db", str(team), "--no-tui")
        subprocess.run(kam(*build, "--as-of", AS_OF.isoformat()), check=True, capture_output=True)
        subprocess.run(kam("copy", "--db", str(team), "--to", url), check=True, capture_output=True)
        joined = folder / "sync-joined.db"
        subprocess.run(kam("join", "--db", str(joined), url), check=True, capture_output=True)
        _week_offline(url, joined)
        times = []
        for n in range(runs):
            laptop = folder / f"sync-laptop-{n}.db"
            shutil.copyfile(joined, laptop)
            times.append(timed_process(kam("sync", "--db", str(laptop))))
            laptop.unlink()
        return {"sync_week_s": statistics.median(times)}
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _week_offline(url: str, laptop: Path) -> None:
    import sqlalchemy as sa

    from kam.db import open_database
    from kam.models import Account, RevenueLine

    local = open_database(f"sqlite:///{laptop}")
    with local.write() as session:
        ids = session.connection().execute(sa.select(Account.id).limit(SYNC_LOCAL)).scalars().all()
        for n, account_id in enumerate(ids):
            session.get(Account, account_id).industry = f"Edited offline {n % 7}"
    local.dispose()
    server = open_database(url)
    with server.write() as session:
        ids = session.connection().execute(sa.select(Account.id).limit(500)).scalars().all()
        session.connection().execute(
            RevenueLine.__table__.insert(),
            [
                {"id": uuid.uuid4(), "account_id": ids[n % len(ids)], "booked_on": AS_OF,
                 "category": "Service", "amount_minor": 1000_00 + n, "cost_minor": 0}
                for n in range(SYNC_SERVER)
            ],
        )  # fmt: skip
    server.dispose()


def render(results: dict[int, dict[str, float | str]], machine: dict[str, str]) -> str:
    scales = sorted(results)
    header = ["figure", "target", *(f"{s:,}" for s in scales)]
    if len(scales) > 1:
        header.append(f"x from {scales[0]:,} to {scales[-1]:,}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, (label, target, _limit) in TARGETS.items():
        cells = [label, target]
        values = [results[s].get(key) for s in scales]
        for value in values:
            cells.append(_fmt(key, value))
        if len(scales) > 1:
            first, last = values[0], values[-1]
            ok = isinstance(first, float) and isinstance(last, float) and first > 0
            cells.append(f"{last / first:.1f}x" if ok else "")
        lines.append("| " + " | ".join(cells) + " |")
    about = ", ".join(f"{k}: {v}" for k, v in machine.items())
    return "\n".join(lines) + f"\n\nMedians of the runs. Machine: {about}.\n"


def _fmt(key: str, value: float | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if key.endswith("_ms"):
        return f"{value:.0f} ms"
    if key.endswith("_mb"):
        return f"{value:.0f} MB"
    if key == "pareto_vs_shell":
        return f"{value:.2f}x"
    return f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    parser.add_argument(
        "--keep", default=None, help="build the databases in this folder and keep them"
    )
    parser.add_argument(
        "--no-sync", dest="sync", action="store_false", help="leave out the sync figure"
    )
    parser.add_argument(
        "--groups-only",
        action="store_true",
        help="only the build, the accounts list (flat, folded), group figures and the TUI",
    )
    args = parser.parse_args()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    machine = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.machine()}",
    }
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kam-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        results = {scale: measure(scale, folder, args.runs, args.groups_only) for scale in scales}
        if args.sync and not args.groups_only:
            print("[sync] a week offline…", file=sys.stderr)
            sync = sync_after_a_week(folder, args.runs)
            for figures in results.values():
                figures.update(sync)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    table = render(results, machine)
    print(table)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"machine": machine, "as_of": AS_OF.isoformat(), "results": results}, indent=2)
    )
    print(f"JSON: {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
