"""Data in and out: `kam import` and `kam export`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from kam.cli.common import EXIT_USAGE, open_db, to_stdout, write_output
from kam.errors import KamError

PROBLEMS_SHOWN = 100  # the problems of a file an import lists before its summary


def export_agenda(args: argparse.Namespace) -> int:
    from kam.files.ics import agenda_calendar
    from kam.services.contact_plan import activities, agenda

    database = open_db(args)
    try:
        with database.read() as session:
            owner = activities.check_member_name(session, args.user) if args.user else None
            rows = agenda.upcoming_items(session, owner)
    finally:
        database.dispose()
    title = f"kam: {args.user}'s contact plan" if args.user else "kam: contact plans"
    data = agenda_calendar(rows, title)
    if to_stdout(args.output):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_output(data.decode("utf-8"), args.output)
    return 0


def export_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.files import exports as exporting

    kinds = exporting.kinds_for(args.export)
    path = None if to_stdout(args.output) else Path(args.output)
    if args.output is None and args.format == "csv" and len(kinds) > 1:
        path = Path(f"kam-export-{date.today().isoformat()}")
    # A file opens in Excel on Windows with its Chinese intact only with a BOM; a pipe
    # goes to another program, which would take the BOM for text.
    bom = args.bom if args.bom is not None else path is not None
    database = open_db(args)
    try:
        with database.read() as session:
            out = sys.stdout.buffer if args.format == "xlsx" else sys.stdout
            counts = exporting.export(session, kinds, args.format, path, out, bom=bom)
    finally:
        database.dispose()
    sys.stdout.flush()
    if path is not None:
        summary = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
        print(f"kam: wrote {summary} to {path}", file=sys.stderr)
    return 0


def import_files(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy.exc import DBAPIError

    from kam.config import current_user
    from kam.db import describe_database_error
    from kam.errors import DatabaseOpenError
    from kam.files import imports

    if args.kind == "meetings":
        return _import_meetings(args)
    options = imports.Options(
        update=args.update,
        dayfirst=args.dayfirst,
        encoding=args.encoding,
        create_accounts=args.create_accounts,
        header_row=args.header_row,
        skip_bad=args.skip_bad is not None,
        as_of=args.as_of or date.today(),
        mapping=imports.parse_mapping(args.map),
        user=current_user(args.user),
    )
    path = Path(args.file)
    if args.skip_bad is not None and args.kind == "all":
        raise KamError("--skip-bad takes one kind at a time (its file has that kind's columns)")
    if args.sheet and args.kind != "all":
        from kam.files.tabular import read_table

        imports.check_kind(args.kind)
        sources = [imports.Source(args.kind, read_table(path, args.sheet, args.encoding))]
    else:
        sources = imports.sources_for(args.kind, path, args.encoding)
    database = open_db(args)

    def progress(done: int, total: int) -> None:
        print(f"kam: writing {done:,} of {total:,} rows…", file=sys.stderr, flush=True)

    try:
        database.check_pages()  # never write into (or plan from) a damaged file
        if args.dry_run:
            with database.read() as session:
                plan = imports.plan_import(session, sources, options)
        else:
            with database.write() as session:
                plan = imports.plan_import(session, sources, options)
                if plan.ok:
                    imports.apply_plan(session, plan, options, progress)
    except DBAPIError as exc:  # a full disk, a vanished file: rolled back whole
        raise DatabaseOpenError(describe_database_error(exc, database.display_name)) from None
    finally:
        database.dispose()
    from kam.services.values.formatting import terminal_safe

    if not plan.ok:
        # The first hundred: a file wrong throughout would otherwise bury the summary.
        print(terminal_safe(plan.describe(limit=PROBLEMS_SHOWN)), file=sys.stderr)
        return EXIT_USAGE
    report = terminal_safe(plan.describe(applied=not args.dry_run, limit=PROBLEMS_SHOWN))
    if args.skip_bad is not None:
        header, bad = plan.rejected_rows()
        from kam.files.tabular import private_file, write_csv

        with private_file(Path(args.skip_bad)) as out:
            out.write("\ufeff")  # Excel opens it with its Chinese intact
            write_csv(out, header or ["kam problem"], bad)
        report += f"\n{len(bad):,} rows left out, written with their reasons to {args.skip_bad}"
    if args.dry_run:
        report += "\ndry run: nothing was written"
    try:
        print(report, flush=True)
    except OSError as exc:  # the import is committed: say so, whatever became of stdout
        if args.dry_run:
            raise
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (nothing more may go to it)
        print(
            f"kam: {plan.summary()}, but the report could not be written to the output: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
    return 0


def _import_meetings(args: argparse.Namespace) -> int:
    """`kam import meetings FILE.ics`: the calendar's meetings logged as contacts."""
    from pathlib import Path

    from kam.config import current_user
    from kam.files import meetings
    from kam.services.values.formatting import terminal_safe

    path = Path(args.file)
    found = meetings.read_meetings(path)
    as_of = args.as_of or date.today()
    database = open_db(args)
    try:
        database.check_pages()
        if args.dry_run:
            with database.read() as session:
                plan = meetings.plan_meetings(session, path, found, as_of)
        else:
            with database.write() as session:
                plan = meetings.plan_meetings(session, path, found, as_of)
                meetings.log_meetings(session, plan, current_user(args.user), as_of)
    finally:
        database.dispose()
    report = terminal_safe(plan.describe(applied=not args.dry_run))
    print(report + ("\ndry run: nothing was written" if args.dry_run else ""))
    return 0
