"""The plan of an import: what would be created, updated and rejected (with the file, line,
column and reason of every bad row), the options it was made with, and how a file's columns
map to kam's fields."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import SQLModel

from kam.errors import InputError
from kam.files.imports.cells import EITHER, SPECS, norm
from kam.files.tabular import Table
from kam.schema import Field

# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reject:
    place: str  # file:line
    column: str | None
    reason: str
    line: int = 0  # for the order of the report

    def __str__(self) -> str:
        where = f"{self.place}: column {self.column!r}" if self.column else self.place
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class Change:
    """One row to write: a new row, or the fields of an existing one that change."""

    table: type[SQLModel]
    values: dict[str, Any]
    existing: uuid.UUID | None = None
    before: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # competitors, reports_to, ...


@dataclass
class KindPlan:
    kind: str
    source: str
    rows: int = 0
    creates: list[Change] = field(default_factory=list)
    updates: list[Change] = field(default_factory=list)
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # header -> field
    notes: list[str] = field(default_factory=list)  # how the file was read, said in the report
    header: tuple[str, ...] = ()  # the file's header, as read
    raw: dict[int, tuple[str, ...]] = field(default_factory=dict)  # line -> cells (--skip-bad)
    samples: dict[str, list[str]] = field(default_factory=dict)  # column -> its first values
    mapping: dict[str, str] = field(default_factory=dict)  # the --map it was read with

    def column_lines(self) -> list[str]:
        """Each column of the file with the field it goes to and values from its first rows,
        as the import screen's preview shows them, lined up in terminal cells (a Chinese
        header takes two a character)."""
        from kam.services.values.formatting import cell_len, fit

        width = min(max((cell_len(c) for c in self.header), default=0), 28)
        out = []
        for column in self.header:
            if not column:
                continue
            target = self.columns.get(column, "(not imported)")
            seen = ", ".join(fit(v, min(cell_len(v), 20)) for v in self.samples.get(column, []))
            out.append(f"  {fit(column, width)} → {target:<16} {seen}".rstrip())
        return out


@dataclass
class ImportPlan:
    kinds: list[KindPlan] = field(default_factory=list)
    new_members: dict[str, uuid.UUID] = field(default_factory=dict)  # name -> id
    new_regions: dict[str, uuid.UUID] = field(default_factory=dict)  # name -> id
    new_accounts: dict[str, uuid.UUID] = field(default_factory=dict)  # --create-accounts
    problems: list[str] = field(default_factory=list)  # whole files that cannot be read
    skipping: bool = False  # bad rows are left out (--skip-bad), the good ones written

    @property
    def rejects(self) -> list[Reject]:
        """Every problem, in the order of the files and their lines."""
        return [r for k in self.kinds for r in sorted(k.rejects, key=lambda r: r.line)]

    @property
    def ok(self) -> bool:
        """Nothing stands in the way of writing: no problem at all, or, when bad rows are
        skipped, only problems of rows (a column or a file wrong throughout still stops it)."""
        if self.problems:
            return False
        if self.skipping:
            return all(r.line for r in self.rejects)
        return not self.rejects

    def rejected_rows(self) -> tuple[list[str], list[list[str]]]:
        """The rows left out, as the file had them, with the reasons in a last column: a file
        to fix and import again (as Salesforce's Data Loader writes its error file)."""
        kind = next((k for k in self.kinds if k.rejects), None)
        if kind is None:
            return [], []
        width = len(kind.header)
        reasons: dict[int, list[str]] = {}
        for reject in sorted(kind.rejects, key=lambda r: r.line):
            where = f"column {reject.column!r}: " if reject.column else ""
            reasons.setdefault(reject.line, []).append(where + reject.reason)
        rows = []
        for line, said in reasons.items():
            cells = list(kind.raw.get(line, ()))[:width]
            rows.append([*cells, *[""] * (width - len(cells)), str(line), "; ".join(said)])
        return [*kind.header, "kam line", "kam problem"], rows

    @property
    def writes(self) -> int:
        rows = sum(len(k.creates) + len(k.updates) for k in self.kinds)
        return rows + len(self.new_members) + len(self.new_regions) + len(self.new_accounts)

    def summary(self) -> str:
        """One line: what an applied import wrote."""
        parts = [
            f"{len(k.creates):,} {k.kind} new, {len(k.updates):,} updated"
            for k in self.kinds
            if k.creates or k.updates
        ]
        return "Imported " + ("; ".join(parts) if parts else "nothing")

    def describe(self, *, applied: bool = False, limit: int | None = None) -> str:
        """The plan as a person reads it: what is (or would be) written and what is wrong."""
        lines: list[str] = list(self.problems)
        verb = ("created", "updated") if applied else ("would create", "would update")
        for k in self.kinds:
            lines.append(
                f"{k.source}: {k.rows:,} rows of {k.kind}: {verb[0]} {len(k.creates):,}, "
                f"{verb[1]} {len(k.updates):,}, unchanged {k.unchanged:,}, "
                f"rejected {len({r.place for r in k.rejects}):,}"
            )
            lines.extend(f"  {note}" for note in k.notes)
            if k.ignored_columns:
                lines.append(f"  columns not imported: {', '.join(k.ignored_columns)}")
        if self.new_members:
            names = ", ".join(sorted(self.new_members))
            lines.append(f"new team members: {names}")
        if self.new_regions:
            lines.append(f"new regions: {', '.join(sorted(self.new_regions))}")
        if self.new_accounts:
            names = sorted(self.new_accounts)
            shown = names if limit is None else names[:limit]
            more = f" … and {len(names) - len(shown):,} more" if len(shown) < len(names) else ""
            verb = "created" if applied else "to create"
            lines.append(f"new accounts {verb} ({len(names):,}): {', '.join(shown)}{more}")
        rejects = self.rejects
        if rejects:
            count = f"{len(rejects):,} problem{'s' if len(rejects) != 1 else ''}"
            if self.ok and self.skipping:
                left = len({r.line for r in rejects})
                lines.append(f"{count}; {left:,} row{'s' if left != 1 else ''} left out:")
            else:
                lines.append(f"{count}; nothing was written:")
            shown = rejects if limit is None else rejects[:limit]
            lines.extend(f"  {r}" for r in shown)
            if len(shown) < len(rejects):
                lines.append(f"  … and {len(rejects) - len(shown):,} more")
        return "\n".join(line for line in lines if line)


@dataclass
class Options:
    update: bool = False
    dayfirst: bool | None = None  # None: decided for each date column from its values
    encoding: str | None = None  # a CSV's encoding; None: detected
    create_accounts: bool = False  # rows naming an account kam does not hold create it
    header_row: int | None = None  # the header's line or sheet row; None: found
    skip_bad: bool = False  # write the good rows, leave the bad ones out (and keep them)
    remembered: bool = False  # with no mapping given, the one last used for these headers
    mapping: Mapping[str, str] = field(default_factory=dict)  # column -> field
    as_of: date = field(default_factory=date.today)
    user: str = "kam"


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """`--map "Kunde=account"` arguments as {column: field}."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise InputError(f"--map {item!r}: write COLUMN=field, e.g. --map 'Kunde=name'", "map")
        mapping[column.strip()] = target.strip()
    return mapping


MAPPINGS_KEY = "import_mappings"  # the team's --map for each set of headers it imported
SAMPLES = 3  # values shown for each column in a preview


def header_key(kind: str, header: Iterable[str]) -> str:
    """A set of headers as a key: the kind and its columns, case and spacing ignored."""
    return kind + ":" + "|".join(sorted(norm(h) for h in header if h.strip()))


HEADER_SEARCH_ROWS = 20  # a header below a report's title is looked for this far down


def header_score(kind: str, cells: Iterable[str], mapping: Mapping[str, str]) -> int:
    """How many of kam's fields a row would give as a header: 0 for a title or data."""
    known = {norm(alias) for spec in SPECS[kind] for alias in (spec.name, *spec.aliases)}
    known |= {norm(column) for column in mapping}
    return len({norm(c) for c in cells if c.strip()} & known)


def choose_header(kind: str, table: Table, options: Options) -> Table:
    """The table with its real header: the row asked for (`--header-row`), or, when a row
    among the first ones names more of kam's fields than the first row does (a title or a
    report's heading above the header), that one."""
    if options.header_row is not None:
        if options.header_row == table.header_line:
            return table
        return table.headed_at(options.header_row)
    best_line, best = table.header_line, header_score(kind, table.header, options.mapping)
    for row in table.rows[:HEADER_SEARCH_ROWS]:
        score = header_score(kind, row.cells, options.mapping)
        if score > best:
            best_line, best = row.line, score
    return table if best_line == table.header_line else table.headed_at(best_line)


def map_columns(
    kind: str, table: Table, mapping: Mapping[str, str]
) -> tuple[dict[int, Field], list]:
    specs = {s.name: s for s in SPECS[kind]}
    by_alias: dict[str, Field] = {}
    for spec in SPECS[kind]:
        for alias in (spec.name, *spec.aliases):
            by_alias.setdefault(norm(alias), spec)
    mapped = {norm(column): target for column, target in mapping.items()}
    for target in mapped.values():
        if target not in specs and target != "-":
            raise InputError(
                f"--map: {kind} have no field {target!r}; fields: {', '.join(specs)}", "map"
            )
    unknown = set(mapped) - {norm(h) for h in table.header}
    if unknown:
        names = [c for c in mapping if norm(c) in unknown]
        raise InputError(
            f"--map: {table.path.name} has no column {names[0]!r}; its columns: "
            f"{', '.join(h for h in table.header if h)}",
            "map",
        )
    columns: dict[int, Field] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for index, header in enumerate(table.header):
        key = norm(header)
        target = mapped.get(key)
        spec = None if target == "-" else specs[target] if target else by_alias.get(key)
        if spec is None or spec.name in taken or not header:
            if header:
                ignored.append(header)
            continue
        taken.add(spec.name)
        columns[index] = spec
    return columns, ignored


def missing_required(kind: str, present: set[str], table: Table) -> str | None:
    either = EITHER.get(kind, {})
    needs = [either.get(s.name, (s.name,)) for s in SPECS[kind] if s.required]
    if kind != "accounts":
        needs.append(("account", "account_id", "kam_id"))
    for options in needs:
        if not present & set(options):
            wanted = " or ".join(options)
            return (
                f"{table.path.name}: no column gives the {wanted} of the {kind}; its columns are "
                f"{', '.join(h for h in table.header if h) or '(none)'}; "
                f"name one with --map COLUMN={options[0]}"
            )
    return None
