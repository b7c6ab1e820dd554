"""Exporting accounts, contacts, revenue, deals and wallet estimates to CSV, JSON or .xlsx.

The columns are the import's field names, so what export writes, import reads back to the same
data. Rows are streamed from the database a batch at a time. Rows of archived accounts are not
exported.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam import schema
from kam.files.tabular import (
    FileProblem,
    XlsxWriter,
    private_file,
    write_csv,
    write_json_rows,
)
from kam.models import (
    Account,
    Activity,
    ActivityContact,
    ActivityMember,
    Contact,
    Opportunity,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import PeriodKind
from kam.schema import KINDS, Entity, Field
from kam.services.accounts import regions
from kam.services.values.periods import Period
from kam.services.wallet.share_of_wallet import competitors_of

FORMATS = ("csv", "json", "xlsx")
BATCH = 2000

_acct = Account.__table__
_member = TeamMember.__table__
_live = _acct.c.archived_at.is_(None)


def _money(minor: int | None) -> Decimal | None:
    return None if minor is None else Decimal(minor).scaleb(-2)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or isinstance(value, (int, str, Decimal)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _owner(column: sa.ColumnElement) -> sa.ScalarSelect:
    return sa.select(_member.c.name).where(_member.c.id == column).scalar_subquery()


def _column(f: Field, table: sa.Table) -> sa.ColumnElement:
    """What export writes under one declared field."""
    c = table.c
    if f.kind == "id":
        return c.id
    if f.kind == "account" and f.attr is not None and f.attr != "account_id":
        other = _acct.alias("other")  # another account this row names (its group), by name
        return sa.select(other.c.name).where(other.c.id == c[f.attr]).scalar_subquery()
    if f.kind == "account":
        return _acct.c.name
    if f.kind == "ref":
        return c.account_id
    if f.kind == "member":
        return _owner(c[f.attr])
    if f.kind == "region":
        return regions.region_name_of(c[f.attr])
    if f.kind == "contact":  # a contact of the account (whom a contact reports to), by name
        other = Contact.__table__.alias("other_contact")
        return sa.select(other.c.name).where(other.c.id == c[f.attr]).scalar_subquery()
    return c[f.attr]


def _declared(entity: Entity, *order: str) -> tuple[list[str], sa.Select]:
    """The export of an entity whose every column is a declared field, in its order."""
    table = entity.model.__table__  # type: ignore[attr-defined]
    fields = [f for f in entity.fields if f.exported]
    query = sa.select(*(_column(f, table) for f in fields)).where(_live)
    if table is not _acct:
        query = query.join_from(table, _acct, _acct.c.id == table.c.account_id)
    keys = [_acct.c.name_key if o == "account" else table.c[o] for o in order]
    return [f.name for f in fields], query.order_by(*keys, table.c.id)


def _accounts() -> tuple[list[str], sa.Select]:
    return _declared(schema.ACCOUNT, "name_key")


def _contacts() -> tuple[list[str], sa.Select]:
    return _declared(schema.CONTACT, "account", "account_id", "name")


def _revenue() -> tuple[list[str], sa.Select]:
    return _declared(schema.REVENUE, "account_id", "booked_on")


def _opportunities() -> tuple[list[str], sa.Select]:
    return _declared(schema.DEAL, "account", "account_id", "opened_on")


def _wallet() -> tuple[list[str], sa.Select]:
    w = WalletEstimate.__table__.c
    header = schema.WALLET.export_header  # period and competitors are written by _wallet_row
    query = (
        sa.select(
            w.id,
            _acct.c.name,
            w.account_id,
            w.category,
            w.period_kind,
            w.period_start,
            w.total_spend_minor,
            w.customer_growth,
            w.notes,
        )
        .join_from(WalletEstimate.__table__, _acct, _acct.c.id == w.account_id)
        .where(_live)
        .order_by(_acct.c.name_key, w.account_id, w.category, w.period_start, w.id)
    )
    return header, query


def _activities() -> tuple[list[str], sa.Select]:
    a = Activity.__table__.c
    deal = Opportunity.__table__
    title = sa.select(deal.c.title).where(deal.c.id == a.opportunity_id).scalar_subquery()
    query = (
        sa.select(
            a.id, _acct.c.name, a.account_id, a.occurred_on, a.kind, a.summary, a.outcome,
            a.sentiment, a.follow_up_on, title,
        )
        .join_from(Activity.__table__, _acct, _acct.c.id == a.account_id)
        .where(_live)
        .order_by(_acct.c.name_key, a.account_id, a.occurred_on, a.id)
    )  # fmt: skip
    return schema.ACTIVITY.export_header, query


def _people_of(session: Session, ids: list) -> tuple[dict, dict]:
    """activity id -> the names of its contacts and of our people there, `; ` between."""
    contact, member = Contact.__table__, TeamMember.__table__
    link_c, link_m = ActivityContact.__table__, ActivityMember.__table__
    found: tuple[dict, dict] = ({}, {})
    for out, link, other, column in (
        (found[0], link_c, contact, link_c.c.contact_id),
        (found[1], link_m, member, link_m.c.member_id),
    ):
        rows = session.connection().execute(
            sa.select(link.c.activity_id, other.c.name)
            .join(other, other.c.id == column)
            .where(link.c.activity_id.in_(ids))
            .order_by(link.c.activity_id, other.c.name)
        )
        for ident, name in rows:
            out.setdefault(ident, []).append(name)
    return (
        {k: "; ".join(v) for k, v in found[0].items()},
        {k: "; ".join(v) for k, v in found[1].items()},
    )


def _team() -> tuple[list[str], sa.Select]:
    return _declared(schema.TEAM, "account", "account_id", "role")


def _complaints() -> tuple[list[str], sa.Select]:
    return _declared(schema.COMPLAINT, "account", "account_id", "opened_on")


def _plans() -> tuple[list[str], sa.Select]:
    return _declared(schema.PLAN, "account", "account_id", "next_due")


def _satisfaction() -> tuple[list[str], sa.Select]:
    return _declared(schema.SATISFACTION, "account", "account_id", "surveyed_on")


_QUERIES = {
    "accounts": _accounts,
    "contacts": _contacts,
    "revenue": _revenue,
    "opportunities": _opportunities,
    "wallet": _wallet,
    "activities": _activities,
    "team": _team,
    "complaints": _complaints,
    "satisfaction": _satisfaction,
    "plans": _plans,
}


def header(kind: str) -> list[str]:
    return _QUERIES[kind]()[0]


def kinds_of(kind: str) -> list[str]:
    """The field kind (date, money, ...) of each column an export of `kind` writes."""
    return [f.kind for f in schema.ENTITIES[kind].fields if f.exported]


def rows(
    session: Session, kind: str, *, for_json: bool = False, typed: bool = False
) -> Iterator[list[Any]]:
    """The rows of one kind as plain values, a batch at a time; `typed` keeps dates as dates
    (for a workbook)."""
    _header, query = _QUERIES[kind]()
    money = [
        i
        for i, column in enumerate(query.selected_columns)
        if str(getattr(column, "key", "")).endswith("_minor")
    ]
    shape = _SHAPES.get(kind)
    result = session.connection().execution_options(yield_per=BATCH).execute(query)
    for batch in result.partitions():
        rows_read = []
        for raw in batch:
            row = list(raw)
            for i in money:
                row[i] = _money(row[i])
                if for_json and row[i] is not None:
                    row[i] = float(row[i])
            rows_read.append(row)
        for row in shape(session, rows_read) if shape else rows_read:
            yield [v if typed and isinstance(v, date) else _plain(v) for v in row]


def _wallet_rows(session: Session, batch: list[list[Any]]) -> list[list[Any]]:
    """Estimates with their period in words and their competitors, read for the batch."""
    competitors = competitors_of(session, [r[0] for r in batch])
    return [_wallet_row(row, competitors.get(row[0], [])) for row in batch]


def _activity_rows(session: Session, batch: list[list[Any]]) -> list[list[Any]]:
    """Activities with who was there on both sides (before the deal), read for the batch."""
    contacts, members = _people_of(session, [r[0] for r in batch])
    return [[*r[:9], contacts.get(r[0]), members.get(r[0]), r[9]] for r in batch]


# Kinds whose rows are finished with what other tables hold, a batch at a time.
_SHAPES = {"wallet": _wallet_rows, "activities": _activity_rows}


def _wallet_row(row: list[Any], competitors: list[tuple[str, float]]) -> list[Any]:
    from kam.services.wallet.share_of_wallet import competitors_text

    ident, account, account_id, category, kind, start, spend, growth, notes = row
    period = Period(start, PeriodKind(kind)).label
    growth_text = None if growth is None else f"{growth * 100:g}%"
    return [ident, account, account_id, category, period, spend, growth_text,
            competitors_text(competitors), notes]  # fmt: skip


def export(
    session: Session,
    kinds: list[str],
    fmt: str,
    path: Path | None,
    out=None,
    *,
    bom: bool = False,
) -> dict:
    """Write `kinds` as `fmt` to `path` (a folder for several CSVs) or to the stream `out`
    (bytes for .xlsx, text otherwise); `bom` starts each CSV with a byte-order mark. Returns
    the number of rows written per kind."""
    counts: dict[str, int] = {}
    if fmt == "xlsx":
        book = XlsxWriter()
        for kind in kinds:
            counts[kind] = book.sheet(
                kind, header(kind), rows(session, kind, typed=True), kinds_of(kind)
            )
        if path is None:
            book.write(out)
        else:
            book.save(path)
        return counts
    if fmt == "json":

        def write_json(stream) -> None:
            stream.write("{")
            for n, kind in enumerate(kinds):
                stream.write(f'{"," if n else ""}\n"{kind}": ')
                counts[kind] = write_json_rows(
                    stream, header(kind), rows(session, kind, for_json=True)
                )
            stream.write("\n}\n")

        if path is None:
            write_json(out)
        else:
            with private_file(path) as stream:
                write_json(stream)
        return counts
    mark = "\ufeff" if bom else ""
    if len(kinds) > 1:
        if path is None:
            raise FileProblem(
                "everything as CSV is a file per kind: -o FOLDER, or --format json or xlsx "
                "for standard output"
            )
        if path.exists() and not path.is_dir():
            raise FileProblem(f"{path} exists and is not a folder")
        if not path.parent.is_dir():
            raise FileProblem(f"directory does not exist: {path.parent}")
        path.mkdir(mode=0o700, exist_ok=True)
        for kind in kinds:
            with private_file(path / f"{kind}.csv") as stream:
                stream.write(mark)
                counts[kind] = write_csv(stream, header(kind), rows(session, kind))
        return counts
    kind = kinds[0]
    if path is None:
        out.write(mark)
        counts[kind] = write_csv(out, header(kind), rows(session, kind))
        return counts
    with private_file(path) as stream:
        stream.write(mark)
        counts[kind] = write_csv(stream, header(kind), rows(session, kind))
    return counts


def kinds_for(what: str) -> list[str]:
    return list(KINDS) if what == "all" else [what]
