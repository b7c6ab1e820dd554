"""Writing data out: CSV safe for spreadsheets, JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet set to another list separator (`;` in much of Europe) splits a cell.
_SPLITS = re.compile(r"[;\t]")


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection): a
    leading `'`. A value that starts with quotes before a formula character gets one more,
    so import, which takes one off, gives back the value as it was."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def splits_into_formula(text: str) -> bool:
    """Whether a spreadsheet splitting the cell at `;` or a tab would find a formula in a
    part after the first (`x;=1+1`): such a cell is written quoted."""
    return any(part.lstrip().startswith(FORMULA_STARTS) for part in _SPLITS.split(text)[1:])


def write_row(out: IO[str], writer: Any, cells: Sequence[Any], end: str) -> None:
    """One CSV row: through the csv writer, or quoted cell by cell when one of its cells
    could split into a formula (the csv writer quotes only for its own delimiter)."""
    if any(
        isinstance(c, str) and (";" in c or "\t" in c) and splits_into_formula(c) for c in cells
    ):
        quoted = ('"' + str(c).replace('"', '""') + '"' for c in cells)
        out.write(",".join(quoted) + end)
    else:
        writer.writerow(cells)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        write_row(buffer, writer, [safe_cell(v) for v in row], "\n")
    return buffer.getvalue()


def to_json(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n"
