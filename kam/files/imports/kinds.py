"""Planning each kind of row: accounts, contacts, revenue lines, deals and wallet estimates, each
matched to what kam holds and checked against the rules that involve other rows."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from kam.errors import InputError
from kam.files.imports.cells import (
    EITHER,
    CellError,
    amount_style,
    date_order,
    norm,
    read_cell,
)
from kam.files.imports.lookup import Lookup
from kam.files.imports.plan import (
    SAMPLES,
    Change,
    KindPlan,
    Options,
    Reject,
    choose_header,
    map_columns,
    missing_required,
)
from kam.files.tabular import Table
from kam.models import (
    Account,
    AccountTeamMember,
    Activity,
    Complaint,
    Contact,
    Opportunity,
    PlanItem,
    RevenueLine,
    SatisfactionScore,
    WalletEstimate,
)
from kam.models.account import name_key
from kam.models.enums import (
    AccountStatus,
    Attitude,
    ComplaintSeverity,
    Influence,
    OpportunityStage,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipStrength,
    RelationshipType,
    Sentiment,
)
from kam.services import settings as settings_service
from kam.services.accounts.account_edit import ACCOUNT_FIELDS
from kam.services.people.contacts import CONTACT_FIELDS

# --- planning each kind ---------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    place: str
    values: dict[str, Any]
    headers: dict[str, str]  # field -> the column it came from

    def column(self, name: str) -> str | None:
        return self.headers.get(name)


def read_rows(kind: str, table: Table, plan: KindPlan, options: Options) -> list[_Row] | None:
    table = choose_header(kind, table, options)
    plan.notes.extend(table.notes)
    plan.header = table.header
    if options.skip_bad:  # the rows as they were, for the file of rejected rows
        plan.raw = {row.line: row.cells for row in table.rows}
    plan.mapping = dict(options.mapping)
    for index, column in enumerate(table.header):
        values = []
        for row in table.rows[:50]:
            cell = row.cells[index].strip() if index < len(row.cells) else ""
            if cell and cell not in values:
                values.append(cell)
                if len(values) == SAMPLES:
                    break
        plan.samples[column] = values
    columns, ignored = map_columns(kind, table, options.mapping)
    plan.ignored_columns = ignored
    plan.columns = {table.header[i]: s.name for i, s in columns.items()}
    problem = missing_required(kind, {s.name for s in columns.values()}, table)
    if problem:
        plan.rows = len(table.rows)
        plan.rejects.append(Reject(table.path.name, None, problem.split(": ", 1)[1]))
        return None
    headers = {s.name: table.header[i] for i, s in columns.items()}
    if table.encoding not in ("", "UTF-8"):
        plan.notes.append(f"read as {table.encoding}")
    # How a column's dates and amounts are written is decided once from all its values.
    dayfirst: dict[int, bool] = {}
    comma: dict[int, bool] = {}
    whole_column_problem = False
    for index, spec in columns.items():
        if spec.kind not in ("date", "money"):
            continue
        cells = ((r.line, r.cells[index]) for r in table.rows if index < len(r.cells))
        try:
            if spec.kind == "date":
                dayfirst[index], note = date_order(table.header[index], cells, options.dayfirst)
            else:
                comma[index], note = amount_style(table.header[index], cells)
        except CellError as exc:
            plan.rejects.append(Reject(table.path.name, table.header[index], str(exc)))
            whole_column_problem = True
            continue
        if note:
            plan.notes.append(note)
    if whole_column_problem:
        plan.rows = len(table.rows)
        return None
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
                values[spec.name] = read_cell(
                    spec,
                    text,
                    dayfirst.get(index, False),
                    comma.get(index, False),
                    from_csv=table.where == "line",
                )
            except CellError as exc:
                plan.rejects.append(Reject(place, table.header[index], str(exc), row.line))
                bad = True
        for spec in columns.values():
            if (
                spec.required
                and spec.name not in EITHER.get(kind, {})
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
_ACCOUNT_COLUMNS = (
    *(f for f in ACCOUNT_FIELDS if f not in ("parent", "region")),
    "parent_id",
    "region_id",
    "external_ref",
)
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
        if "region" in values:
            region = values.pop("region")
            if region and len(" ".join(region.split())) > 120:
                _reject(plan, row, "region", "a region's name is at most 120 characters")
                continue
            values["region_id"] = lookup.region(region) if region else None
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
    ready: list[_Ready] = []
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
            lookup.account_by_key.pop(before["name_key"], None)
        new_id = match or ident or uuid.uuid4()
        lookup.account_by_key[key] = new_id
        lookup.account_name[new_id] = values["name"]
        if values.get("external_ref"):
            lookup.account_by_ref[values["external_ref"].casefold()] = new_id
        ready.append(_Ready(row, values, match, before, new_id))
    for r in _with_parents(plan, lookup, ready):
        change = Change(Account, {**r.values, "id": r.id}, existing=r.match)
        _settle(plan, r.row, change, r.before, options, f"account {r.values['name']!r}")


@dataclass(slots=True)
class _Ready:
    """An account row checked and given its id, before its group is found."""

    row: _Row
    values: dict[str, Any]
    match: uuid.UUID | None
    before: dict[str, Any] | None
    id: uuid.UUID


def _with_parents(plan: KindPlan, lookup: Lookup, ready: list[_Ready]) -> list[_Ready]:
    """The group each account is part of, by the group's name or another tool's id for it,
    in kam or anywhere in the file (before or after the row); rows whose group is unknown or
    makes a loop are refused, naming the accounts and lines on it."""
    if not any("parent" in r.values for r in ready):
        return ready
    line_of = {r.id: r.row.line for r in ready}
    above: dict[uuid.UUID, uuid.UUID | None] = {}
    kept: list[_Ready] = []
    for r in ready:
        if "parent" not in r.values:
            kept.append(r)
            continue
        text = str(r.values.pop("parent") or "").strip()
        parent = None
        if text:
            parent = lookup.account_by_ref.get(text.casefold()) or lookup.account_by_key.get(
                name_key(text)
            )
            if parent is None:
                _reject(plan, r.row, "parent", f"no account is called {text!r} in kam or the file")
                continue
            if parent == r.id:
                _reject(plan, r.row, "parent", "an account cannot be part of itself")
                continue
        r.values["parent_id"] = above[r.id] = parent
        kept.append(r)
    on_loops: set[uuid.UUID] = set()
    for r in kept:
        chain, step = [r.id], above.get(r.id)
        while step is not None and step not in chain and len(chain) < 1000:
            chain.append(step)
            step = above[step] if step in above else lookup.parent_of(step)
        if step is None or step in on_loops or step not in chain:
            continue
        loop = chain[chain.index(step) :]
        on_loops.update(loop)
        names = " → ".join(lookup.account_name.get(a, str(a)) for a in [*loop, step])
        lines = ", ".join(str(line_of[a]) for a in loop if a in line_of)
        _reject(plan, r.row, "parent", f"that would make a loop: {names} (lines {lines})")
    return [r for r in kept if r.id not in on_loops]


def _related(
    rows: list[_Row], plan: KindPlan, lookup: Lookup
) -> list[tuple[_Row, uuid.UUID, dict[str, Any]]]:
    """Rows with their account found, the reference fields taken out."""
    out = []
    several: list[str] = []
    for row in rows:
        values = row.values  # planned in place: one dict per row, not two
        try:
            account_id = _account_of(values, lookup, row, several)
        except CellError as exc:
            column = "account_id" if values.get("account_id") else "account"
            _reject(plan, row, column, str(exc))
            continue
        values.pop("account", None)
        values.pop("account_id", None)
        _member_values(values, lookup)
        out.append((row, account_id, values))
    if several:
        shown = "; ".join(several[:5]) + (
            f"; … and {len(several) - 5:,} more" if len(several) > 5 else ""
        )
        plan.notes.append(
            f"rows naming several accounts (HubSpot's associated companies) went to the first: "
            f"{shown}"
        )
    return out


def _account_of(values: dict[str, Any], lookup: Lookup, row: _Row, several: list[str]):
    """The row's account; a cell naming several that kam does not hold as one name
    (`Hooli;Pied Piper`, as HubSpot writes a deal's associated companies, primary first)
    gives the first, said in `several`."""
    for field, known in (("account", lookup.account_by_key), ("account_id", lookup.account_by_ref)):
        text = values.get(field)
        if not text or ";" not in text:
            continue
        whole = name_key(text) if field == "account" else text.casefold()
        parts = [p.strip() for p in text.split(";") if p.strip()]
        if whole not in known and len(parts) > 1:
            values[field] = parts[0]
            several.append(f"{row.place} to {parts[0]} (not {', '.join(parts[1:])})")
    return lookup.account(values)


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
        if existing.get("external_ref"):  # the other system's id: ("ref", id)
            by_key.setdefault(("ref", existing["external_ref"].casefold()), existing)
    return by_id, by_key


def _match(
    by_id: dict[uuid.UUID, dict],
    by_key: dict[tuple, dict],
    natural: tuple,
    ident: uuid.UUID | None,
    ref: str | None = None,
) -> tuple[uuid.UUID | None, dict | None]:
    """The existing row a file row is about: by kam id if it has one, else by the id of the
    system it came from (so a renamed deal or contact is found), else by its natural key."""
    if ident is not None:
        return (ident, dict(by_id[ident])) if ident in by_id else (None, None)
    existing = by_key.get(("ref", ref.casefold())) if ref else None
    existing = existing or by_key.get(natural)
    if existing is None:
        return None, None
    before = dict(existing)
    return before.pop("id"), before


# The contact form's fields; who a contact reports to is linked after every row is written.
_CONTACT_COLUMNS = (*(f for f in CONTACT_FIELDS if f != "reports_to_id"), "external_ref")


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
        if values.get("left_on") and values["left_on"] > options.as_of:
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
        match, before = _match(by_id, by_key, natural, ident, values.get("external_ref"))
        boss = values.pop("reports_to", None)
        if before is not None and before["account_id"] != account_id:
            _reject(plan, row, "account", "this contact belongs to another account in kam")
            continue
        new_id = match or ident or names[natural]
        lookup.planned["contacts"][natural] = new_id
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
        # A negative amount is a credit note (红冲): it stands against the sales it corrects.
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
    "external_ref",
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


def _stage_disagrees(
    row: _Row, stage: OpportunityStage, values: dict[str, Any]
) -> tuple[str, str] | None:
    """The column and reason when a deal's stage is contradicted by its own row: Salesforce's
    IsClosed / IsWon beside it, or a probability only a closed deal has (an open deal at 100%
    is won, at 0% lost); None when they agree. `is_closed` and `is_won` are taken out."""
    from kam.services.pipeline.stages import CLOSED_STAGES

    closed, won = values.pop("is_closed", None), values.pop("is_won", None)
    said = f"the stage is {stage.value.replace('_', ' ')}"
    if closed is not None and closed != (stage in CLOSED_STAGES):
        return "is_closed", f"{said}, but this says the deal is {'' if closed else 'not '}closed"
    if won is not None and won != (stage == OpportunityStage.won):
        return "is_won", f"{said}, but this says the deal was {'won' if won else 'lost'}"
    probability = values.get("probability")
    if probability is None:
        return None
    if stage not in CLOSED_STAGES and probability in (0, 100):
        outcome = "won" if probability == 100 else "lost"
        return "probability", (
            f"{said}, open, but at {probability}% it is {outcome}: give its stage "
            f"({outcome}) or its odds, or leave the column out with --map COLUMN=-"
        )
    expected = 100 if stage == OpportunityStage.won else 0
    if stage in CLOSED_STAGES and probability != expected:
        return "probability", f"{said}, which is {expected}%, not {probability}%"
    return None


def _plan_opportunities(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options):
    from kam.services.pipeline.stages import CLOSED_STAGES, DEFAULT_PROBABILITY, PipelineSettings

    settings = settings_service.load(lookup.session, PipelineSettings)
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
        match, before = _match(by_id, by_key, natural, ident, values.get("external_ref"))
        stage = values.get("stage") or (before or {}).get("stage") or OpportunityStage.prospecting
        values["stage"] = stage
        problem = _stage_disagrees(row, stage, values)
        if problem:
            _reject(plan, row, *problem)
            continue
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
                or ((before or {}).get("closed_on") or options.as_of)
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
            values.get("opened_on") or (before or {}).get("opened_on") or (options.as_of)
        )
        change = Change(Opportunity, {**values, "account_id": account_id}, match)
        change.values["id"] = match or ident or uuid.uuid4()
        lookup.planned["deals"][natural] = change.values["id"]
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


_ACTIVITY_COLUMNS = (
    "occurred_on",
    "kind",
    "summary",
    "outcome",
    "sentiment",
    "follow_up_on",
    "opportunity_id",
)


LINKS = "_links"  # what a check leaves for the rows written after: an activity's people


def names_in(text: str | None) -> list[str]:
    """The names one cell gives, separated by `;` (or a line break)."""
    parts = (" ".join(p.split()) for p in (text or "").replace("\n", ";").split(";"))
    return list(dict.fromkeys(p for p in parts if p))


def _activity_check(
    values: dict[str, Any], account_id: uuid.UUID, lookup: Lookup, options: Options
):
    for name in ("summary", "outcome"):
        values[name] = values.get(name) or ""
    if values.get("sentiment") is None:
        values["sentiment"] = Sentiment.neutral
    deal = values.pop("deal", None)
    values["opportunity_id"] = lookup.named("deals", account_id, deal) if deal else None
    if deal and values["opportunity_id"] is None:
        return "deal", f"no deal {deal!r} at this account"
    if values["occurred_on"] > options.as_of:
        return "occurred_on", "cannot be later than today"
    follow = values.get("follow_up_on")
    if follow is not None and follow < values["occurred_on"]:
        return "follow_up_on", "after the contact itself"
    contact_ids = []
    for name in names_in(values.pop("contacts", None)):
        found = lookup.named("contacts", account_id, name)
        if found is None:
            return "contacts", f"no contact {name!r} at this account"
        contact_ids.append(found)
    member_ids = [lookup.member(name) for name in names_in(values.pop("with", None))]
    values[LINKS] = {"contact_ids": contact_ids, "member_ids": member_ids}
    return None


def _rows_under_accounts(
    model: type,
    columns: tuple[str, ...],
    key: Callable[[Mapping[str, Any]], tuple],
    what: Callable[[Mapping[str, Any]], str],
    check: Callable[[dict[str, Any], uuid.UUID, Lookup, Options], tuple[str, str] | None],
) -> Callable[[list[_Row], KindPlan, Lookup, Options], None]:
    """The planner of a kind of rows under an account: each row checked (`check` gives the
    field and reason of a refusal, or None, and may leave the rows it links to under LINKS),
    matched by kam id or by its natural `key`, and created, updated or refused."""

    def plan_kind(rows: list[_Row], plan: KindPlan, lookup: Lookup, options: Options) -> None:
        related = _related(rows, plan, lookup)
        ready = []
        for row, account_id, values in related:
            problem = check(values, account_id, lookup, options)
            if problem:
                _reject(plan, row, *problem)
            else:
                ready.append((row, account_id, values, values.pop(LINKS, {})))
        pairs = [(row, account_id, values) for row, account_id, values, _ in ready]
        by_id, by_key = _natural(plan, lookup, model.__table__, pairs, columns, key)
        seen: dict[tuple, int] = {}
        for row, account_id, values, links in ready:
            ident = values.pop("kam_id", None)
            natural = (account_id, *key(values))
            if natural in seen and ident is None:
                _reject(plan, row, None, f"the same as line {seen[natural]}")
                continue
            seen[natural] = row.line
            match, before = _match(by_id, by_key, natural, ident)
            change = Change(model, {**values, "account_id": account_id}, match)
            change.values["id"] = match or ident or uuid.uuid4()
            change.extra.update(links)
            _settle(plan, row, change, before, options, what(values))

    return plan_kind


def _team_check(values: dict[str, Any], account_id: uuid.UUID, lookup: Lookup, options: Options):
    values["member_id"] = lookup.member(values.pop("member"))
    return None


def _complaint_check(
    values: dict[str, Any], account_id: uuid.UUID, lookup: Lookup, options: Options
):
    values["summary"] = values.get("summary") or ""
    if values.get("severity") is None:
        values["severity"] = ComplaintSeverity.medium
    if values["opened_on"] > options.as_of:
        return "opened_on", "cannot be later than today"
    closed = values.get("closed_on")
    if closed is not None and closed < values["opened_on"]:
        return "closed_on", "before the complaint was raised"
    return None


def _score_check(values: dict[str, Any], account_id: uuid.UUID, lookup: Lookup, options: Options):
    values["comment"] = values.get("comment") or ""
    if values["surveyed_on"] > options.as_of:
        return "surveyed_on", "cannot be later than today"
    return None


def _plan_check(values: dict[str, Any], account_id: uuid.UUID, lookup: Lookup, options: Options):
    from kam.services.contact_plan import cadence

    try:
        values["rule"] = cadence.parse_cadence(values.pop("cadence", None) or "")
    except InputError as exc:
        return "cadence", str(exc).removeprefix("cadence: ")
    values["starts_on"] = values.get("starts_on") or values["next_due"]
    values["note"] = values.get("note") or ""
    values.setdefault("active", True)
    name = values.pop("contact", None)
    values["contact_id"] = lookup.named("contacts", account_id, name) if name else None
    if name and values["contact_id"] is None:
        return "contact", f"no contact {name!r} at this account"
    return None


PLANNERS = {
    "accounts": _plan_accounts,
    "contacts": _plan_contacts,
    "revenue": _plan_revenue,
    "opportunities": _plan_opportunities,
    "wallet": _plan_wallet,
    "activities": _rows_under_accounts(
        Activity, _ACTIVITY_COLUMNS,
        lambda v: (v["occurred_on"], str(v["kind"]), norm(v["summary"] or "")),
        lambda v: f"the {v['kind'].value.replace('_', ' ')} of {v['occurred_on']}",
        _activity_check,
    ),
    "team": _rows_under_accounts(
        AccountTeamMember, ("member_id", "role"),
        lambda v: (v["member_id"], str(v["role"])),
        lambda v: f"a {v['role'].value.replace('_', ' ')} of this account",
        _team_check,
    ),
    "complaints": _rows_under_accounts(
        Complaint, ("opened_on", "closed_on", "severity", "summary"),
        lambda v: (v["opened_on"], norm(v["summary"] or "")),
        lambda v: f"the complaint of {v['opened_on']}",
        _complaint_check,
    ),
    "plans": _rows_under_accounts(
        PlanItem, ("kind", "rule", "next_due", "starts_on", "contact_id", "owner_id", "active",
                   "note"),
        lambda v: (str(v["kind"]), v["rule"], v["contact_id"], norm(v["note"] or "")),
        lambda v: f"the plan of a {v['kind'].value.replace('_', ' ')} due {v['next_due']}",
        _plan_check,
    ),
    "satisfaction": _rows_under_accounts(
        SatisfactionScore, ("surveyed_on", "score", "comment"),
        lambda v: (v["surveyed_on"],),
        lambda v: f"the score of {v['surveyed_on']}",
        _score_check,
    ),
}  # fmt: skip
