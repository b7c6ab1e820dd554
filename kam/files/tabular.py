"""Tables in files: reading CSV and .xlsx sheets people bring, writing them back out.

Reading gives every row as text cells with the line (CSV) or row (.xlsx) it starts on, so a
message can point at the place in the file. Writing streams: a 100k-row export never sits in
memory whole, and every file is created readable by its owner only.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from kam.db import part_name, remove_abandoned_parts
from kam.errors import KamError
from kam.files.cells import FORMULA_STARTS, safe_cell, write_row

# Besides UTF-8: Excel in China saves CSV as GBK (which GB18030 contains), Excel in Western
# Europe as Windows-1252.
LEGACY_ENCODINGS = {"gb18030": "GB18030", "cp1252": "Windows-1252"}
MAX_CELL_CHARS = 100_000  # a cell longer than this is not a value a person typed
_LATIN_RUN = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]{3,}"
)
DELIMITERS = (",", ";", "\t")
csv.field_size_limit(10 * 1024 * 1024)


class FileProblem(KamError):
    """The file as a whole cannot be read (missing, wrong encoding, broken quoting...)."""


@dataclass(frozen=True)
class Row:
    line: int  # where the row starts in the file: a CSV line or a sheet row, from 1
    cells: tuple[str, ...]
    after_blank: bool = False  # a blank row comes just before it


# A row whose first value is one of these sums the rows above it: a spreadsheet's total.
TOTAL_WORDS = frozenset(
    "total|totals|grand total|grand totals|subtotal|sum|summe|gesamt|gesamtsumme|total général|"
    "totale|totaal|合计|总计|小计|合計|總計|共计".split("|")
)


@dataclass
class Table:
    path: Path
    header: tuple[str, ...]
    rows: list[Row]
    where: str  # "line" for CSV, "row" for a sheet
    encoding: str = ""  # how a CSV's bytes were read, as a person names it ("" for a sheet)
    notes: list[str] = field(default_factory=list)  # what reading left out or filled in
    header_line: int = 1  # the line (or sheet row) the header is on

    def headed_at(self, line: int) -> Table:
        """The same table with the row at `line` as its header, the rows above it left out
        (a title, a report's heading) and said in its notes."""
        index = next((i for i, r in enumerate(self.rows) if r.line == line), None)
        if index is None:
            raise FileProblem(f"{self.place(line)}: no such row, or it is blank")
        header = tuple(c.strip() for c in self.rows[index].cells)
        _unique_header(header, self.place(line))
        above = [self.header, *(r.cells for r in self.rows[:index])]
        title = next((c.strip() for cells in above for c in cells if c.strip()), "")
        shown = f" ({title[:40]!r}…)" if len(title) > 40 else f" ({title!r})" if title else ""
        where = "line" if self.where == "line" else "row"
        notes = [*self.notes, f"the header is {where} {line}; the rows above it left out{shown}"]
        # A report's footer is told by the header's width, known only now.
        rows, trimmed = _trimmed(self.rows[index + 1 :], len(header), self.place)
        notes += trimmed
        return Table(self.path, header, rows, self.where, self.encoding, notes, line)

    def place(self, line: int) -> str:
        return (
            f"{self.path.name}:{line}" if self.where == "line" else f"{self.path.name} row {line}"
        )


def unneutralise(text: str) -> str:
    """Undo what export did to a cell a spreadsheet would have run: `'=x` reads as `=x`,
    and `''=x` (a value that had its own quote) as `'=x`."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


_SAY_ENCODING = "save it as CSV UTF-8, or name its encoding with --encoding (e.g. cp1252)"


def _decode(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The file's text and the name of the encoding it was read in: the one asked for;
    UTF-8 (with or without a BOM) or UTF-16 with its BOM as they are; otherwise the likelier
    of GB18030 (Chinese Excel) and Windows-1252 (Western European Excel), as a maintained
    detector (charset-normalizer) judges; never a guess that turns `Müller` into `M黮ler`
    without a word."""
    if encoding is not None:
        return _decode_as(data, path, encoding)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise FileProblem(f"{path.name}: broken UTF-16 text ({exc.reason})") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if data.count(b"\x00") * 4 > len(data):
        raise FileProblem(
            f"{path.name}: looks like UTF-16 text without a byte-order mark; save it as "
            "CSV UTF-8 (or Unicode text with its BOM)"
        )
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding not in LEGACY_ENCODINGS:
        raise FileProblem(
            f"{path.name}: not UTF-8, and neither GB18030 nor Windows-1252 reads it cleanly; "
            + _SAY_ENCODING
        )
    text = str(best)
    if best.encoding == "cp1252" and _LATIN_RUN.search(text):
        # Three or more accented letters in a row is how Chinese text reads as Windows-1252
        # (名称 as Ãû³Æ): too unsure to import, and a wrong guess would be silent.
        raise FileProblem(
            f"{path.name}: not UTF-8, and kam cannot tell whether it is GB18030 (Chinese "
            "Excel) or Windows-1252 (Western European Excel); " + _SAY_ENCODING
        )
    return text, f"{LEGACY_ENCODINGS[best.encoding]} (detected)"


def _decode_as(data: bytes, path: Path, encoding: str) -> tuple[str, str]:
    import codecs

    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise FileProblem(
            f"--encoding {encoding!r} is not an encoding Python knows (try utf-8, cp1252, "
            "gb18030, latin-1, shift_jis)"
        ) from None
    bom = {"utf-8": codecs.BOM_UTF8}.get(codec.name)
    if bom and data.startswith(bom):
        data = data[len(bom) :]
    try:
        return data.decode(codec.name), codec.name
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{path.name}:{line}: not {codec.name} text (byte {exc.start + 1:,}: "
            f"{data[exc.start : exc.start + 1]!r}); try another --encoding"
        ) from None


_QUOTED = re.compile(r'"(?:[^"]|"")*"?')  # a quoted cell (or its start), whose marks are text


def _delimiter(text: str) -> str:
    """The separator the first lines use most: comma, semicolon (European Excel) or tab; a
    title line above the header (with none) does not decide it."""
    lines = [_QUOTED.sub("", line) for line in text[:100_000].splitlines()[:20] if line.strip()]
    counts = {d: max((line.count(d) for line in lines), default=0) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path, encoding: str | None = None) -> Table:
    data = read_bytes(path)
    text, read_as = _decode(data, path, encoding)
    if "\x00" in text:
        raise FileProblem(f"{path.name}: holds NUL bytes; this is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: tuple[str, ...] | None = None
    rows: list[Row] = []
    start = 1
    blank = False
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                blank = True
                continue
            long = next((c for c in record if len(c) > MAX_CELL_CHARS), None)
            if long is not None:
                raise FileProblem(
                    f"{path.name}:{line}: a cell of {len(long):,} characters "
                    f"(at most {MAX_CELL_CHARS:,})"
                )
            if header is None:
                header, header_line = tuple(cell.strip() for cell in record), line
                _unique_header(header, f"{path.name}:{line}")
                continue
            rows.append(Row(line, tuple(record), blank))
            blank = False
    except csv.Error as exc:
        raise FileProblem(f"{path.name}:{start}: cannot read the row ({exc})") from None
    if header is None:
        raise FileProblem(f"{path.name}: the file is empty (a header row is needed)")
    rows, notes = _trimmed(rows, len(header), lambda n: f"{path.name}:{n}")
    return Table(path, header, rows, "line", read_as, notes, header_line)


# What the lines under a report say (Salesforce: "Copyright (c) 2000-2026 salesforce.com, inc.
# All rights reserved.", "Confidential Information - Do Not Distribute", "Generated By: ...").
FOOTER_MARKS = ("copyright", "©", "all rights reserved", "confidential", "do not distribute",
                "generated by", "generated on", "printed by", "printed on", "制表", "打印",
                "报表生成")  # fmt: skip


def _trimmed(
    rows: list[Row], width: int, place: Callable[[int], str]
) -> tuple[list[Row], list[str]]:
    """The rows without a spreadsheet's totals (a row whose first value is `Total`, `合计`...)
    and without a report's footer (after a blank row at the end, rows of one value each, as a
    Salesforce report's copyright and "Generated By" lines), and what was left out, in words."""
    notes: list[str] = []
    end = len(rows)
    if width >= 2:
        start = end
        while start > 0 and sum(1 for c in rows[start - 1].cells if c.strip()) == 1:
            start -= 1
        footer = [next(c for c in r.cells if c.strip()).casefold() for r in rows[start:end]]
        if (
            start < end
            and rows[start].after_blank
            and start > 0
            and any(mark in text for text in footer for mark in FOOTER_MARKS)
        ):
            first = next(c.strip() for c in rows[start].cells if c.strip())
            shown = first if len(first) <= 40 else first[:40] + "…"
            span = place(rows[start].line) + (
                f" to {rows[end - 1].line}" if end - start > 1 else ""
            )
            notes.append(f"{span} left out: the report's footer ({shown!r})")
            end = start
    kept: list[Row] = []
    totals: list[Row] = []
    for row in rows[:end]:
        first = next((c for c in row.cells if c.strip()), "")
        if " ".join(first.split()).casefold().rstrip(":：") in TOTAL_WORDS:
            totals.append(row)
        else:
            kept.append(row)
    if totals:
        lines = ", ".join(str(r.line) for r in totals[:5]) + (" …" if len(totals) > 5 else "")
        where = place(totals[0].line).rsplit(str(totals[0].line), 1)[0]
        notes.append(f"{where}{lines} left out: totals ({len(totals):,} row"
                     f"{'s' if len(totals) != 1 else ''})")  # fmt: skip
    return kept, notes


def _unique_header(header: tuple[str, ...], place: str) -> None:
    """Two columns of the same name: which one holds the value is anybody's guess."""
    seen: set[str] = set()
    for name in header:
        key = " ".join(name.casefold().split())
        if key and key in seen:
            raise FileProblem(f"{place}: the column {name!r} appears twice; rename one")
        seen.add(key)


def _sheet_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    """The first sheet (or the one named `sheet`) of a workbook, values not formulas."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    read_bytes(path, only_check=True)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        # The formulas too: a formula whose value was never saved (a workbook written by a
        # program, not Excel) reads as blank, and its row would be imported without it.
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise FileProblem(f"{path.name}: has no sheet called {sheet!r}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        wf = formulas[ws.title]
        merged = _merged_down(path, getattr(ws, "_worksheet_path", None))
        top_values: dict[tuple[int, int], str] = {}
        filled = 0
        header: tuple[str, ...] | None = None
        rows: list[Row] = []
        blank = False
        for number, (values, written) in enumerate(
            zip(ws.iter_rows(values_only=True), wf.iter_rows(values_only=True), strict=False),
            start=1,
        ):
            for column, (value, raw) in enumerate(zip(values, written, strict=False), start=1):
                if value is None and isinstance(raw, str) and raw.startswith("="):
                    raise FileProblem(
                        f"{path.name}: sheet {ws.title!r} cell {get_column_letter(column)}"
                        f"{number} is a formula with no saved value ({raw[:40]}); open the "
                        "workbook in a spreadsheet program and save it, or paste values"
                    )
            cells = [_sheet_text(v) for v in values]
            for first_col, first_row, last_col, _ in merged.get(number, ()):
                # A cell merged down over several rows holds its value in the top-left cell
                # only; each row it covers is given that value, as a person reads it.
                if number == first_row:
                    top_values[first_row, first_col] = (
                        cells[first_col - 1] if first_col <= len(cells) else ""
                    )
                value = top_values.get((first_row, first_col), "")
                if len(cells) < last_col:
                    cells += [""] * (last_col - len(cells))
                for col in range(first_col, last_col + 1):
                    if not cells[col - 1] and value:
                        cells[col - 1] = value
                        filled += 1
            if not any(c.strip() for c in cells):
                blank = True
                continue
            if header is None:
                header, header_line = tuple(c.strip() for c in cells), number
                _unique_header(header, f"{path.name}: sheet {ws.title!r} row {number}")
                continue
            rows.append(Row(number, tuple(cells), blank))
            blank = False
    finally:
        book.close()
        formulas.close()
    if header is None:
        raise FileProblem(f"{path.name}: the sheet is empty (a header row is needed)")
    rows, notes = _trimmed(rows, len(header), lambda n: f"{path.name} row {n}")
    if filled:
        notes.insert(
            0, f"merged cells: {filled:,} cells given the value of the cell merged over them"
        )
    return Table(path, header, rows, "row", "", notes, header_line)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


def _merged_down(path: Path, member: str | None) -> dict[int, list[tuple[int, int, int, int]]]:
    """The sheet's merged cells that span more than one row, by each row they cover:
    (first column, first row, last column, last row). Read from the sheet's XML, where the
    merges follow the cells; None as the member (a workbook openpyxl names otherwise) gives
    none."""
    import zipfile

    from openpyxl.utils import column_index_from_string

    if not member:
        return {}
    found: set[tuple[int, int, int, int]] = set()
    with zipfile.ZipFile(path) as archive:
        try:
            source = archive.open(member.lstrip("/"))
        except KeyError:
            return {}
        with source:
            tail = b""
            for chunk in iter(lambda: source.read(1 << 20), b""):
                data = tail + chunk
                for a, r1, b, r2 in _MERGE.findall(data):
                    if int(r2) > int(r1):
                        found.add((column_index_from_string(a.decode()), int(r1),
                                   column_index_from_string(b.decode()), int(r2)))  # fmt: skip
                tail = data[-100:]
    by_row: dict[int, list[tuple[int, int, int, int]]] = {}
    for merge in sorted(found):
        for row in range(merge[1], merge[3] + 1):
            by_row.setdefault(row, []).append(merge)
    return by_row


def sheet_names(path: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_table(path: Path, sheet: str | None = None, encoding: str | None = None) -> Table:
    """A CSV file or a workbook's sheet; `encoding` names a CSV's encoding instead of
    detecting it."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if path.suffix.lower() == ".xls":
        raise FileProblem(f"{path.name}: old .xls workbooks are not read; save it as .xlsx or CSV")
    return read_csv(path, encoding)


MAX_FILE_BYTES = 2 * 1024**3  # larger is not a spreadsheet a team keeps: refused, not read


def read_bytes(path: Path, *, only_check: bool = False) -> bytes:
    try:
        if not path.exists():
            raise FileProblem(f"no such file: {path}")
        if path.is_dir():
            raise FileProblem(f"{path} is a directory, not a file")
        if not path.is_file():  # a FIFO would wait for ever, /dev/zero never end
            raise FileProblem(f"{path} is not a regular file (a pipe or a device)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileProblem(f"{path} is larger than {MAX_FILE_BYTES // 1024**3} GB")
        return b"" if only_check else path.read_bytes()
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror}") from None


# --- writing --------------------------------------------------------------------------------


@contextmanager
def private_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file of customer data, readable by its owner only, that appears whole or not at all:
    written under a temporary name beside it, flushed to the disk, then renamed into place.
    A killed export or a full disk leaves the old file (or none), never a truncated one that
    looks complete. A symbolic link is refused, not written through."""
    if path.is_symlink():
        raise FileProblem(f"{path} is a symbolic link; kam does not write through links")
    if path.is_dir():
        raise FileProblem(f"{path} is a directory")
    if not path.parent.is_dir():
        raise FileProblem(f"directory does not exist: {path.parent}")
    remove_abandoned_parts(path)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=part_name(path), suffix=".part", dir=path.parent)
    except OSError as exc:
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from None
    temp = Path(temp_name)
    os.chmod(temp, 0o600)
    handle = (
        os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise FileProblem(
            f"cannot write {path}: {exc.strerror or exc}; nothing was written"
        ) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_csv(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        write_row(out, writer, ["" if v is None else safe_cell(v) for v in row], "\r\n")
        count += 1
    return count


def write_json_rows(out: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """A JSON array of objects, one line per row, written as it goes."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(",\n " if count else "\n ")
        out.write(json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False, default=str))
        count += 1
    out.write("\n]" if count else "]")
    return count


class XlsxWriter:
    """A workbook written row by row (openpyxl's write-only mode): dates as dates and money
    with its number format, a bold header frozen above the rows with a filter on it, columns
    as wide as their first rows need. Text a spreadsheet would run as a formula is written as
    text, without the `'` a CSV needs."""

    MEASURED_ROWS = 200  # the rows a column's width is taken from

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)

    def sheet(
        self,
        title: str,
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        kinds: Sequence[str] = (),
    ) -> int:
        """One sheet; `kinds` are the columns' field kinds (date, money, ...), as declared."""
        from itertools import islice

        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        ws = self.book.create_sheet(title)
        iterator = iter(rows)
        first = [list(r) for r in islice(iterator, self.MEASURED_ROWS)]
        formats = {"date": "yyyy-mm-dd", "money": "#,##0.00"}
        for index, name in enumerate(header):
            sample = [r[index] for r in first if index < len(r)]
            width = max(
                [_display_width(name) + 3, *(_display_width(_sheet_text(v)) for v in sample)]
            )
            ws.column_dimensions[get_column_letter(index + 1)].width = min(width + 2, 60)
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        number_format = [formats.get(k) for k in kinds] + [None] * (len(header) - len(kinds))
        count = 0
        for row in (*first, *iterator):
            out = []
            for value, fmt in zip(row, number_format, strict=False):
                value = float(value) if isinstance(value, Decimal) else value
                if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"  # text, never a formula
                    out.append(cell)
                elif fmt is not None and value is not None:
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = fmt
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(out)
            count += 1
        if header:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
        return count

    def save(self, path: Path) -> None:
        with private_file(path, "wb") as out:
            self.book.save(out)

    def write(self, out: IO[bytes]) -> None:
        """The workbook to a stream (standard output): made whole first, then written."""
        buffer = io.BytesIO()
        self.book.save(buffer)
        out.write(buffer.getvalue())
        out.flush()


def _display_width(text: str) -> int:
    """Columns a text takes on screen: a Chinese character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text[:80])
