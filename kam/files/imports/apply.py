"""The whole import: planned from every source, then applied in one transaction, all of it or
none of it, in chunks of inserts and updates with their history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from kam.db import serialize
from kam.errors import KamError
from kam.files.imports.cells import norm
from kam.files.imports.kinds import PLANNERS, read_rows
from kam.files.imports.lookup import Lookup
from kam.files.imports.plan import (
    MAPPINGS_KEY,
    Change,
    ImportPlan,
    KindPlan,
    Options,
    choose_header,
    header_key,
)
from kam.files.tabular import Table
from kam.models import (
    Account,
    ActivityContact,
    ActivityMember,
    ChangeRecord,
    Contact,
    Opportunity,
    OpportunityStageChange,
    Region,
    TeamMember,
    WalletCompetitor,
)
from kam.models.account import name_key
from kam.models.base import utcnow
from kam.models.enums import (
    HistorySubject,
)
from kam.schema import KINDS
from kam.services import settings as settings_service
from kam.services.history import changes

CHUNK = 1000


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
    plan = ImportPlan(skipping=options.skip_bad)
    lookup = Lookup(session, create_accounts=options.create_accounts)
    for source in sorted(sources, key=lambda s: KINDS.index(s.kind)):
        kind_plan = KindPlan(source.kind, source.table.path.name)
        plan.kinds.append(kind_plan)
        rows = read_rows(
            source.kind, source.table, kind_plan, _remembered(session, source, kind_plan, options)
        )
        source.table.rows.clear()  # read: the file's text is not needed any more
        if rows is not None:
            PLANNERS[source.kind](rows, kind_plan, lookup, options)
            rows.clear()
    plan.new_members = dict(lookup.new_members)
    plan.new_regions = dict(lookup.new_regions)
    plan.new_accounts = dict(lookup.new_accounts)
    return plan


def _remembered(session: Session, source: Source, plan: KindPlan, options: Options) -> Options:
    """With no mapping given, the one the team used the last time for these headers (the
    import screen's): said in the plan's notes."""
    if not options.remembered or options.mapping:
        return options
    saved = settings_service.get_value(session, MAPPINGS_KEY, {}) or {}
    header = choose_header(source.kind, source.table, options).header
    mapping = saved.get(header_key(source.kind, header))
    if not mapping or any(norm(c) not in {norm(h) for h in header} for c in mapping):
        return options
    shown = ", ".join(f"{c}={f}" for c, f in mapping.items())
    plan.notes.append(f"columns mapped as the last time for these headers: {shown}")
    return replace(options, mapping=mapping)


def remember_mappings(session: Session, plan: ImportPlan) -> None:
    """Keep the mapping each file was read with, for the next file with the same headers."""
    saved = dict(settings_service.get_value(session, MAPPINGS_KEY, {}) or {})
    changed = False
    for kind in plan.kinds:
        if kind.mapping and kind.header:
            key = header_key(kind.kind, kind.header)
            if saved.get(key) != kind.mapping:
                saved[key], changed = kind.mapping, True
    if changed:
        settings_service.set_value(session, MAPPINGS_KEY, saved)


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
    for name, ident in plan.new_regions.items():
        session.add(Region(id=ident, name=name, name_key=name_key(name)))
    session.flush()
    tick(len(plan.new_members) + len(plan.new_regions))
    new_accounts = [
        Change(Account, {"id": ident, "name": name, "name_key": name_key(name)})
        for name, ident in plan.new_accounts.items()
    ]
    for start in range(0, len(new_accounts), CHUNK):
        chunk = new_accounts[start : start + CHUNK]
        _insert(session, chunk, options)
        tick(len(chunk))
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
    if options.remembered:
        remember_mappings(session, plan)
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
                if name == "parent_id":  # the group by name, as the form's history has it
                    old, value = _account_name(session, old), _account_name(session, value)
                elif name in _NAMED:  # a region, a person: by name, as the form's history
                    old, value = (
                        _name_of(session, _NAMED[name], old),
                        _name_of(session, _NAMED[name], value),
                    )
                changes.record(session, subject, label, old, value, options.user)
            setattr(obj, name, change.values[name])
    session.flush()
    session.expunge_all()


_NAMED = {"region_id": Region, "owner_id": TeamMember}


def _name_of(session: Session, model: type, ident: uuid.UUID | None) -> str | None:
    found = session.get(model, ident) if ident is not None else None
    return found.name if found is not None else None


def _account_name(session: Session, account_id: uuid.UUID | None) -> str | None:
    account = session.get(Account, account_id) if account_id is not None else None
    return account.name if account is not None else None


def _link_activities(conn: sa.Connection, kind: KindPlan) -> None:
    """Who was there on both sides, written anew for each activity the file gives."""
    links = ((ActivityContact.__table__, "contact_id", "contact_ids"),
             (ActivityMember.__table__, "member_id", "member_ids"))  # fmt: skip
    for table, column, key in links:
        rows = []
        for change in [*kind.creates, *kind.updates]:
            if key not in change.extra:
                continue
            ident = change.existing or change.values["id"]
            if change.existing is not None:
                conn.execute(table.delete().where(table.c.activity_id == ident))
            rows += [{"activity_id": ident, column: other} for other in change.extra[key]]
        if rows:
            conn.execute(table.insert(), rows)


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
    if kind.kind == "activities":
        _link_activities(conn, kind)
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
