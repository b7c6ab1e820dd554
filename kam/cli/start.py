"""Starting the interface, on the user's database or on a demo portfolio."""

from __future__ import annotations

import argparse
import gc
import sys
import time

from kam.cli.common import EXIT_CRASH, need_terminal, open_db


def tui(args: argparse.Namespace, *, demo: bool = False, user: str | None = None) -> int:
    need_terminal()
    gc.enable()
    database = open_db(args, demo=demo)
    from kam.app import KamApp
    from kam.config import current_user

    if demo and user is None:
        from kam.demo import demo_user

        with database.read() as session:
            user = demo_user(session)
    app = KamApp(database, user=current_user(user))
    app.run()
    return EXIT_CRASH if app.crash is not None else (app.return_code or 0)


def demo(args: argparse.Namespace) -> int:
    from kam.config import resolve_database
    from kam.demo import create_demo_database

    if not args.no_tui:
        need_terminal()  # before the build, not after it
    url = resolve_database(args.db, demo=True)
    started = time.perf_counter()
    print(f"Building a demo portfolio of {args.accounts:,} accounts…", file=sys.stderr)
    counts = create_demo_database(url, args.accounts, seed=args.seed, as_of=args.as_of)
    seconds = time.perf_counter() - started
    print(
        f"Demo database ready in {seconds:.1f} s: {counts.get('account', 0):,} accounts, "
        f"{counts.get('revenue_line', 0):,} revenue lines, {counts.get('contact', 0):,} contacts, "
        f"{counts.get('opportunity', 0):,} opportunities ({url.removeprefix('sqlite:///')})",
        file=sys.stderr,
    )
    if args.no_tui:
        return 0
    return tui(args, demo=True, user=args.user)
