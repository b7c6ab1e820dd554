"""Exporting accounts, contacts, revenue, deals and wallet estimates to CSV, JSON or .xlsx.

The columns are the import's field names, so what export writes, import reads back to the same
data. Rows are streamed from the database a batch at a time. Rows of archived accounts are not
exported.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.files.imports import KINDS
from kam.files.tabular import (
    FileProblem,
    XlsxWriter,
    private_file,
    write_csv,
    write_json_rows,
)
from kam.models import (
    Account,
    Contact,
    Opportunity,
    RevenueLine,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import PeriodKind
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


def _accounts() -> tuple[list[str], sa.Select]:
    a = _acct.c
    header = [
        "kam_id", "name", "external_ref", "industry", "region", "owner", "status",
        "relationship_stage", "relationship_horizon", "relationship_type", "buying_factor",
        "strategic", "emerging", "tier_override", "tier_override_reason", "customer_since",
        "annual_revenue", "notes",
    ]  # fmt: skip
    query = (
        sa.select(
            a.id,
            a.name,
            a.external_ref,
            a.industry,
            a.region,
            _owner(a.owner_id),
            a.status,
            a.relationship_stage,
            a.relationship_horizon,
            a.relationship_type,
            a.buying_factor,
            a.strategic,
            a.emerging,
            a.tier_override,
            a.tier_override_reason,
            a.customer_since,
            a.annual_revenue_minor,
            a.notes,
        )
        .where(_live)
        .order_by(a.name_key, a.id)
    )
    return header, query


def _contacts() -> tuple[list[str], sa.Select]:
    c = Contact.__table__.c
    boss = Contact.__table__.alias("boss")
    header = [
        "kam_id", "account", "account_id", "name", "title", "department", "email", "phone",
        "buying_role", "attitude", "influence", "strength", "reports_to", "owner", "left_on",
        "notes",
    ]  # fmt: skip
    query = (
        sa.select(
            c.id,
            _acct.c.name,
            c.account_id,
            c.name,
            c.title,
            c.department,
            c.email,
            c.phone,
            c.buying_role,
            c.attitude,
            c.influence,
            c.strength,
            sa.select(boss.c.name).where(boss.c.id == c.reports_to_id).scalar_subquery(),
            _owner(c.owner_id),
            c.left_on,
            c.notes,
        )
        .join_from(Contact.__table__, _acct, _acct.c.id == c.account_id)
        .where(_live)
        .order_by(_acct.c.name_key, c.account_id, c.name, c.id)
    )
    return header, query


def _revenue() -> tuple[list[str], sa.Select]:
    r = RevenueLine.__table__.c
    header = ["kam_id", "account", "account_id", "booked_on", "category", "amount", "cost"]
    query = (
        sa.select(
            r.id, _acct.c.name, r.account_id, r.booked_on, r.category, r.amount_minor, r.cost_minor
        )
        .join_from(RevenueLine.__table__, _acct, _acct.c.id == r.account_id)
        .where(_live)
        .order_by(r.account_id, r.booked_on, r.id)
    )
    return header, query


def _opportunities() -> tuple[list[str], sa.Select]:
    o = Opportunity.__table__.c
    header = [
        "kam_id", "account", "account_id", "title", "category", "amount", "stage",
        "probability", "expected_close", "impact_months", "buying_factor", "next_step",
        "next_step_due", "owner", "close_reason", "opened_on", "closed_on",
    ]  # fmt: skip
    query = (
        sa.select(
            o.id,
            _acct.c.name,
            o.account_id,
            o.title,
            o.category,
            o.amount_minor,
            o.stage,
            o.probability,
            o.expected_close,
            o.impact_months,
            o.buying_factor,
            o.next_step,
            o.next_step_due,
            _owner(o.owner_id),
            o.close_reason,
            o.opened_on,
            o.closed_on,
        )
        .join_from(Opportunity.__table__, _acct, _acct.c.id == o.account_id)
        .where(_live)
        .order_by(_acct.c.name_key, o.account_id, o.opened_on, o.id)
    )
    return header, query


def _wallet() -> tuple[list[str], sa.Select]:
    w = WalletEstimate.__table__.c
    header = [
        "kam_id", "account", "account_id", "category", "period", "total_spend",
        "customer_growth", "competitors", "notes",
    ]  # fmt: skip
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


_QUERIES = {
    "accounts": _accounts,
    "contacts": _contacts,
    "revenue": _revenue,
    "opportunities": _opportunities,
    "wallet": _wallet,
}


def header(kind: str) -> list[str]:
    return _QUERIES[kind]()[0]


def rows(session: Session, kind: str, *, for_json: bool = False) -> Iterator[list[Any]]:
    """The rows of one kind as plain values, a batch at a time."""
    _header, query = _QUERIES[kind]()
    money = [
        i
        for i, column in enumerate(query.selected_columns)
        if str(getattr(column, "key", "")).endswith("_minor")
    ]
    result = session.connection().execution_options(yield_per=BATCH).execute(query)
    for batch in result.partitions():
        competitors = competitors_of(session, [r[0] for r in batch]) if kind == "wallet" else {}
        for raw in batch:
            row = list(raw)
            for i in money:
                row[i] = _money(row[i])
                if for_json and row[i] is not None:
                    row[i] = float(row[i])
            if kind == "wallet":
                row = _wallet_row(row, competitors.get(row[0], []))
            yield [_plain(v) for v in row]


def _wallet_row(row: list[Any], competitors: list[tuple[str, float]]) -> list[Any]:
    from kam.services.wallet.share_of_wallet import competitors_text

    ident, account, account_id, category, kind, start, spend, growth, notes = row
    period = Period(start, PeriodKind(kind)).label
    growth_text = None if growth is None else f"{growth * 100:g}%"
    return [ident, account, account_id, category, period, spend, growth_text,
            competitors_text(competitors), notes]  # fmt: skip


def export(session: Session, kinds: list[str], fmt: str, path: Path | None, out=None) -> dict:
    """Write `kinds` as `fmt` to `path` (a folder for several CSVs) or to the text stream
    `out`. Returns the number of rows written per kind."""
    counts: dict[str, int] = {}
    if fmt == "xlsx":
        if path is None:
            raise FileProblem("an .xlsx export needs a file: -o FILE.xlsx")
        book = XlsxWriter()
        for kind in kinds:
            counts[kind] = book.sheet(kind, header(kind), rows(session, kind))
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
    if len(kinds) > 1:
        if path is None:
            raise FileProblem("exporting everything as CSV needs a folder: -o FOLDER")
        if path.exists() and not path.is_dir():
            raise FileProblem(f"{path} exists and is not a folder")
        if not path.parent.is_dir():
            raise FileProblem(f"directory does not exist: {path.parent}")
        path.mkdir(mode=0o700, exist_ok=True)
        for kind in kinds:
            with private_file(path / f"{kind}.csv") as stream:
                counts[kind] = write_csv(stream, header(kind), rows(session, kind))
        return counts
    kind = kinds[0]
    if path is None:
        counts[kind] = write_csv(out, header(kind), rows(session, kind))
        return counts
    with private_file(path) as stream:
        counts[kind] = write_csv(stream, header(kind), rows(session, kind))
    return counts


def kinds_for(what: str) -> list[str]:
    return list(KINDS) if what == "all" else [what]
