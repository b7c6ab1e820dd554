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
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class Table:
    path: Path
    header: tuple[str, ...]
    rows: list[Row]
    where: str  # "line" for CSV, "row" for a sheet
    encoding: str = ""  # how a CSV's bytes were read, as a person names it ("" for a sheet)

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


def _delimiter(text: str) -> str:
    """The separator the header line uses most: comma, semicolon (European Excel) or tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
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
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            long = next((c for c in record if len(c) > MAX_CELL_CHARS), None)
            if long is not None:
                raise FileProblem(
                    f"{path.name}:{line}: a cell of {len(long):,} characters "
                    f"(at most {MAX_CELL_CHARS:,})"
                )
            if header is None:
                header = tuple(cell.strip() for cell in record)
                _unique_header(header, f"{path.name}:{line}")
                continue
            rows.append(Row(line, tuple(record)))
    except csv.Error as exc:
        raise FileProblem(f"{path.name}:{start}: cannot read the row ({exc})") from None
    if header is None:
        raise FileProblem(f"{path.name}: the file is empty (a header row is needed)")
    return Table(path, header, rows, "line", read_as)


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
        header: tuple[str, ...] | None = None
        rows: list[Row] = []
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
            cells = tuple(_sheet_text(v) for v in values)
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = tuple(c.strip() for c in cells)
                _unique_header(header, f"{path.name}: sheet {ws.title!r} row {number}")
                continue
            rows.append(Row(number, cells))
    finally:
        book.close()
        formulas.close()
    if header is None:
        raise FileProblem(f"{path.name}: the sheet is empty (a header row is needed)")
    return Table(path, header, rows, "row")


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
    """A workbook written row by row (openpyxl's write-only mode)."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)

    def sheet(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        ws = self.book.create_sheet(title)
        ws.append(list(header))
        count = 0
        for row in rows:
            ws.append([_xlsx_cell(v) for v in row])
            count += 1
        return count

    def save(self, path: Path) -> None:
        with private_file(path, "wb") as out:
            self.book.save(out)


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return safe_cell(value)
    return value
