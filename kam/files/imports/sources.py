"""Sources from paths: a CSV or spreadsheet file per kind, a folder of them, or a JSON export;
and the calls the interface and the command line make."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from kam.files.imports.apply import Source, apply_plan, plan_import
from kam.files.imports.cells import check_kind
from kam.files.imports.plan import ImportPlan, Options
from kam.files.tabular import FileProblem, Table, read_table
from kam.schema import KINDS
from kam.services.unit import reads, writes

# --- sources from paths ---------------------------------------------------------------------


def sources_for(kind: str, path: Path, encoding: str | None = None) -> list[Source]:
    """What a path holds: one table for one kind; for `all`, a folder of `accounts.csv`...,
    a workbook with a sheet per kind, or kam's JSON export. `encoding` names the encoding
    of CSV files instead of detecting it."""
    if kind != "all":
        check_kind(kind)
        if path.suffix.lower() == ".json":
            return [s for s in _json_sources(path) if s.kind == kind]
        return [Source(kind, read_table(path, encoding=encoding))]
    if path.is_dir():
        found = []
        for name in KINDS:
            for suffix in (".csv", ".xlsx"):
                candidate = path / f"{name}{suffix}"
                if candidate.exists():
                    found.append(Source(name, read_table(candidate, encoding=encoding)))
                    break
        if not found:
            raise FileProblem(f"{path} holds none of {', '.join(k + '.csv' for k in KINDS)}")
        return found
    if path.suffix.lower() == ".json":
        return _json_sources(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from kam.files.tabular import sheet_names

        sheets = [s for s in sheet_names(path) if s in KINDS]
        if not sheets:
            raise FileProblem(f"{path.name} has no sheet named {', '.join(KINDS)}")
        return [Source(s, read_table(path, s)) for s in sheets]
    raise FileProblem(f"{path}: `import all` reads a folder, an .xlsx workbook or a .json export")


def _json_sources(path: Path) -> list[Source]:
    """kam's JSON export: {"accounts": [{...}, ...], ...}; each object is a row."""
    import json

    from kam.files.tabular import Row, read_bytes

    try:
        data = json.loads(read_bytes(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileProblem(f"{path.name}: not a kam JSON export ({exc})") from None
    if not isinstance(data, dict) or not set(data) & set(KINDS):
        raise FileProblem(f"{path.name}: not a kam JSON export (no {', '.join(KINDS)} lists)")
    sources = []
    for kind in KINDS:
        items = data.get(kind)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise FileProblem(f"{path.name}: {kind} is not a list of objects")
        if not items:  # an empty kind (no wallet estimates yet): nothing to read
            continue
        header = tuple(dict.fromkeys(k for item in items for k in item))
        rows = [
            Row(n, tuple("" if item.get(h) is None else _json_text(item.get(h)) for h in header))
            for n, item in enumerate(items, start=1)
        ]
        table = Table(path.with_name(f"{path.name} {kind}"), header, rows, "row")
        sources.append(Source(kind, table))
    return sources


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def import_file(
    session: Session,
    kind: str,
    path: Path,
    options: Options,
    *,
    apply: bool,
    progress: Callable[[int, int], None] | None = None,
) -> ImportPlan:
    """Plan the import of one file (a preview when `apply` is false) and, if nothing in it is
    wrong and `apply` is true, write it in the caller's transaction."""
    plan = plan_import(session, sources_for(kind, path, options.encoding), options)
    if apply and plan.ok:
        apply_plan(session, plan, options, progress)
    return plan


@reads
def preview_file(session: Session, kind: str, path: Path, options: Options) -> ImportPlan:
    """What importing `path` would do, writing nothing."""
    return import_file(session, kind, path, options, apply=False)


@writes
def apply_file(session: Session, kind: str, path: Path, options: Options) -> ImportPlan:
    """Import `path` if nothing in it is wrong; all of it or none."""
    return import_file(session, kind, path, options, apply=True)
