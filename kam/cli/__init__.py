"""The command line: a second front door beside the TUI, calling the same services.

Every failure a user can cause ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
from collections.abc import Sequence

from kam.cli import admin, data, regions, reports, start
from kam.cli.common import EXIT_CRASH, EXIT_USAGE
from kam.cli.parser import build_parser
from kam.errors import KamError

__all__ = ["build_parser", "main"]


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
        # collector only costs time here (a noticeable part of a large report). The TUI turns it
        # back on.
        gc.disable()
    if command == "demo":
        return start.demo(args)
    if command == "report":
        return reports.report(args)
    if command == "export":
        return data.export_agenda(args) if args.export == "agenda" else data.export_data(args)
    if command in COMMANDS:
        return COMMANDS[command](args)
    return start.tui(args, user=args.user)


COMMANDS = {
    "import": data.import_files,
    "backup": admin.backup,
    "restore": admin.restore,
    "check": admin.check,
    "copy": admin.copy,
    "join": admin.join,
    "sync": admin.sync,
    "region": regions.region,
}
