"""The command line: a second front door beside the TUI, calling the same services.

Every failure a user can cause ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

from kam import __version__
from kam.errors import KamError
from kam.services.classify.pareto import ClassificationSettings

EXIT_USAGE = 2
EXIT_PROBLEMS = 1  # `kam check` found something
EXIT_CRASH = 3  # the app stopped on an unexpected error (its log file named on stderr)
TRANSFER_KINDS = ("accounts", "contacts", "revenue", "opportunities", "wallet")


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise KamError(f"{self.prog}: {message}")


def _add_db(parser: argparse.ArgumentParser, *, top: bool, demo: bool = False) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        default=None if top else argparse.SUPPRESS,
        help="where to build the demo (default: demo.db in the user data folder, never "
        "$KAM_DATABASE, so the demo cannot overwrite your own data)"
        if demo
        else "database file or URL (default: $KAM_DATABASE, else kam.db in the user data folder)",
    )


def _add_user(parser: argparse.ArgumentParser, *, top: bool) -> None:
    parser.add_argument(
        "--user",
        metavar="NAME",
        default=None if top else argparse.SUPPRESS,
        help="who is making changes, for the history (default: $KAM_USER, the config file's "
        "`user`, else the login name)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kam", description="Key-account management in the terminal.")
    parser.add_argument("--version", action="version", version=f"kam {__version__}")
    _add_db(parser, top=True)
    _add_user(parser, top=True)
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="browse and report without changing the database (a file you cannot write "
        "opens this way by itself)",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    tui = commands.add_parser("tui", help="open the app (the default)")
    _add_db(tui, top=False)
    _add_user(tui, top=False)

    demo = commands.add_parser(
        "demo",
        help="build a demo database and open it",
        description="Build a made-up portfolio (accounts, revenue, contacts, deals, plans, "
        "reviews) in a database of its own and open kam on it. Building again replaces it.",
        epilog="examples: kam demo | kam demo --accounts 100000 --no-tui | "
        "kam demo --as-of 2026-06-30 --seed 3",
    )
    _add_db(demo, top=False, demo=True)
    _add_user(demo, top=False)
    demo.add_argument(
        "--accounts",
        type=_positive_int,
        default=2000,
        metavar="N",
        help="how many accounts to make up (default: 2000)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=7,
        metavar="S",
        help="the random seed: the same seed builds the same portfolio (default: 7)",
    )
    demo.add_argument(
        "--as-of",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="the day the portfolio is seen from: revenue, deals and plans end around it "
        "(default: today)",
    )
    demo.add_argument("--no-tui", action="store_true", help="build only, do not open the app")

    report = commands.add_parser("report", help="print a report")
    reports = report.add_subparsers(dest="report", parser_class=_Parser, metavar="REPORT")
    reports.required = True
    pareto = _report_parser(reports, "pareto", "Pareto classification of the portfolio")
    pareto.add_argument("--window", default=None, metavar="SPAN", help="12m, 24m, 3y or lifetime")
    deals = _report_parser(
        reports, "pipeline", "the weighted pipeline and won deals, by stage, owner, quarter, ..."
    )
    deals.add_argument(
        "--by",
        choices=("stage", "owner", "quarter", "account", "key"),
        default="stage",
        help="one row per stage, owner, close quarter, account, or key accounts vs the rest "
        "(default: stage)",
    )
    deals.add_argument("--quarter", default=None, metavar="YYYY-QN", help="close quarter only")
    agenda = _report_parser(reports, "agenda", "planned contacts: overdue and coming up")
    agenda.add_argument("--user", default=None, metavar="NAME", help="one person's (default: all)")
    agenda.add_argument(
        "--days",
        type=_positive_int,
        default=14,
        metavar="N",
        help="what falls due within N days from the reference date, besides the overdue "
        "(default: 14)",
    )
    wallet = _report_parser(
        reports, "wallet", "share of wallet, growth vs the customer's, whitespace, competitors"
    )
    wallet.add_argument("--account", default=None, metavar="NAME", help="one account in detail")
    health = _report_parser(reports, "health", "health of the key accounts and who is at risk")
    health.add_argument(
        "--all", action="store_true", help="every watched account, not only those at risk"
    )
    segments = _report_parser(
        reports, "segments", "value x loyalty segments A-E, relational groups, RFM"
    )
    segments.add_argument(
        "--accounts", action="store_true", help="one row per account instead of the summary"
    )

    weekly = reports.add_parser(
        "review", help="the week's account review: indicators, reviewed accounts, at risk, moves"
    )
    _add_db(weekly, top=False)
    weekly.add_argument("--week", default=None, metavar="YYYY-Www", help="default: this week")
    weekly.add_argument(
        "--as-of", type=_date_arg, default=None, metavar="DATE", help="default: today"
    )
    weekly.add_argument(
        "--format", choices=("md", "html"), default="md", help="Markdown or HTML (default: md)"
    )
    weekly.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="default: standard output"
    )

    export = commands.add_parser("export", help="write data out")
    exports = export.add_subparsers(dest="export", parser_class=_Parser, metavar="WHAT")
    exports.required = True
    calendar = exports.add_parser("agenda", help="the contact plan as a calendar file")
    _add_db(calendar, top=False)
    calendar.add_argument("--format", choices=("ics",), default="ics")
    calendar.add_argument("--user", default=None, metavar="NAME", help="one person's plan")
    calendar.add_argument("-o", "--output", default=None, metavar="FILE")
    for what in (*TRANSFER_KINDS, "all"):
        sub = exports.add_parser(
            what, help="every kind below" if what == "all" else f"the {what} of live accounts"
        )
        _add_db(sub, top=False)
        sub.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
        sub.add_argument(
            "-o",
            "--output",
            default=None,
            metavar="PATH",
            help="file (a folder for `all` as CSV); default: standard output",
        )

    importing = commands.add_parser(
        "import", help="read accounts, contacts, revenue, deals or wallet estimates from a file"
    )
    _add_db(importing, top=False)
    _add_user(importing, top=False)
    importing.add_argument(
        "kind",
        choices=(*TRANSFER_KINDS, "all"),
        metavar="KIND",
        help=f"{', '.join(TRANSFER_KINDS)} or all",
    )
    importing.add_argument(
        "file",
        metavar="FILE",
        help=".csv, .xlsx (or for `all`: a folder, "
        "a workbook with a sheet per kind, or kam's JSON export)",
    )
    importing.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    importing.add_argument(
        "--update",
        action="store_true",
        help="update rows kam holds already instead of refusing them",
    )
    importing.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=field",
        help="read COLUMN as field (field `-` skips the column)",
    )
    importing.add_argument("--dayfirst", action="store_true", help="read 03/04/2026 as 3 April")
    importing.add_argument("--sheet", default=None, metavar="NAME", help="the sheet of a workbook")

    backup = commands.add_parser("backup", help="a consistent copy of the database, while in use")
    _add_db(backup, top=False)
    backup.add_argument(
        "path",
        nargs="?",
        default=None,
        metavar="PATH",
        help="file or folder (default: beside the database, with the time)",
    )
    restore = commands.add_parser(
        "restore", help="replace the database with a checked backup (the old file is kept)"
    )
    _add_db(restore, top=False)
    restore.add_argument("path", metavar="BACKUP")
    checking = commands.add_parser("check", help="check the database's integrity and consistency")
    _add_db(checking, top=False)
    copying = commands.add_parser(
        "copy", help="copy every row into another, empty database (e.g. the team's PostgreSQL)"
    )
    _add_db(copying, top=False)
    copying.add_argument("--to", required=True, metavar="URL", help="the target database")
    return parser


def _report_parser(reports, name: str, help: str) -> argparse.ArgumentParser:
    """A report's parser with what every report takes: the database, the date it is seen
    from, the format and the output file."""
    parser = reports.add_parser(name, help=help)
    _add_db(parser, top=False)
    parser.add_argument(
        "--as-of",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="the day the portfolio is seen from (default: today)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="a table to read, or CSV / JSON with raw numbers (default: table)",
    )
    parser.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="default: standard output"
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _date_arg(text: str) -> date:
    from kam.services.values.parsing import parse_date

    try:
        return parse_date(text, "date")
    except KamError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("date: ")) from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except KamError as exc:
        from kam.services.values.formatting import terminal_safe

        text = terminal_safe(str(exc))
        print(text if text.startswith(("kam:", "kam ")) else f"kam: {text}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()  # output piped into `head`: not an error
        return 0
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a name too long, a full disk, a vanished folder
        where = f": {exc.filename}" if exc.filename else ""
        print(f"kam: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        import sqlalchemy.exc

        if isinstance(exc, sqlalchemy.exc.DBAPIError | sqlite3.Error):  # corrupt, vanished
            from kam.db import describe_database_error

            print(f"kam: {describe_database_error(exc, 'the database')}", file=sys.stderr)
            return EXIT_USAGE
        # Anything else is kam's fault: one line, the traceback in a log file.
        from kam.crash import crash_line, write_crash_log

        print(crash_line(exc, write_crash_log(exc)), file=sys.stderr)
        return EXIT_CRASH


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "tui"
    if command in {"demo", "report"}:
        # One-shot batch work creating many objects and no cycles worth collecting: the cyclic
        # collector only costs time here (0.3 s of a 100k-row report). The TUI turns it back on.
        gc.disable()
    if command == "demo":
        return _demo(args)
    if command == "report":
        return _report(args)
    if command == "export":
        return _export(args) if args.export == "agenda" else _export_data(args)
    if command in _MAINTENANCE:
        return _MAINTENANCE[command](args)
    return _tui(args, user=args.user)


def _open(args: argparse.Namespace, *, demo: bool = False):
    from kam.config import resolve_database
    from kam.db import open_database

    read_only = getattr(args, "read_only", False)
    return open_database(resolve_database(args.db, demo=demo), read_only=read_only)


def _need_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise KamError(
            "kam needs a terminal; reports are `kam report ...`, data goes out with `kam export`"
        )


def _tui(args: argparse.Namespace, *, demo: bool = False, user: str | None = None) -> int:
    _need_terminal()
    gc.enable()
    database = _open(args, demo=demo)
    from kam.app import KamApp
    from kam.config import current_user

    if demo and user is None:
        from kam.demo import demo_user

        with database.read() as session:
            user = demo_user(session)
    app = KamApp(database, user=current_user(user))
    app.run()
    return EXIT_CRASH if app.crash is not None else (app.return_code or 0)


def _demo(args: argparse.Namespace) -> int:
    from kam.config import resolve_database
    from kam.demo import create_demo_database

    if not args.no_tui:
        _need_terminal()  # before the build, not after it
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
    return _tui(args, demo=True, user=args.user)


def _report(args: argparse.Namespace) -> int:
    if args.report == "pipeline":
        return _pipeline_report(args)
    if args.report == "agenda":
        return _agenda_report(args)
    if args.report == "review":
        return _review_report(args)
    if args.report in ("wallet", "health", "segments"):
        return _insight_report(args)
    from kam.reports.text import pareto_report
    from kam.services import settings as settings_service
    from kam.services.classify import pareto as classify

    database = _open(args)
    try:
        with database.read() as session:
            settings = settings_service.load(session, ClassificationSettings)
            result = classify.classify(session, args.as_of or date.today(), args.window, settings)
            text = pareto_report(result, settings, args.format)
    finally:
        database.dispose()
    _write_output(text, args.output)
    return 0


def _pipeline_report(args: argparse.Namespace) -> int:
    from kam.reports.text import pipeline_report
    from kam.services.pipeline import deals as pipeline

    as_of = args.as_of or date.today()
    quarter = pipeline.Quarter.parse(args.quarter) if args.quarter else None
    database = _open(args)
    try:
        _bring_up_to_date(database, as_of)
        with database.read() as session:
            result = pipeline.forecast(
                session, pipeline.DealFilter(quarter=quarter), as_of, args.by
            )
    finally:
        database.dispose()
    _write_output(pipeline_report(result, args.format), args.output)
    return 0


def _bring_up_to_date(database, as_of: date, *, health: bool = False) -> None:
    """Refresh the stored classification and segments (and health) if their inputs moved, as
    the app does, so reports and screens show the same numbers."""
    from kam.services.classify import pareto as classify
    from kam.services.health import score as health_service

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


def _insight_report(args: argparse.Namespace) -> int:
    from kam.reports import text as reports
    from kam.services.classify import segments
    from kam.services.health import score as health
    from kam.services.wallet import share_of_wallet as wallet

    as_of = args.as_of or date.today()
    database = _open(args)
    try:
        _bring_up_to_date(database, as_of, health=args.report == "health")
        with database.read() as session:
            if args.report == "wallet":
                if args.account:
                    from kam.services.pipeline.deals import account_by_name

                    account_id = account_by_name(session, args.account)
                    view = wallet.account_wallet(session, account_id, as_of)
                    text = reports.account_wallet_report(view, args.account, args.format)
                else:
                    rows = wallet.portfolio_wallet(session, as_of)
                    text = reports.wallet_report(rows, as_of, args.format)
            elif args.report == "health":
                rows = health.watched(session) if args.all else health.at_risk(session)
                text = reports.health_report(
                    rows, health.summary(session), as_of, args.format, everyone=args.all
                )
            elif args.accounts:
                text = reports.segment_rows_report(
                    segments.segment_rows(session), as_of, args.format
                )
            else:
                text = reports.segments_report(segments.summary(session, as_of), args.format)
    finally:
        database.dispose()
    _write_output(text, args.output)
    return 0


def _review_report(args: argparse.Namespace) -> int:
    from kam.reports import review as review_report
    from kam.services.review import meeting

    as_of = args.as_of or date.today()
    week = meeting.check_week(args.week) if args.week else meeting.iso_week(as_of)
    database = _open(args)
    try:
        _bring_up_to_date(database, as_of, health=True)
        with database.read() as session:
            text = review_report.render(review_report.build(session, week, as_of), args.format)
    finally:
        database.dispose()
    _write_output(text, args.output)
    return 0


def _agenda_report(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from kam.reports.text import agenda_report
    from kam.services.contact_plan import plans

    today = args.as_of or date.today()
    database = _open(args)
    try:
        with database.read() as session:
            owner = plans.check_member_name(session, args.user) if args.user else None
            query = plans.AgendaQuery(until=today + timedelta(days=args.days), owner_id=owner)
            rows = plans.list_agenda(session, query, 0, plans.count_agenda(session, query))
    finally:
        database.dispose()
    _write_output(agenda_report(rows, today, args.user, args.format), args.output)
    return 0


def _export(args: argparse.Namespace) -> int:
    from kam.files.ics import agenda_calendar
    from kam.services.contact_plan import plans

    database = _open(args)
    try:
        with database.read() as session:
            owner = plans.check_member_name(session, args.user) if args.user else None
            rows = plans.upcoming_items(session, owner)
    finally:
        database.dispose()
    title = f"kam: {args.user}'s contact plan" if args.user else "kam: contact plans"
    data = agenda_calendar(rows, title)
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _write_output(data.decode("utf-8"), args.output)
    return 0


def _export_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.files import exports as exporting

    kinds = exporting.kinds_for(args.export)
    path = Path(args.output) if args.output else None
    if path is None and args.format == "csv" and len(kinds) > 1:
        path = Path(f"kam-export-{date.today().isoformat()}")
    database = _open(args)
    try:
        with database.read() as session:
            counts = exporting.export(session, kinds, args.format, path, sys.stdout)
    finally:
        database.dispose()
    sys.stdout.flush()
    if path is not None:
        summary = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
        print(f"kam: wrote {summary} to {path}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sqlalchemy.exc import DBAPIError

    from kam.config import current_user
    from kam.db import describe_database_error
    from kam.errors import DatabaseOpenError
    from kam.files import imports

    options = imports.Options(
        update=args.update,
        dayfirst=args.dayfirst,
        mapping=imports.parse_mapping(args.map),
        user=current_user(args.user),
    )
    path = Path(args.file)
    if args.sheet and args.kind != "all":
        from kam.files.tabular import read_table

        imports.check_kind(args.kind)
        sources = [imports.Source(args.kind, read_table(path, args.sheet))]
    else:
        sources = imports.sources_for(args.kind, path)
    database = _open(args)

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
    report = terminal_safe(plan.describe(applied=not args.dry_run))
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


PROBLEMS_SHOWN = 100


def _backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.services import maintenance

    database = _open(args)
    try:
        written = maintenance.backup(database, Path(args.path) if args.path else None)
    finally:
        database.dispose()
    print(f"kam: backup written to {written}", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kam.config import resolve_database
    from kam.db import sqlite_path
    from kam.services import maintenance

    target = sqlite_path(resolve_database(args.db))
    if target is None:
        raise KamError("restore works on a SQLite file; a server database restores with its tools")
    kept = maintenance.restore(Path(args.path), target)
    _open(args).dispose()  # migrates an older backup, with its own backup first
    note = f"; the replaced database is kept as {kept}" if kept else ""
    print(f"kam: restored {target} from {args.path}{note}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from kam.services import maintenance

    database = _open(args)
    try:
        report = maintenance.check(database)
    finally:
        database.dispose()
    sys.stdout.write(report.describe())
    return EXIT_PROBLEMS if report.problems else 0


def _copy(args: argparse.Namespace) -> int:
    from kam.config import resolve_database
    from kam.services import maintenance

    database = _open(args)

    def progress(table: str, rows: int) -> None:
        print(f"kam: copying {table}: {rows:,} rows", file=sys.stderr, flush=True)

    try:
        counts = maintenance.copy_database(database, resolve_database(args.to), progress)
    finally:
        database.dispose()
    total = sum(counts.values())
    print(f"kam: copied {total:,} rows in {len(counts)} tables; counts checked on both sides")
    return 0


_MAINTENANCE = {
    "import": _import,
    "backup": _backup,
    "restore": _restore,
    "check": _check,
    "copy": _copy,
}


def _write_output(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from pathlib import Path

    from kam.files.tabular import private_file

    with private_file(Path(output)) as out:  # customer data: readable by its owner only
        out.write(text)
