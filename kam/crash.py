"""What an unexpected error leaves behind: one line for the person, the details in a log file.

A traceback on the terminal helps nobody who uses kam; the same traceback in a file they can
send along helps whoever fixes it.
"""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from pathlib import Path

from kam import __version__


def write_crash_log(error: BaseException) -> Path | None:
    """The traceback in a new file under the user data folder's logs; None if it cannot be
    written (a full disk or a read-only home must not hide the first error)."""
    from kam.config import crash_log_folder, write_private

    now = datetime.now(UTC)
    path = crash_log_folder() / f"crash-{now:%Y%m%d-%H%M%S-%f}.log"
    text = "".join(
        [
            f"kam {__version__} stopped on an unexpected error at {now.isoformat()}\n\n",
            *traceback.format_exception(type(error), error, error.__traceback__),
        ]
    )
    try:
        write_private(path, text)
    except OSError:
        return None
    return path


def crash_line(error: BaseException, log: Path | None) -> str:
    """The one line the terminal shows after the app closed on `error`."""
    first = str(error).splitlines()[0] if str(error) else ""
    what = f"{type(error).__name__}: {first}" if first else type(error).__name__
    where = f"the details are in {log}" if log else "no log could be written"
    return f"kam stopped on an unexpected error ({what}); {where}"
