"""Keeping the data safe: backups, restoring one, checking a database, copying it to another.

Restore checks the copy before it replaces anything and keeps the file it replaces. Copy moves
every table from one database to another (a laptop's SQLite file into the team's PostgreSQL)
in one transaction on the target and compares the row counts afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

import kam.models  # noqa: F401  (every table registered in the metadata)
from kam.db import (
    SQLITE_HEADER,
    Database,
    exclusive_use,
    is_known_revision,
    open_database,
    sqlite_copy,
    sqlite_path,
)
from kam.errors import DatabaseOpenError, KamError
from kam.migrations import SCHEMA_HEAD
from kam.models import (
    Account,
    Contact,
    Opportunity,
    RevenueLine,
    WalletCompetitor,
    WalletEstimate,
)
from kam.models.account import name_key
from kam.models.enums import OPEN_STAGES, OpportunityStage
from kam.schema.sync import BOOKKEEPING
from kam.services.accounts import groups
from kam.services.values.parsing import MAX_AMOUNT_MINOR, SUM_LIMIT_MINOR

COPY_BATCH = 2000


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def default_backup_path(database: Database) -> Path:
    path = sqlite_path(database.url)
    if path is None:
        raise DatabaseOpenError("backups of a server database are the server's job (pg_dump)")
    return path.with_name(f"{path.stem}-{_stamp()}.backup.db")


def backup(database: Database, dest: Path | None) -> Path:
    target = dest or default_backup_path(database)
    if target.is_dir():
        target = target / default_backup_path(database).name
    if not target.parent.is_dir():
        raise DatabaseOpenError(f"directory does not exist: {target.parent}")
    return database.backup_to(target)


# --- checking a file before it is trusted ---------------------------------------------------


def inspect_copy(path: Path) -> str:
    """The schema revision of a kam database file, after its integrity and references are
    checked; raises with what is wrong."""
    if not path.exists():
        raise DatabaseOpenError(f"no such file: {path}")
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a directory, not a database file")
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DatabaseOpenError(f"not a kam database (not an SQLite file): {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if integrity != ["ok"]:
                raise DatabaseOpenError(f"{path} is damaged: {integrity[0]}")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseOpenError(f"{path} has {len(broken)} broken references")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise DatabaseOpenError(f"not a kam database (no schema version): {path}")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseOpenError(f"{path} is not a readable database ({exc})") from None
    if revision is None or not is_known_revision(revision[0]):
        found = revision[0] if revision else "none"
        raise DatabaseOpenError(f"{path} was written by a newer kam (schema {found})")
    return revision[0]


def restore(source: Path, target: Path) -> Path | None:
    """Replace the database at `target` with the backup `source`, after checking the backup.
    The replaced file is kept beside it; returns its path (None if there was none)."""
    inspect_copy(source)
    if source.resolve() == target.resolve():
        raise KamError("the backup and the database are the same file")
    if not target.parent.is_dir():
        raise DatabaseOpenError(f"directory does not exist: {target.parent}")
    with exclusive_use(target):
        return _replace(source, target)


def _replace(source: Path, target: Path) -> Path | None:
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".restore", dir=target.parent
    )
    os.close(fd)
    temp = Path(temp_name)
    os.chmod(temp, 0o600)
    try:
        _sqlite_copy(source, temp)
        kept = None
        if target.exists():
            kept = target.with_name(f"{target.name}.replaced-{_stamp()}.bak")
            _checkpoint(target)
            _sqlite_copy(target, kept)
        os.replace(temp, target)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return kept


def _sqlite_copy(source: Path, dest: Path) -> None:
    sqlite_copy(source, dest)
    os.chmod(dest, 0o600)


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file; refuse if kam is writing to it right now."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseOpenError(f"cannot read the current database {path} ({exc})") from None
    finally:
        conn.close()
    if busy:
        raise DatabaseOpenError(f"{path} is in use; close kam on it before restoring")


# --- kam check ------------------------------------------------------------------------------


@dataclass
class CheckReport:
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, found: list[str], detail: str) -> None:
        if not found:
            self.passed.append(what)
            return
        sample = "; ".join(found[:5]) + (f"; … and {len(found) - 5} more" if len(found) > 5 else "")
        self.problems.append(f"{what}: {len(found)} {detail}: {sample}")

    def describe(self) -> str:
        lines = [f"ok       {p}" for p in self.passed]
        lines += [f"PROBLEM  {p}" for p in self.problems]
        verdict = "no problems found" if not self.problems else f"{len(self.problems)} problems"
        return "\n".join([*lines, verdict]) + "\n"


def check(database: Database) -> CheckReport:
    report = CheckReport()
    with database.read() as session:
        conn = session.connection()
        if database.is_sqlite:
            integrity = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            report.add(
                "database integrity (SQLite integrity_check)",
                [] if integrity == ["ok"] else integrity,
                "faults",
            )
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            report.add(
                "references between rows (foreign_key_check)",
                [f"{r[0]} row {r[1]} -> {r[2]}" for r in broken],
                "broken references",
            )
            not_utf8 = _text_not_utf8(conn.connection.driver_connection)
            report.add("text encoding (UTF-8)", not_utf8, "values that are not UTF-8 text")
            if not_utf8:  # kam's own checks would stop on the first of them
                return report
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        report.add(
            "schema version",
            [] if revision == SCHEMA_HEAD else [f"{revision}, expected {SCHEMA_HEAD}"],
            "mismatch",
        )
        _consistency(session, report)
    return report


def _text_not_utf8(raw: sqlite3.Connection) -> list[str]:
    """Text that is not UTF-8, which kam never writes but another program may have: SQLite
    keeps it as it came, and reading it fails. Each value named by table, column and row."""
    found = []
    cursor = raw.cursor()
    previous, raw.text_factory = raw.text_factory, bytes
    try:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                stored = getattr(column.type, "impl", column.type)  # under a TypeDecorator
                if not isinstance(stored, sa.String):
                    continue
                # Only values with a byte beyond printable ASCII can be wrong: those few are
                # read as bytes and tried.
                key = "id" if "id" in table.columns else "rowid"
                rows = cursor.execute(
                    f'SELECT {key}, "{column.name}" FROM "{table.name}" '
                    f"WHERE \"{column.name}\" GLOB '*[^ -~]*'"
                )
                for row_key, value in rows:
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        shown = value.decode("utf-8", "replace")[:40]
                        where = (
                            f"id {uuid.UUID(row_key.decode())}" if key == "id" else f"row {row_key}"
                        )
                        found.append(f"{table.name}.{column.name} {where}: {shown!r}")
    finally:
        raw.text_factory = previous
        cursor.close()
    return found


def _consistency(session: Session, report: CheckReport) -> None:
    conn = session.connection()
    acct = Account.__table__
    wrong_keys = [
        name
        for name, key in conn.execute(sa.select(acct.c.name, acct.c.name_key))
        if name_key(name) != key
    ]
    report.add("account name keys", wrong_keys, "accounts whose search key is out of date")
    report.add(
        "account groups (no account part of itself)",
        groups.in_loops(session),
        "accounts in a loop of groups (set one's Part of again)",
    )
    no_reason = conn.execute(
        sa.select(acct.c.name).where(
            acct.c.tier_override.is_not(None),
            sa.func.coalesce(sa.func.trim(acct.c.tier_override_reason), "") == "",
        )
    ).scalars()
    report.add("tier overrides", list(no_reason), "tiers set by hand without a reason")
    contact = Contact.__table__
    boss = contact.alias("boss")
    cross = conn.execute(
        sa.select(contact.c.name, boss.c.name)
        .join(boss, boss.c.id == contact.c.reports_to_id)
        .where(boss.c.account_id != contact.c.account_id)
    )
    report.add(
        "reporting lines",
        [f"{a} reports to {b} of another account" for a, b in cross],
        "contacts reporting across accounts",
    )
    bosses = dict(
        conn.execute(
            sa.select(contact.c.id, contact.c.reports_to_id).where(
                contact.c.reports_to_id.is_not(None)
            )
        ).all()
    )
    report.add("reporting loops", _loops(bosses), "contacts in a reporting loop")
    deal = Opportunity.__table__
    closed = [OpportunityStage.won.value, OpportunityStage.lost.value]
    bad_deals = conn.execute(
        sa.select(deal.c.title).where(
            sa.or_(
                sa.and_(deal.c.stage.in_(closed), deal.c.closed_on.is_(None)),
                sa.and_(
                    deal.c.stage.in_([s.value for s in OPEN_STAGES]), deal.c.closed_on.is_not(None)
                ),
                sa.and_(deal.c.stage == OpportunityStage.won.value, deal.c.probability != 100),
                sa.and_(deal.c.stage == OpportunityStage.lost.value, deal.c.probability != 0),
                sa.and_(
                    deal.c.stage.in_([s.value for s in OPEN_STAGES]),
                    deal.c.probability_overridden.is_(True),
                    deal.c.probability.in_([0, 100]),
                ),
            )
        )
    ).scalars()
    report.add(
        "deal stages",
        list(bad_deals),
        "deals whose stage, close date and probability disagree",
    )
    report.add("amounts", _oversized(conn), "money columns beyond what sums can hold")
    comp = WalletCompetitor.__table__
    over = conn.execute(
        sa.select(comp.c.estimate_id)
        .group_by(comp.c.estimate_id)
        .having(sa.func.sum(comp.c.share) > 1.0001)
    ).scalars()
    report.add(
        "competitor shares", [str(e) for e in over], "wallet estimates whose shares pass 100%"
    )


def _oversized(conn: sa.Connection) -> list[str]:
    """Money columns holding a figure beyond one amount's bound, or whose sum passes a 64-bit
    integer (on SQLite every report would stop on "integer overflow"). Summed as floats,
    which cannot overflow."""
    found = []
    for table, column in (
        (RevenueLine.__table__, "amount_minor"),
        (RevenueLine.__table__, "cost_minor"),
        (Opportunity.__table__, "amount_minor"),
        (WalletEstimate.__table__, "total_spend_minor"),
    ):
        values = table.c[column]
        biggest, total = conn.execute(
            sa.select(sa.func.max(sa.func.abs(values)), sa.func.sum(sa.cast(values, sa.Float)))
        ).one()
        if biggest is not None and biggest > MAX_AMOUNT_MINOR:
            found.append(f"{table.name}.{column}: a figure of {biggest / 100:,.0f}")
        if total is not None and abs(total) > SUM_LIMIT_MINOR:
            found.append(f"{table.name}.{column}: the sum passes what reports can add up")
    return found


def _loops(bosses: dict) -> list[str]:
    found: set = set()
    for start in bosses:
        seen = {start}
        current = bosses.get(start)
        while current is not None and current not in found:
            if current in seen:
                found.add(start)
                break
            seen.add(current)
            current = bosses.get(current)
    return [str(c) for c in sorted(found, key=str)]


# --- kam copy -------------------------------------------------------------------------------


def copy_database(
    source: Database, target_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Every row of every table from `source` into the empty kam database at `target_url`, in
    one transaction on the target; returns the row counts, checked on both sides."""
    if target_url == source.url:
        raise KamError("the target is the database being copied")
    target = open_database(target_url)
    try:
        with target.read() as session:
            filled = [
                t.name
                for t in SQLModel.metadata.sorted_tables
                if session.connection().execute(sa.select(sa.func.count()).select_from(t)).scalar()
            ]
        if filled:
            raise KamError(
                f"{target.display_name} holds data already ({', '.join(filled[:3])}…); "
                "copy into an empty database"
            )
        counts: dict[str, int] = {}
        # A laptop's record of its sync stays with it: the copy is a database of its own.
        tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in BOOKKEEPING]
        with source.read() as reading, target.write() as writing:
            src, dst = reading.connection(), writing.connection()
            for table in tables:
                counts[table.name] = copy_table(src, dst, table, progress)
        with target.read() as session:
            for table in tables:
                got = (
                    session.connection()
                    .execute(sa.select(sa.func.count()).select_from(table))
                    .scalar()
                )
                if got != counts[table.name]:
                    raise KamError(
                        f"copy check failed: {table.name} has {got} rows, expected "
                        f"{counts[table.name]}"
                    )
    finally:
        target.dispose()
    return counts


def copy_table(
    src: sa.Connection,
    dst: sa.Connection,
    table: sa.Table,
    progress: Callable[[str, int], None] | None,
) -> int:
    # A column pointing into its own table (who a contact reports to) is filled in after every
    # row is there, so the order rows arrive in does not matter.
    later = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    copied = 0
    result = src.execution_options(yield_per=COPY_BATCH).execute(sa.select(table))
    deferred: list[dict] = []
    for batch in result.partitions():
        rows = [dict(r._mapping) for r in batch]
        for row in rows:
            for name in later:
                if row[name] is not None:
                    deferred.append(
                        {"_id": row["id"], "_v": row[name], "_c": name, "_u": row.get("updated_at")}
                    )
                    row[name] = None
        dst.execute(table.insert(), rows)
        copied += len(rows)
        if progress is not None:
            progress(table.name, copied)
    for name in later:
        pairs = [d for d in deferred if d["_c"] == name]
        values = {name: sa.bindparam("_v")}
        if "updated_at" in table.c:  # keep it: an update would stamp the time of the copy
            values["updated_at"] = sa.bindparam("_u")
        if pairs:
            update = table.update().where(table.c.id == sa.bindparam("_id")).values(values)
            dst.execute(update, pairs)
    return copied
