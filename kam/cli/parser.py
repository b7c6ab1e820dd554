"""The command line's grammar: every command, its options and their help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import NoReturn

from kam import __version__
from kam.cli.common import TRANSFER_KINDS
from kam.errors import KamError


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise KamError(f"{self.prog}: {message}")

    # Text the help ends with that is worked out only when the help is shown (the fields of
    # `kam import`, which would load the schema, and the database layer with it).
    help_ending: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.help_ending is not None:
            self.epilog = "\n\n".join(filter(None, [self.epilog, self.help_ending()]))
            self.help_ending = None
        return super().format_help()


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
    _add_region(pareto, by="the regions' indicators instead of a row per account")
    deals = _report_parser(
        reports, "pipeline", "the weighted pipeline and won deals, by stage, owner, quarter, ..."
    )
    deals.add_argument(
        "--by",
        choices=("stage", "owner", "quarter", "account", "key", "region"),
        default="stage",
        help="one row per stage, owner, close quarter, account, key accounts vs the rest, or "
        "region (default: stage)",
    )
    _add_region(deals)
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
    _add_region(health, by="a row per region: its watched accounts, bands and at risk")
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
    _add_region(weekly, by="a section with every region's indicators")

    region = commands.add_parser("region", help="the regions and territories, and their owners")
    region_commands = region.add_subparsers(dest="region", parser_class=_Parser, metavar="WHAT")
    region_commands.required = True
    listing = region_commands.add_parser(
        "list", help="every region with its territories, owner, accounts and revenue"
    )
    _add_db(listing, top=False)
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    adding = region_commands.add_parser("add", help="a new region, or a territory of one")
    _add_db(adding, top=False)
    adding.add_argument("name", metavar="NAME")
    adding.add_argument("--in", dest="in_region", metavar="REGION", help="a territory of REGION")
    adding.add_argument("--owner", metavar="PERSON", help="the team member who answers for it")
    setting = region_commands.add_parser(
        "set", help="a region's owner, name, or (a territory) the region it is in"
    )
    _add_db(setting, top=False)
    setting.add_argument("name", metavar="NAME")
    setting.add_argument("--owner", metavar="PERSON", help="a team member ('' for nobody)")
    setting.add_argument("--rename", metavar="NEW", help="a new name")
    setting.add_argument(
        "--in",
        dest="in_region",
        metavar="REGION",
        help="make it a territory of REGION ('' for none)",
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
            help="file (a folder for `all` as CSV); - or none: standard output",
        )
        sub.add_argument(
            "--bom",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="CSV begins with a byte-order mark, so Excel on Windows reads its Chinese "
            "(default: in files, not on standard output)",
        )

    importing = commands.add_parser(
        "import", help="read accounts, contacts, revenue, deals or wallet estimates from a file"
    )
    _add_db(importing, top=False)
    _add_user(importing, top=False)
    importing.add_argument(
        "kind",
        choices=(*TRANSFER_KINDS, "all", "meetings"),
        metavar="KIND",
        help=f"{', '.join(TRANSFER_KINDS)}, all, or meetings (an .ics calendar: each meeting "
        "with an account's contacts is logged as a contact)",
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
    order = importing.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        action="store_const",
        const=True,
        default=None,
        help="read 03/04/2026 as 3 April (default: decided per column from its dates)",
    )
    order.add_argument(
        "--monthfirst",
        action="store_const",
        const=False,
        dest="dayfirst",
        help="read 03/04/2026 as March 4",
    )
    importing.add_argument(
        "--as-of",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="the day the import is made on: a meeting after it is not held yet, a closed deal "
        "with no date closed on it (default: today)",
    )
    importing.add_argument(
        "--header-row",
        type=int,
        default=None,
        metavar="N",
        help="the header is on line (or sheet row) N (default: found below any title rows)",
    )
    importing.add_argument(
        "--skip-bad",
        default=None,
        metavar="FILE",
        help="import the good rows and write the bad ones, with the reason for each, to FILE "
        "(a CSV to fix and import again); without it, one bad row stops the whole file",
    )
    importing.add_argument(
        "--create-accounts",
        action="store_true",
        help="make the accounts that rows of contacts, revenue, deals or wallet name and kam "
        "does not hold (listed in the report)",
    )
    importing.add_argument(
        "--encoding",
        default=None,
        metavar="NAME",
        help="the CSV's encoding, e.g. cp1252 or gb18030 (default: detected, and said)",
    )
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
    joining = commands.add_parser(
        "join",
        help="make a new local file a copy of the team database, to work on offline and sync",
    )
    _add_db(joining, top=False)
    joining.add_argument(
        "server",
        metavar="URL",
        help="the team database (PostgreSQL); its password is never stored: keep it in "
        "~/.pgpass or $PGPASSWORD",
    )
    syncing = commands.add_parser(
        "sync", help="receive what others changed on the team database (on a joined copy)"
    )
    _add_db(syncing, top=False)
    settle = syncing.add_mutually_exclusive_group()
    settle.add_argument(
        "--take-mine",
        type=int,
        metavar="N",
        help="conflict N: the laptop's value, sent with this sync",
    )
    settle.add_argument(
        "--keep-theirs", type=int, metavar="N", help="conflict N: the team database's value"
    )
    from kam.cli import examples

    examples.attach(parser)
    return parser


def _add_region(parser: argparse.ArgumentParser, *, by: str | None = None) -> None:
    """`--region NAME` (and, with `by`, `--by region`) for a report."""
    parser.add_argument(
        "--region",
        default=None,
        metavar="NAME",
        help="one region's accounts (with its territories'), or one territory's",
    )
    if by is not None:
        parser.add_argument("--by", choices=("region",), default=None, help=by)


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
