"""Importing accounts, contacts, revenue, deals and wallet estimates from files.

An import is planned before anything is written: every row is read, checked and matched to
what kam holds (accounts by name ignoring case and spaces, by kam id or by the other system's
id). The plan says what would be created, updated and rejected, with the file, line, column
and reason of every bad row. Only a plan without rejects is applied, in one transaction:
all of it or none of it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from kam.db import serialize
from kam.errors import InputError, KamError
from kam.files.tabular import FileProblem, Table, read_table, unneutralise
from kam.models import (
    Account,
    ChangeRecord,
    Contact,
    Opportunity,
    OpportunityStageChange,
    RevenueLine,
    TeamMember,
    WalletCompetitor,
    WalletEstimate,
)
from kam.models.account import name_key
from kam.models.base import utcnow
from kam.models.enums import (
    AccountStatus,
    Attitude,
    HistorySubject,
    Influence,
    OpportunityStage,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipStrength,
    RelationshipType,
)
from kam.schema import ENTITIES, KINDS, Field
from kam.schema.fields import TEXT_KINDS
from kam.services import settings as settings_service
from kam.services.accounts.account_edit import ACCOUNT_FIELDS
from kam.services.history import changes
from kam.services.people.contacts import CONTACT_FIELDS
from kam.services.unit import reads, writes
from kam.services.values import periods
from kam.services.values.parsing import is_email, parse_amount, parse_date

CHUNK = 1000

SPECS: dict[str, tuple[Field, ...]] = {k: e.file_fields for k, e in ENTITIES.items()}
# A column that another can stand in for: a contact's name from its first and last names.
_EITHER: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {"name": ("name", "first_name", "last_name")}
}

# Stage and status names other tools and people use for kam's words.
_ENUM_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    OpportunityStage: {
        # Salesforce's default sales process
        "valueproposition": "needs_analysis",
        "iddecisionmakers": "needs_analysis",
        "perceptionanalysis": "proposal",
        "proposalpricequote": "proposal",
        "negotiationreview": "negotiation",
        "closedwon": "won",
        "closedlost": "lost",
        # HubSpot's default deal pipeline (internal names and labels)
        "appointmentscheduled": "prospecting",
        "qualifiedtobuy": "qualification",
        "presentationscheduled": "needs_analysis",
        "decisionmakerboughtin": "proposal",
        "contractsent": "negotiation",
        # Chinese
        "初步接洽": "prospecting",
        "线索": "prospecting",
        "资格审查": "qualification",
        "需求确认": "qualification",
        "需求分析": "needs_analysis",
        "方案报价": "proposal",
        "报价": "proposal",
        "商务谈判": "negotiation",
        "谈判": "negotiation",
        "赢单": "won",
        "成交": "won",
        "输单": "lost",
        "丢单": "lost",
    },
    AccountStatus: {"活跃": "active", "沉默": "silent", "流失": "lost", "churned": "lost"},
}

_TRUE = {"yes", "y", "true", "1", "x", "✓", "是", "对"}
_FALSE = {"no", "n", "false", "0", "否", ""}


def norm(header: str) -> str:
    """A header or a word as compared: case, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFKC", header).casefold()
    return re.sub(r"[\W_]+", "", text)


