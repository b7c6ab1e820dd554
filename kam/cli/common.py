"""What every command shares: exit codes, opening the database, writing output."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from kam.errors import KamError

EXIT_USAGE = 2
EXIT_PROBLEMS = 1  # `kam check` found something
EXIT_CRASH = 3  # the app stopped on an unexpected error (its log file named on stderr)
TRANSFER_KINDS = (
    "accounts", "contacts", "revenue", "opportunities", "wallet", "activities", "team",
    "complaints", "satisfaction", "plans",
)  # fmt: skip


def open_db(args: argparse.Namespace, *, demo: bool = False):
    from kam.config import resolve_database
    from kam.db import open_database

    read_only = getattr(args, "read_only", False)
    return open_database(resolve_database(args.db, demo=demo), read_only=read_only)


def need_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise KamError(
            "kam needs a terminal; reports are `kam report ...`, data goes out with `kam export`"
        )


def to_stdout(output: str | None) -> bool:
    """Whether `-o` names standard output: not given, or `-`."""
    return output is None or output == "-"


def write_output(text: str, output: str | None) -> None:
    if to_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from pathlib import Path

    from kam.files.tabular import private_file

    with private_file(Path(output)) as out:  # customer data: readable by its owner only
        out.write(text)


def bring_up_to_date(database, as_of: date, *, health: bool = False) -> None:
    """Refresh the stored classification and segments (and health) if their inputs moved, as
    the app does, so reports and screens show the same numbers."""
    from kam.services.classify import pareto as classify
    from kam.services.health import stored as health_service

    with database.read() as session:
        current = classify.is_current(session, as_of) and (
            not health or health_service.is_current(session, as_of)
        )
    if not current:
        database.check_pages()  # what is worked out is not written into a damaged file
        with database.write(derived=True) as session:
            classify.refresh(session, as_of)
            if health:
                health_service.refresh(session, as_of)
