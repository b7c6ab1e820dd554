"""Looking after the database: backup, restore, check, copy."""

from __future__ import annotations

import argparse
import sys

from kam.cli.common import EXIT_PROBLEMS, open_db
from kam.errors import KamError


def backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.services import maintenance

    database = open_db(args)
    try:
        written = maintenance.backup(database, Path(args.path) if args.path else None)
    finally:
        database.dispose()
    print(f"kam: backup written to {written}", file=sys.stderr)
    return 0


def restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.config import resolve_database
    from kam.db import sqlite_path
    from kam.services import maintenance

    target = sqlite_path(resolve_database(args.db))
    if target is None:
        raise KamError("restore works on a SQLite file; a server database restores with its tools")
    kept = maintenance.restore(Path(args.path), target)
    open_db(args).dispose()  # migrates an older backup, with its own backup first
    note = f"; the replaced database is kept as {kept}" if kept else ""
    print(f"kam: restored {target} from {args.path}{note}", file=sys.stderr)
    return 0


def check(args: argparse.Namespace) -> int:
    from kam.services import maintenance

    database = open_db(args)
    try:
        report = maintenance.check(database)
    finally:
        database.dispose()
    sys.stdout.write(report.describe())
    return EXIT_PROBLEMS if report.problems else 0


def copy(args: argparse.Namespace) -> int:
    from kam.config import resolve_database
    from kam.services import maintenance

    database = open_db(args)

    def progress(table: str, rows: int) -> None:
        print(f"kam: copying {table}: {rows:,} rows", file=sys.stderr, flush=True)

    try:
        counts = maintenance.copy_database(database, resolve_database(args.to), progress)
    finally:
        database.dispose()
    total = sum(counts.values())
    print(f"kam: copied {total:,} rows in {len(counts)} tables; counts checked on both sides")
    return 0


def join(args: argparse.Namespace) -> int:
    from kam.config import resolve_database
    from kam.db import sqlite_path
    from kam.services.sync import replica

    target = sqlite_path(resolve_database(args.db))
    if target is None:
        raise KamError("a copy of the team database is a local file: give --db PATH")

    def progress(table: str, rows: int) -> None:
        print(f"kam: copying {table}: {rows:,} rows", file=sys.stderr, flush=True)

    counts = replica.join(args.server, target, progress)
    print(
        f"kam: {target} is now a copy of the team database ({sum(counts.values()):,} rows); "
        "`kam sync` brings it up to date"
    )
    return 0


def sync(args: argparse.Namespace) -> int:
    from kam.services.sync import conflicts, replica
    from kam.services.unit import Intent

    database = open_db(args)
    try:
        if args.take_mine is not None:
            Intent(conflicts.take_mine, args.take_mine).run(database)
        elif args.keep_theirs is not None:
            Intent(conflicts.keep_theirs, args.keep_theirs).run(database)
        synced = replica.sync(database)
        waiting = Intent(conflicts.list_conflicts).run(database)
    finally:
        database.dispose()

    def rows(n: int) -> str:
        return f"{n:,} row{'' if n == 1 else 's'}"

    print(
        f"kam: sent {rows(synced.sent)} changed here, received {rows(synced.received.rows)} "
        "changed on the team database"
    )
    if waiting:
        print(f"kam: {len(waiting):,} changed on both sides; the team database kept its value:")
        for c in waiting[:20]:
            print(f"  #{c.id} {c.label}, {c.about}: there {c.server_value} · here {c.local_value}")
        print("kam: kam sync --take-mine N sends this laptop's value; --keep-theirs N keeps theirs")
    return 0