def check_kind(kind: str) -> None:
    if kind not in SPECS:
        raise KamError(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")


# --- reading cells --------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason only."""


def _enum(text: str, enum: type[StrEnum]) -> StrEnum:
    key = norm(text)
    for member in enum:
        if norm(member.value) == key:
            return member
    alias = _ENUM_ALIASES.get(enum, {}).get(key)
    if alias is not None:
        return enum(alias)
    words = ", ".join(m.value.replace("_", " ") for m in enum)
    raise CellError(f"{text!r} is not one of: {words}")


def _percent(text: str) -> int:
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise CellError(f"{text!r} is not a percentage from 0 to 100") from None
    if not 0 <= value <= 100:
        raise CellError(f"{text!r} is not a percentage from 0 to 100")
    return round(value)


def read_cell(spec: Field, text: str, dayfirst: bool) -> Any:
    """The typed value of one cell (None when blank), or CellError with the reason."""
    text = unneutralise(text.strip())
    if spec.kind == "long":
        return text
    if spec.kind == "flag":
        key = text.casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise CellError(f"{text!r} is not yes or no")
    if not text:
        return None
    try:
        if spec.kind in (*TEXT_KINDS, "id", "ref"):
            value = " ".join(text.split())
            limit = spec.limit or 200
            if len(value) > limit:
                raise CellError(f"at most {limit} characters (this has {len(value)})")
            if spec.kind == "email" and not is_email(value):
                raise CellError(f"{value!r} is not an e-mail address")
            if spec.kind == "id":
                try:
                    return uuid.UUID(value)
                except ValueError:
                    raise CellError(f"{value!r} is not a kam id") from None
            return value
        if spec.kind == "enum":
            assert spec.enum is not None
            return _enum(text, spec.enum)
        if spec.kind == "date":
            return parse_date(text, spec.name, dayfirst=dayfirst)
        if spec.kind == "money":
            return parse_amount(text, spec.name)
        if spec.kind == "percent":
            return _percent(text)
        if spec.kind == "int":
            if not text.isdigit() or int(text) > 600:
                raise CellError(f"{text!r} is not a number of months (0 to 600)")
            return int(text)
        if spec.kind == "period":
            return periods.parse_period(text, spec.name)
        if spec.kind == "growth":
            from kam.services.wallet.share_of_wallet import parse_growth

            return parse_growth(text, spec.name)
        if spec.kind == "competitors":
            from kam.services.wallet.share_of_wallet import parse_competitors

            return parse_competitors(text, spec.name)
    except InputError as exc:
        raise CellError(str(exc).removeprefix(f"{spec.name}: ")) from None
    raise AssertionError(spec.kind)


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


@dataclass
class ImportPlan:
    kinds: list[KindPlan] = field(default_factory=list)
    new_members: dict[str, uuid.UUID] = field(default_factory=dict)  # name -> id
    problems: list[str] = field(default_factory=list)  # whole files that cannot be read

    @property
    def rejects(self) -> list[Reject]:
        """Every problem, in the order of the files and their lines."""
        return [r for k in self.kinds for r in sorted(k.rejects, key=lambda r: r.line)]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.rejects

    @property
    def writes(self) -> int:
        return sum(len(k.creates) + len(k.updates) for k in self.kinds) + len(self.new_members)

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
            if k.ignored_columns:
                lines.append(f"  columns not imported: {', '.join(k.ignored_columns)}")
        if self.new_members:
            names = ", ".join(sorted(self.new_members))
            lines.append(f"new team members: {names}")
        rejects = self.rejects
        if rejects:
            count = f"{len(rejects):,} problem{'s' if len(rejects) != 1 else ''}"
            lines.append(f"{count}; nothing was written:")
            shown = rejects if limit is None else rejects[:limit]
            lines.extend(f"  {r}" for r in shown)
            if len(shown) < len(rejects):
                lines.append(f"  … and {len(rejects) - len(shown):,} more")
        return "\n".join(line for line in lines if line)


@dataclass
class Options:
    update: bool = False
    dayfirst: bool = False
    mapping: Mapping[str, str] = field(default_factory=dict)  # column -> field
    today: date = field(default_factory=date.today)
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


def _columns(kind: str, table: Table, mapping: Mapping[str, str]) -> tuple[dict[int, Field], list]:
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


def _required_columns(kind: str, present: set[str], table: Table) -> str | None:
    either = _EITHER.get(kind, {})
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


# --- looking up what kam holds --------------------------------------------------------------


class Lookup:
    """What kam holds that rows refer to, plus what this import creates before writing."""

    def __init__(self, session: Session) -> None:
        self.session = session
        conn = session.connection()
        acct = Account.__table__
        self.account_by_key: dict[str, uuid.UUID] = {}
        self.account_by_ref: dict[str, uuid.UUID] = {}
        self.account_name: dict[uuid.UUID, str] = {}
        rows = conn.execute(
            sa.select(acct.c.id, acct.c.name, acct.c.name_key, acct.c.external_ref).where(
                acct.c.archived_at.is_(None)
            )
        )
        for ident, name, key, ref in rows:
            self.account_by_key[key] = ident
            self.account_name[ident] = name
            if ref:
                self.account_by_ref[ref.casefold()] = ident
        self.archived = set(
            conn.execute(sa.select(acct.c.id).where(acct.c.archived_at.is_not(None))).scalars()
        )
        member = TeamMember.__table__
        self.member_by_key: dict[str, uuid.UUID] = {}
        for ident, name, email in conn.execute(
            sa.select(member.c.id, member.c.name, member.c.email).order_by(member.c.created_at)
        ):
            self.member_by_key.setdefault(name.casefold(), ident)
            if email:
                self.member_by_key.setdefault(email.casefold(), ident)
        self.new_members: dict[str, uuid.UUID] = {}

    def member(self, name: str) -> uuid.UUID:
        key = name.casefold()
        found = self.member_by_key.get(key)
        if found is None:
            found = self.member_by_key[key] = uuid.uuid4()
            self.new_members[name] = found
        return found

    def account(self, values: dict[str, Any]) -> uuid.UUID:
        """The account a related row belongs to, by kam id, the other system's id or name."""
        ref = values.get("account_id")
        if ref:
            try:
                ident = uuid.UUID(ref)
            except ValueError:
                ident = self.account_by_ref.get(ref.casefold())
            if ident is None or ident not in self.account_name:
                where = "archived" if ident in self.archived else "not in kam"
                raise CellError(f"account {ref!r} is {where}")
            return ident
        name = values.get("account")
        if not name:
            raise CellError("the account is missing")
        try:
            ident = uuid.UUID(name)
            if ident in self.account_name:
                return ident
        except ValueError:
            pass
        found = self.account_by_key.get(name_key(name))
        if found is None:
            raise CellError(f"no account is named {name!r}")
        return found

    def existing(
        self, table: sa.Table, ids: Iterable[uuid.UUID], columns: Sequence[str]
    ) -> dict[uuid.UUID, dict[str, Any]]:
        """Rows of `table` with these ids, chunked so the IN list stays short."""
        found: dict[uuid.UUID, dict[str, Any]] = {}
        wanted = list(dict.fromkeys(ids))
        cols = [table.c.id, *(table.c[c] for c in columns)]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.session.connection().execute(
                sa.select(*cols).where(table.c.id.in_(chunk))
            ):
                found[row[0]] = dict(zip(columns, row[1:], strict=True))
        return found

    def by_accounts(
        self, table: sa.Table, account_ids: Iterable[uuid.UUID], columns: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        wanted = list(dict.fromkeys(account_ids))
        cols = [table.c.id, table.c.account_id, *(table.c[c] for c in columns)]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.session.connection().execute(
                sa.select(*cols).where(table.c.account_id.in_(chunk))
            ):
                yield dict(zip(["id", "account_id", *columns], row, strict=True))


# --- planning each kind ---------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    place: str
    values: dict[str, Any]
    headers: dict[str, str]  # field -> the column it came from

    def column(self, name: str) -> str | None:
        return self.headers.get(name)


def _read_rows(kind: str, table: Table, plan: KindPlan, options: Options) -> list[_Row] | None:
    columns, ignored = _columns(kind, table, options.mapping)
    plan.ignored_columns = ignored
    plan.columns = {table.header[i]: s.name for i, s in columns.items()}
    problem = _required_columns(kind, {s.name for s in columns.values()}, table)
    if problem:
        plan.rows = len(table.rows)
        plan.rejects.append(Reject(table.path.name, None, problem.split(": ", 1)[1]))
        return None
    headers = {s.name: table.header[i] for i, s in columns.items()}
    out: list[_Row] = []
    width = len(table.header)
    for row in table.rows:
        plan.rows += 1
        place = table.place(row.line)
        if len(row.cells) > width and any(c.strip() for c in row.cells[width:]):
            plan.rejects.append(
                Reject(
                    place,
                    None,
                    f"{len(row.cells)} cells but the header has {width} columns",
                    row.line,
                )
            )
            continue
        values: dict[str, Any] = {}
        bad = False
        for index, spec in columns.items():
            text = row.cells[index] if index < len(row.cells) else ""
            try:
                values[spec.name] = read_cell(spec, text, options.dayfirst)
            except CellError as exc:
                plan.rejects.append(Reject(place, table.header[index], str(exc), row.line))
                bad = True
        for spec in columns.values():
            if (
                spec.required
                and spec.name not in _EITHER.get(kind, {})
                and values.get(spec.name) in (None, "")
                and not bad
            ):
                reason = f"{spec.name} is required"
                plan.rejects.append(Reject(place, headers[spec.name], reason, row.line))
                bad = True
        if not bad:
            out.append(_Row(row.line, place, values, headers))
    return out


def _reject(plan: KindPlan, row: _Row, name: str | None, reason: str) -> None:
    plan.rejects.append(Reject(row.place, row.column(name) if name else None, reason, row.line))


def _diff(values: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in before and before[k] != v}


def _settle(
    plan: KindPlan,
    row: _Row,
    change: Change,
    existing: Mapping[str, Any] | None,
    options: Options,
    what: str,
) -> None:
    """Create, update or refuse a row that matched `existing` (or nothing)."""
    if existing is None:
        plan.creates.append(change)
        return
    if not options.update:
        _reject(plan, row, None, f"{what} is in kam already; use --update to update it")
        return
    changed = _diff(change.values, existing)
    extra_changed = any(existing.get(k) != v for k, v in change.extra.items() if k in existing)
    if not changed and not extra_changed:
        plan.unchanged += 1
        return
    change.before = dict(existing)
    change.values = changed
    plan.updates.append(change)


# What an import compares and updates: the account form's fields and the one it does not show.
_ACCOUNT_COLUMNS = (*ACCOUNT_FIELDS, "external_ref")
_ACCOUNT_DEFAULTS = {
    "status": AccountStatus.active,
    "relationship_stage": RelationshipStage.transactional,
    "relationship_horizon": RelationshipHorizon.long_term,
    "relationship_type": RelationshipType.relational,
    "notes": "",
    "strategic": False,
    "emerging": False,
}


def _member_values(values: dict[str, Any], lookup: Lookup) -> None:
    if "owner" in values:
        owner = values.pop("owner")
        values["owner_id"] = lookup.member(owner) if owner else None


def _plan_accounts(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options) -> None:
    acct = Account.__table__
    seen: dict[str, int] = {}  # name key -> line, within the file
    found: list[tuple[_Row, dict[str, Any], uuid.UUID | None, uuid.UUID | None]] = []
    for row in rows:
        values = row.values  # planned in place: one dict per row, not two
        ident = values.pop("kam_id", None)
        if "annual_revenue" in values:
            values["annual_revenue_minor"] = values.pop("annual_revenue")
            if (values["annual_revenue_minor"] or 0) < 0:
                _reject(plan, row, "annual_revenue", "annual revenue cannot be negative")
                continue
        _member_values(values, lookup)
        for name, default in _ACCOUNT_DEFAULTS.items():
            if name in values and values[name] is None:
                values[name] = default
        if values.get("tier_override") and not values.get("tier_override_reason"):
            _reject(plan, row, "tier_override", "a tier set by hand needs a tier_override_reason")
            continue
        key = values["name_key"] = name_key(values["name"])
        if key in seen:
            _reject(plan, row, "name", f"the same account as line {seen[key]}")
            continue
        seen[key] = row.line
        match = None
        if ident is None:
            ref = (values.get("external_ref") or "").casefold()
            match = lookup.account_by_ref.get(ref) if ref else None
            match = match or lookup.account_by_key.get(key)
        found.append((row, values, ident, match))
    existing = lookup.existing(
        acct, [m or i for _, _, i, m in found if m or i], (*_ACCOUNT_COLUMNS, "archived_at")
    )
    for row, values, ident, match in found:
        if ident is not None and ident in existing:
            match = ident
        before = existing.get(match) if match is not None else None
        if before is not None and before.pop("archived_at") is not None:
            _reject(plan, row, None, "that account is archived; restore it first")
            continue
        key = values["name_key"]
        holder = lookup.account_by_key.get(key)
        if holder is not None and holder != match:
            _reject(plan, row, "name", f"another account is called {values['name']!r}")
            continue
        if before is not None:
            before["name_key"] = name_key(before["name"])
        new_id = match or ident or uuid.uuid4()
        change = Change(Account, {**values, "id": new_id}, existing=match)
        _settle(plan, row, change, before, options, f"account {values['name']!r}")
        if before is not None:
            lookup.account_by_key.pop(before["name_key"], None)
        lookup.account_by_key[key] = new_id
        lookup.account_name[new_id] = values["name"]
        if values.get("external_ref"):
            lookup.account_by_ref[values["external_ref"].casefold()] = new_id


def _related(
    rows: list[_Row], plan: KindPlan, lookup: Lookup
) -> list[tuple[_Row, uuid.UUID, dict[str, Any]]]:
    """Rows with their account found, the reference fields taken out."""
    out = []
    for row in rows:
        values = row.values  # planned in place: one dict per row, not two
        try:
            account_id = lookup.account(values)
        except CellError as exc:
            column = "account_id" if values.get("account_id") else "account"
            _reject(plan, row, column, str(exc))
            continue
        values.pop("account", None)
        values.pop("account_id", None)
        _member_values(values, lookup)
        out.append((row, account_id, values))
    return out


def _natural(
    plan: KindPlan,
    lookup: Lookup,
    table: sa.Table,
    related: list[tuple[_Row, uuid.UUID, dict[str, Any]]],
    columns: Sequence[str],
    key: Callable[[Mapping[str, Any]], tuple],
) -> tuple[dict[uuid.UUID, dict], dict[tuple, dict]]:
    """Existing rows matched by kam id, and by a natural key (account + what names the row)."""
    by_id = lookup.existing(
        table, [v["kam_id"] for _, _, v in related if v.get("kam_id")], ["account_id", *columns]
    )
    by_key: dict[tuple, dict] = {}
    for existing in lookup.by_accounts(table, {a for _, a, _ in related}, columns):
        by_key.setdefault((existing["account_id"], *key(existing)), existing)
    return by_id, by_key


def _match(
    by_id: dict[uuid.UUID, dict], by_key: dict[tuple, dict], natural: tuple, ident: uuid.UUID | None
) -> tuple[uuid.UUID | None, dict | None]:
    """The existing row a file row is about: by kam id if it has one, else by its natural key."""
    if ident is not None:
        return (ident, dict(by_id[ident])) if ident in by_id else (None, None)
    existing = by_key.get(natural)
    if existing is None:
        return None, None
    before = dict(existing)
    return before.pop("id"), before


# The contact form's fields; who a contact reports to is linked after every row is written.
_CONTACT_COLUMNS = tuple(f for f in CONTACT_FIELDS if f != "reports_to_id")


def _contact_name(values: dict[str, Any]) -> str | None:
    first, last = values.pop("first_name", None), values.pop("last_name", None)
    if values.get("name"):
        return values["name"]
    parts = [p for p in (first, last) if p]
    if not parts:
        return None
    wide = all(unicodedata.east_asian_width(p[0]) in "WF" for p in parts)
    return "".join(reversed(parts)) if wide else " ".join(parts)  # 李 + 伟 -> 李伟


def _plan_contacts(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options) -> None:
    table = Contact.__table__
    related = _related(rows, plan, lookup)
    for _row, _, values in related:
        values["name"] = _contact_name(values)
    by_id, by_key = _natural(
        plan, lookup, table, related, _CONTACT_COLUMNS, lambda v: (norm(v["name"] or ""),)
    )
    seen: dict[tuple, int] = {}
    names: dict[tuple, uuid.UUID] = {k: v["id"] for k, v in by_key.items()}
    pending: list[tuple[_Row, Change]] = []
    for row, account_id, values in related:
        if not values["name"]:
            _reject(plan, row, "name", "a contact needs a name")
            continue
        if len(values["name"]) > 120:
            _reject(plan, row, "name", "a name has at most 120 characters")
            continue
        if values.get("left_on") and values["left_on"] > options.today:
            _reject(plan, row, "left_on", "cannot be later than today")
            continue
        for name, default in (
            ("attitude", Attitude.neutral),
            ("influence", Influence.medium),
            ("strength", RelationshipStrength.none),
        ):
            if name in values and values[name] is None:
                values[name] = default
        natural = (account_id, norm(values["name"]))
        ident = values.pop("kam_id", None)
        if natural in seen and ident is None:  # two people of one name need their kam ids
            _reject(plan, row, "name", f"the same contact as line {seen[natural]}")
            continue
        seen[natural] = row.line
        names.setdefault(natural, ident or uuid.uuid4())
        match, before = _match(by_id, by_key, natural, ident)
        boss = values.pop("reports_to", None)
        if before is not None and before["account_id"] != account_id:
            _reject(plan, row, "account", "this contact belongs to another account in kam")
            continue
        new_id = match or ident or names[natural]
        change = Change(Contact, {**values, "account_id": account_id, "id": new_id}, match)
        if boss is not None:
            change.extra["reports_to"] = boss
        pending.append((row, change))
        _settle(plan, row, change, before, options, f"contact {values['name']!r}")
    for row, change in pending:
        boss = change.extra.pop("reports_to", None)
        if boss is None:
            continue
        boss_id = names.get(
            (change.values.get("account_id") or change.before.get("account_id"), norm(boss))
        )
        if boss_id is None:
            _reject(plan, row, "reports_to", f"no contact {boss!r} at this account")
        elif boss_id == (change.existing or change.values.get("id")):
            _reject(plan, row, "reports_to", "a contact cannot report to themselves")
        else:
            change.extra["reports_to_id"] = boss_id


def _plan_revenue(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options) -> None:
    table = RevenueLine.__table__
    columns = ("booked_on", "category", "amount_minor", "cost_minor")
    related = _related(rows, plan, lookup)
    for _, _, values in related:
        values["amount_minor"] = values.pop("amount")
        values["cost_minor"] = values.pop("cost", None) or 0
    by_id, by_key = _natural(
        plan,
        lookup,
        table,
        related,
        columns,
        lambda v: (v["booked_on"], norm(v["category"]), v["amount_minor"], v["cost_minor"]),
    )
    for row, account_id, values in related:
        if values["amount_minor"] < 0:
            _reject(plan, row, "amount", "revenue cannot be negative")
            continue
        if values["cost_minor"] < 0:
            _reject(plan, row, "cost", "a cost cannot be negative")
            continue
        ident = values.pop("kam_id", None)
        natural = (
            account_id,
            values["booked_on"],
            norm(values["category"]),
            values["amount_minor"],
            values["cost_minor"],
        )
        match, before = _match(by_id, by_key, natural, ident)
        change = Change(RevenueLine, {**values, "account_id": account_id, "id": match or ident})
        change.existing = match
        if change.values["id"] is None:
            change.values["id"] = uuid.uuid4()
        what = f"revenue of {values['booked_on']} in {values['category']}"
        _settle(plan, row, change, before, options, what)


_DEAL_COLUMNS = (
    "title",
    "category",
    "amount_minor",
    "stage",
    "probability",
    "probability_overridden",
    "expected_close",
    "impact_months",
    "buying_factor",
    "next_step",
    "next_step_due",
    "owner_id",
    "close_reason",
    "opened_on",
    "closed_on",
)


def _plan_opportunities(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options):
    from kam.services.pipeline.stages import CLOSED_STAGES, DEFAULT_PROBABILITY, pipeline_settings

    settings = pipeline_settings(lookup.session)
    table = Opportunity.__table__
    related = _related(rows, plan, lookup)
    by_id, by_key = _natural(
        plan, lookup, table, related, _DEAL_COLUMNS, lambda v: (norm(v["title"]),)
    )
    seen: dict[tuple, int] = {}
    for row, account_id, values in related:
        if "amount" in values:
            values["amount_minor"] = values.pop("amount") or 0
            if values["amount_minor"] < 0:
                _reject(plan, row, "amount", "an amount cannot be negative")
                continue
        ident = values.pop("kam_id", None)
        natural = (account_id, norm(values["title"]))
        if natural in seen and ident is None:
            _reject(plan, row, "title", f"the same deal as line {seen[natural]}")
            continue
        seen[natural] = row.line
        match, before = _match(by_id, by_key, natural, ident)
        stage = values.get("stage") or (before or {}).get("stage") or OpportunityStage.prospecting
        values["stage"] = stage
        if before is not None and before["stage"] in CLOSED_STAGES and stage != before["stage"]:
            _reject(
                plan, row, "stage", f"this deal is closed ({before['stage']}); it does not move"
            )
            continue
        probability = values.pop("probability", None)
        kept = before is not None and "probability" not in row.headers
        if probability is None and kept and before["probability_overridden"]:
            probability = before["probability"]
        if stage in CLOSED_STAGES:
            values["probability"], values["probability_overridden"] = (
                DEFAULT_PROBABILITY[stage],
                False,
            )
            values["closed_on"] = (
                values.get("closed_on")
                or values.get("expected_close")
                or ((before or {}).get("closed_on") or options.today)
            )
        elif probability is not None and probability != settings.probability[stage]:
            values["probability"], values["probability_overridden"] = probability, True
        else:
            values["probability"] = settings.probability[stage]
            values["probability_overridden"] = False
            values["closed_on"] = None
        if values.get("impact_months") is None:
            values.pop("impact_months", None)
        values["opened_on"] = (
            values.get("opened_on") or (before or {}).get("opened_on") or (options.today)
        )
        change = Change(Opportunity, {**values, "account_id": account_id}, match)
        change.values["id"] = match or ident or uuid.uuid4()
        _settle(plan, row, change, before, options, f"deal {values['title']!r}")


def _plan_wallet(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options) -> None:
    table = WalletEstimate.__table__
    columns = (
        "category",
        "period_kind",
        "period_start",
        "total_spend_minor",
        "customer_growth",
        "notes",
    )
    related = _related(rows, plan, lookup)
    for _, _, values in related:
        period = values.pop("period")
        values["period_kind"], values["period_start"] = period.kind, period.start
        values["total_spend_minor"] = values.pop("total_spend")
        if "notes" in values:
            values["notes"] = values["notes"] or ""
    by_id, by_key = _natural(
        plan,
        lookup,
        table,
        related,
        columns,
        lambda v: (norm(v["category"]), str(v["period_kind"]), v["period_start"]),
    )
    from kam.services.wallet.share_of_wallet import competitors_of

    known = [e["id"] for e in by_key.values()] + list(by_id)
    current = competitors_of(lookup.session, known)  # one read for every estimate matched
    seen: dict[tuple, int] = {}
    for row, account_id, values in related:
        if values["total_spend_minor"] < 0:
            _reject(plan, row, "total_spend", "the customer's spend cannot be negative")
            continue
        ident = values.pop("kam_id", None)
        natural = (
            account_id,
            norm(values["category"]),
            str(values["period_kind"]),
            values["period_start"],
        )
        if natural in seen:
            _reject(plan, row, "period", f"the same estimate as line {seen[natural]}")
            continue
        seen[natural] = row.line
        match, before = _match(by_id, by_key, natural, ident)
        competitors = values.pop("competitors", None)
        change = Change(WalletEstimate, {**values, "account_id": account_id}, match)
        change.values["id"] = match or ident or uuid.uuid4()
        if "competitors" in row.headers:
            change.extra["competitors"] = competitors or []
            if before is not None:
                before["competitors"] = current.get(match, [])
                change.extra["competitors"] = sorted(
                    change.extra["competitors"], key=lambda c: (-c[1], c[0])
                )
        _settle(plan, row, change, before, options, f"the estimate for {row.values['category']}")


_PLANNERS = {
    "accounts": _plan_accounts,
    "contacts": _plan_contacts,
    "revenue": _plan_revenue,
    "opportunities": _plan_opportunities,
    "wallet": _plan_wallet,
}


# --- the whole import -----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    kind: str
    table: Table


def plan_import(session: Session, sources: Sequence[Source], options: Options) -> ImportPlan:
    """Read, check and match every row of every source (in the order accounts come first);
    nothing is written. One import at a time on a team database: a second one waits, then
    matches its rows against what the first wrote (so the same file twice is refused, not
    written twice)."""
    serialize(session, "import")
    plan = ImportPlan()
    lookup = Lookup(session)
    for source in sorted(sources, key=lambda s: KINDS.index(s.kind)):
        kind_plan = KindPlan(source.kind, source.table.path.name)
        plan.kinds.append(kind_plan)
        rows = _read_rows(source.kind, source.table, kind_plan, options)
        source.table.rows.clear()  # read: the file's text is not needed any more
        if rows is not None:
            _PLANNERS[source.kind](rows, kind_plan, lookup, options)
            rows.clear()
    plan.new_members = dict(lookup.new_members)
    return plan


def apply_plan(
    session: Session,
    plan: ImportPlan,
    options: Options,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write a plan without rejects inside the caller's transaction."""
    if not plan.ok:
        raise KamError("the import has problems; nothing was written")
    total = plan.writes
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        before, done = done, done + n
        if progress is not None and total and (done // CHUNK != before // CHUNK or done == total):
            progress(done, total)

    for name, ident in plan.new_members.items():
        session.add(TeamMember(id=ident, name=name[:120]))
    session.flush()
    tick(len(plan.new_members))
    for kind in plan.kinds:
        for start in range(0, len(kind.creates), CHUNK):
            chunk = kind.creates[start : start + CHUNK]
            _insert(session, chunk, options)
            tick(len(chunk))
        for start in range(0, len(kind.updates), CHUNK):
            chunk = kind.updates[start : start + CHUNK]
            _update(session, chunk, options)
            tick(len(chunk))
        _link_extras(session, kind)
    settings_service.bump_data_version(session)


def _subject(change: Change, ident: uuid.UUID) -> changes.Subject | None:
    values = {**change.before, **change.values}
    if change.table is Account:
        return changes.Subject(ident, HistorySubject.account, ident, values["name"])
    if change.table is Contact:
        return changes.Subject(values["account_id"], HistorySubject.contact, ident, values["name"])
    if change.table is Opportunity:
        kind = HistorySubject.opportunity
        return changes.Subject(values["account_id"], kind, ident, values["title"])
    return None


def _column_defaults(model: type[SQLModel]) -> list[tuple[str, Any, Any]]:
    """(column, default, factory) of each column of a table model, as its fields declare."""
    from pydantic_core import PydanticUndefined

    table = model.__table__  # type: ignore[attr-defined]
    out = []
    for name, info in model.model_fields.items():
        if name in table.c:
            default = None if info.default is PydanticUndefined else info.default
            out.append((name, default, info.default_factory))
    return out


def _rows(model: type[SQLModel], values: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Complete rows for a bulk insert: what the model's constructor would fill in, without
    building 100,000 model objects."""
    defaults = _column_defaults(model)
    return [
        {
            name: v[name] if name in v else (factory() if factory else default)
            for name, default, factory in defaults
        }
        for v in values
    ]


def _insert(session: Session, chunk: list[Change], options: Options) -> None:
    now = utcnow()
    model = chunk[0].table
    conn = session.connection()
    conn.execute(model.__table__.insert(), _rows(model, [c.values for c in chunk]))  # type: ignore[attr-defined]
    records: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    for change in chunk:
        ident = change.values["id"]
        if model is Opportunity:
            stages.append(
                {
                    "opportunity_id": ident,
                    "to_stage": change.values["stage"],
                    "changed_at": now,
                    "changed_by": options.user[:120],
                }
            )
        subject = _subject(change, ident)
        if subject is not None:
            label = subject.label
            records.append(
                changes.change_values(subject, changes.CREATED, None, label, options.user)
            )
    if stages:
        conn.execute(
            OpportunityStageChange.__table__.insert(), _rows(OpportunityStageChange, stages)
        )  # type: ignore[attr-defined]
    if records:
        conn.execute(ChangeRecord.__table__.insert(), _rows(ChangeRecord, records))  # type: ignore[attr-defined]


def _update(session: Session, chunk: list[Change], options: Options) -> None:
    objects = {
        o.id: o
        for o in session.execute(
            sa.select(chunk[0].table).where(
                chunk[0].table.id.in_([c.existing for c in chunk])  # type: ignore[attr-defined]
            )
        ).scalars()
    }
    now = utcnow()
    for change in chunk:
        obj = objects[change.existing]
        values = {k: v for k, v in change.values.items() if k not in ("id", "account_id")}
        if isinstance(obj, Opportunity) and "stage" in values and values["stage"] != obj.stage:
            session.add(
                OpportunityStageChange(
                    opportunity_id=obj.id,
                    from_stage=obj.stage,
                    to_stage=values["stage"],
                    changed_at=now,
                    changed_by=options.user[:120],
                )
            )
            obj.stage_changed_at = now
        subject = _subject(change, obj.id)
        for name, value in values.items():
            if subject is not None and name != "name_key":
                label = name.removesuffix("_minor").removesuffix("_id")
                old = getattr(obj, name)
                if name.endswith("_minor"):
                    old = None if old is None else f"{old / 100:,.2f}"
                    value = None if value is None else f"{value / 100:,.2f}"
                changes.record(session, subject, label, old, value, options.user)
            setattr(obj, name, change.values[name])
    session.flush()
    session.expunge_all()


def _link_extras(session: Session, kind: KindPlan) -> None:
    """What needs the rows written first: who reports to whom, an estimate's competitors."""
    conn = session.connection()
    if kind.kind == "contacts":
        table = Contact.__table__
        for change in [*kind.creates, *kind.updates]:
            boss = change.extra.get("reports_to_id")
            if boss is not None:
                ident = change.existing or change.values["id"]
                conn.execute(table.update().where(table.c.id == ident).values(reports_to_id=boss))
    if kind.kind == "wallet":
        comp = WalletCompetitor.__table__
        rows = []
        for change in [*kind.creates, *kind.updates]:
            if "competitors" not in change.extra:
                continue
            ident = change.existing or change.values["id"]
            conn.execute(comp.delete().where(comp.c.estimate_id == ident))
            now = utcnow()
            rows.extend(
                {
                    "id": uuid.uuid4(),
                    "estimate_id": ident,
                    "name": name,
                    "share": share,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for name, share in change.extra["competitors"]
            )
        if rows:
            conn.execute(comp.insert(), rows)


# --- sources from paths ---------------------------------------------------------------------


def sources_for(kind: str, path: Path) -> list[Source]:
    """What a path holds: one table for one kind; for `all`, a folder of `accounts.csv`...,
    a workbook with a sheet per kind, or kam's JSON export."""
    if kind != "all":
        check_kind(kind)
        if path.suffix.lower() == ".json":
            return [s for s in _json_sources(path) if s.kind == kind]
        return [Source(kind, read_table(path))]
    if path.is_dir():
        found = []
        for name in KINDS:
            for suffix in (".csv", ".xlsx"):
                candidate = path / f"{name}{suffix}"
                if candidate.exists():
                    found.append(Source(name, read_table(candidate)))
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
    plan = plan_import(session, sources_for(kind, path), options)
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
