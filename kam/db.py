"""Engines, connection pragmas, sessions and schema versions.

SQLite is opened in WAL mode with `synchronous=FULL` (a saved edit survives a power cut),
foreign keys on for every connection, a busy timeout, and `BEGIN IMMEDIATE` for write
transactions so that two processes queue for the lock instead of failing on upgrade.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from kam.errors import DatabaseOpenError
from kam.migrations import SCHEMA_HEAD

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
# How long a write waits for another process's write (a long import) before it gives up.
WRITE_WAIT_S = 120.0
WRITE_OPTION = "kam_write"


def sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's "begin" hook below issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _on_sqlite_begin(conn: sa.Connection) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    if sqlite_path(url) is not None or url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseOpenError(f"cannot use database URL {url!r}: {exc}") from None
    except ModuleNotFoundError as exc:
        raise DatabaseOpenError(
            f"the driver for {url.split(':', 1)[0]} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'kam[postgres]'"
        ) from None


def _check_sqlite_file(path: Path, *, create: bool) -> None:
    """Refuse, with one line, what SQLite would only fail on later or half-way."""
    if not path.parent.is_dir():
        raise DatabaseOpenError(f"directory does not exist: {path.parent}")
    if not path.exists():
        if not create:
            raise DatabaseOpenError(f"no database at {path}")
        if not os.access(path.parent, os.W_OK):
            raise DatabaseOpenError(
                f"cannot create a database in read-only directory {path.parent}"
            )
        # Customer data: readable by its owner only.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a directory, not a database file")
    if not os.access(path, os.R_OK):
        raise DatabaseOpenError(f"database file is not readable: {path}")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseOpenError(f"database file is read-only: {path}")
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise DatabaseOpenError(f"not a kam database (not an SQLite file): {path}")


class Database:
    """An open, migrated kam database: the engine and the way to get sessions from it."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def display_name(self) -> str:
        path = sqlite_path(self.url)
        return str(path) if path else sa.engine.make_url(self.url).render_as_string()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; one per user action or worker, never shared across threads."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed at the end or rolled back whole on any error."""
        with Session(self._write_engine, expire_on_commit=False) as session:
            self._take_write_lock(session)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _take_write_lock(self, session: Session) -> None:
        """Begin the transaction now, waiting for another writer as long as it takes (up to
        WRITE_WAIT_S), so "database is locked" never reaches the user half-way through."""
        if not self.is_sqlite:
            return
        deadline = time.monotonic() + WRITE_WAIT_S
        while True:
            try:
                session.connection()
                return
            except OperationalError as exc:
                session.rollback()
                text = str(exc.orig).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                    message = describe_database_error(exc, self.display_name)
                    raise DatabaseOpenError(message) from None
                time.sleep(0.05)

    def backup_to(self, dest: Path) -> Path:
        """A consistent copy of a SQLite database while it is in use (VACUUM INTO)."""
        if not self.is_sqlite:
            raise DatabaseOpenError("backups of a server database are the server's job (pg_dump)")
        if dest.exists():
            raise DatabaseOpenError(f"backup target exists already: {dest}")
        os.close(os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        raw = self.engine.raw_connection()
        try:
            target = sqlite3.connect(dest)
            try:
                raw.driver_connection.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        finally:
            raw.close()
        return dest

    def dispose(self) -> None:
        self.engine.dispose()


def _schema_revision(conn: sa.Connection) -> tuple[str | None, bool]:
    """(revision, has_other_tables) of what is in the database now."""
    tables = set(sa.inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        return None, bool(tables)
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return revision, True


def upgrade_schema(engine: Engine, target: str = "head") -> None:
    """Run the migrations up to `target` in one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # SQLite changes a table by rebuilding it; with foreign keys on, dropping the
            # old table would fire ON DELETE actions on the rows that refer to it. The
            # references are checked after the migration instead.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, target)
        finally:
            conn.invalidate()  # never hand a connection with foreign keys off to the pool


def _check_after_migration(conn: sa.Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar()
    if problems or integrity != "ok":
        raise DatabaseOpenError(
            f"database check after migration failed ({len(problems)} broken references, "
            f"integrity: {integrity}); the backup taken before migrating is untouched"
        )


def open_database(url: str, *, create: bool = True) -> Database:
    """Open a kam database, creating or migrating its schema; never drops data.

    Raises DatabaseOpenError with a one-line reason for anything that is not a usable kam
    database: a missing directory, a read-only or foreign or corrupt file, a newer schema.
    """
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path, create=create)
    engine = make_engine(url)
    database = Database(engine, url)
    try:
        with engine.connect() as conn:
            revision, has_tables = _schema_revision(conn)
        if revision == SCHEMA_HEAD:
            return database
        if revision is None and has_tables:
            raise DatabaseOpenError(
                f"not a kam database (it holds other tables): {database.display_name}"
            )
        if revision is not None and not _is_known_revision(revision):
            raise DatabaseOpenError(
                f"{database.display_name} was written by a newer kam (schema {revision}); "
                "upgrade kam to open it"
            )
        if revision is not None and path is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            database.backup_to(path.with_name(f"{path.name}.schema-{revision}-{stamp}.bak"))
        upgrade_schema(engine)
        with engine.connect() as conn:
            _check_after_migration(conn)
    except DatabaseOpenError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DatabaseOpenError(describe_database_error(exc, database.display_name)) from None
    return database


def _is_known_revision(revision: str) -> bool:
    versions = Path(__file__).parent / "migrations" / "versions"
    return any(p.name.startswith(f"{revision}_") for p in versions.glob("*.py"))


def describe_database_error(exc: Exception, where: str) -> str:
    """One line for a driver error, naming the database."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return f"database is corrupt or not a kam database: {where} ({text})"
    if "locked" in lowered or "busy" in lowered:
        return f"database is locked by another program: {where} ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"database is read-only: {where}"
    if "unable to open" in lowered:
        return f"cannot open database file: {where}"
    return f"database error on {where}: {text}"
