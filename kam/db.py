"""Engines, connection pragmas, sessions and schema versions.

SQLite is opened in WAL mode with `synchronous=FULL` (a saved edit survives a power cut),
foreign keys on for every connection, a busy timeout, and `BEGIN IMMEDIATE` for write
transactions so that two processes queue for the lock instead of failing on upgrade.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import tempfile
import time
import weakref
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

from kam.errors import DatabaseOpenError, KamError, ReadOnlyError
from kam.migrations import SCHEMA_HEAD

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
# How long a write waits for another process's write (a long import) before it gives up.
WRITE_WAIT_S = 120.0
WRITE_OPTION = "kam_write"


POSTGRES_DRIVER = "postgresql+psycopg"


def masked(url: str) -> str:
    """`url` with its password hidden, however the URL is malformed: for every message."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: hide what stands between : and @
        return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def parse_url(url: str) -> sa.engine.URL:
    """The URL as SQLAlchemy reads it, or DatabaseOpenError naming what is wrong (password
    hidden). `postgres://` and `postgresql://` mean the PostgreSQL driver kam installs."""
    try:
        parsed = sa.engine.make_url(url)
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername=POSTGRES_DRIVER)
        parsed.port  # noqa: B018 (a port that is not a number fails here, not later)
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise DatabaseOpenError(f"not a database URL: {masked(url)} ({exc})") from None
    return parsed


def sqlite_path(url: str) -> Path | None:
    parsed = parse_url(url)
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


def make_engine(url: str, *, connect_timeout: int | None = None) -> Engine:
    """An engine for `url`; `connect_timeout` (seconds) bounds how long reaching a server may
    take (a laptop that may be offline)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.query:
            raise DatabaseOpenError(
                f"a SQLite URL takes no options ({', '.join(parsed.query)}): {masked(url)}"
            )
        engine = sa.create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        # UTF-8 on the wire whatever the server's default, so that even a database that
        # stores something else can be named as such (see _check_server_encoding).
        connect_args: dict[str, Any] = {"client_encoding": "utf8"}
        if connect_timeout is not None:
            connect_args["connect_timeout"] = connect_timeout
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError, TypeError) as exc:
        text = str(exc).replace(url, masked(url))
        raise DatabaseOpenError(f"cannot use database URL {masked(url)}: {text}") from None
    except ModuleNotFoundError as exc:
        raise DatabaseOpenError(
            f"the driver for {url.split(':', 1)[0]} is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'kam[postgres]'"
        ) from None


def _check_sqlite_file(path: Path, *, create: bool) -> bool:
    """Refuse, with one line, what SQLite would only fail on later or half-way; True if the
    file (new or existing) can be written, False if it can only be read."""
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
        return True
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a directory, not a database file")
    if not os.access(path, os.R_OK):
        raise DatabaseOpenError(f"database file is not readable: {path}")
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    if writable and path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        # Customer data, readable by its owner only; SQLite gives its -wal and -shm files
        # the database file's permissions.
        path.chmod(0o600)
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if not header:
        # kam never leaves an empty file behind: one is a database that lost its content
        # (a full disk, a bad copy), not a new one to fill silently.
        raise DatabaseOpenError(
            f"database file is empty (0 bytes): {path}; restore a backup, or delete the file "
            "to start a new database"
        )
    if header != SQLITE_HEADER:
        raise DatabaseOpenError(f"not a kam database (not an SQLite file): {path}")
    return writable


# Work that must not run twice at once on a shared database: one PostgreSQL advisory lock
# each (on SQLite every write transaction is serialised already, by BEGIN IMMEDIATE).
SERIALIZED = {"import": 7301, "classification": 7302, "health": 7303, "indicators": 7304}


def serialize(session: Session, what: str) -> None:
    """Wait, inside the session's transaction, until no other process does `what`; released
    at commit or rollback. Whoever waited then reads what the first one wrote."""
    if session.connection().dialect.name == "postgresql":
        session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({SERIALIZED[what]})")


def open_mark_path(path: Path) -> Path:
    """The file whose shared lock says a kam process has the database at `path` open."""
    return path.with_name(f"{path.name}-open")


def mark_open(path: Path) -> int | None:
    """Take a shared lock for as long as the database is open (released with the returned
    descriptor, or when the process ends, however it ends). A separate file, never the
    database itself: closing a descriptor of the database would drop SQLite's own locks."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): restores cannot see open windows there
        return None
    try:
        fd = os.open(open_mark_path(path), os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:  # a read-only folder: nothing to restore into there either
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextmanager
def exclusive_use(path: Path) -> Iterator[None]:
    """No other kam process has the database at `path` open, and none opens it meanwhile;
    else DatabaseOpenError. For replacing the file (restore)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(open_mark_path(path), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseOpenError(
                f"kam has {path} open elsewhere (a window or a command): close it first, "
                "or its later saves would go to the file being replaced"
            ) from None
        yield
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def part_name(path: Path) -> str:
    """The prefix of the temporary files a whole-or-nothing write of `path` uses; the
    process id in it tells an abandoned one (its writer killed) from one being written."""
    return f".{path.name}.{os.getpid()}-"


def _remove_with_journal(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)


def remove_abandoned_parts(path: Path) -> None:
    """The temporary files that killed writes of `path` (a backup, an export) left beside it."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*-*.part*"):
        pid = leftover.name[len(path.name) + 2 :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    raise KamError("kam tried to change data while only reading; nothing was saved")


class Database:
    """An open, migrated kam database: the engine and the way to get sessions from it."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        path = sqlite_path(url)
        mark = mark_open(path) if path is not None else None
        # Released on dispose, or when the object is collected undisposed.
        self._open_mark = weakref.finalize(self, os.close, mark) if mark is not None else None
        # Why nothing may be saved (None: writable), and whether derived figures may still be
        # stored (in the private copy a read-only file is browsed in, not in a damaged file).
        self.read_only: str | None = None
        self._derived_writes = True
        self._source: Path | None = None  # the file a private copy was taken of
        self._cleanup: weakref.finalize | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def display_name(self) -> str:
        if self._source is not None:
            return str(self._source)
        path = sqlite_path(self.url)
        return str(path) if path else sa.engine.make_url(self.url).render_as_string()

    @property
    def stores_derived(self) -> bool:
        """Whether kam may store the figures it works out (not into a damaged file)."""
        return self.read_only is None or self._derived_writes

    def refuse_writes(self, reason: str, *, derived_too: bool = True) -> None:
        """From now on every write fails with `reason` before touching the database."""
        self.read_only = reason
        self._derived_writes = self._derived_writes and not derived_too

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; one per user action or worker, never shared across threads.
        It is never committed, so a change made in it would be lost without a word: it
        refuses to flush one instead."""
        with Session(self.engine, expire_on_commit=False) as session:
            sa.event.listen(session, "before_flush", _refuse_flush)
            yield session

    @contextmanager
    def write(self, *, derived: bool = False) -> Iterator[Session]:
        """A write transaction, committed at the end or rolled back whole on any error.

        `derived`: it only stores what kam works out from the data (classification, health,
        headline figures), which a read-only database keeps in its private copy."""
        if self.read_only is not None and not (derived and self._derived_writes):
            raise ReadOnlyError(f"{self.read_only}: nothing was saved")
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
        if dest.exists() or dest.is_symlink():
            raise DatabaseOpenError(f"backup target exists already: {dest}")
        # Written under a temporary name, checked, flushed, then renamed: a killed backup
        # or a full disk never leaves a partial file under the backup's name.
        remove_abandoned_parts(dest)
        temp = dest.with_name(f"{part_name(dest)}backup.part")
        os.close(os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
        raw = self.engine.raw_connection()
        try:
            target = sqlite3.connect(temp)
            try:
                raw.driver_connection.backup(target)  # type: ignore[union-attr]
                integrity = target.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                target.close()
            if integrity != "ok":
                first = next(
                    (line for line in integrity.splitlines() if not line.startswith("***")),
                    integrity,
                )
                raise DatabaseOpenError(
                    f"the database is damaged ({first.strip()}); no backup was written. "
                    "Restore an earlier backup (kam restore)"
                )
            with open(temp, "rb") as written:
                os.fsync(written.fileno())
            os.replace(temp, dest)
        except sqlite3.DatabaseError as exc:
            _remove_with_journal(temp)
            text = str(exc)
            if any(sign in text for sign in ("disk I/O", "disk is full", "unable to open")):
                raise DatabaseOpenError(
                    f"cannot write the backup {dest} ({text}; is the disk full?); "
                    "nothing was written, the database is as it was"
                ) from None
            raise DatabaseOpenError(
                f"the database is damaged ({text}); no backup was written"
            ) from None
        except OSError as exc:
            _remove_with_journal(temp)
            raise DatabaseOpenError(
                f"cannot write the backup {dest}: {exc.strerror or exc}; nothing was written"
            ) from None
        except BaseException:
            _remove_with_journal(temp)
            raise
        finally:
            raw.close()
        return dest

    def check_pages(self) -> None:
        """Refuse to write into a SQLite file with damaged pages (SQLite's quick_check), so
        that an import never spreads the damage."""
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                found = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(3)")]
        except DBAPIError as exc:
            found = [str(exc.orig).strip().splitlines()[0]]
        if found != ["ok"]:
            lines = [line.strip() for text in found for line in text.splitlines() if line.strip()]
            first = next((line for line in lines if not line.startswith("***")), lines[0])
            raise DatabaseOpenError(
                f"{self.display_name} is damaged ({first.strip()}); nothing was written. "
                "Restore a backup (kam restore)"
            )

    def dispose(self) -> None:
        self.engine.dispose()
        if self._open_mark is not None:
            self._open_mark()  # the shared lock: a restore may replace the file now
        if self._cleanup is not None:
            self._cleanup()  # the private copy of a read-only file


def schema_revision(conn: sa.Connection) -> tuple[str | None, bool]:
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


def _ensure_triggers(engine: Engine) -> None:
    """The sync triggers, made again where a migration rebuilt a table: the change log of a
    team database, the outbox of a laptop's copy."""
    from kam.migrations.changelog import ensure_change_log, ensure_outbox

    with engine.begin() as conn:
        ensure_change_log(conn)
        ensure_outbox(conn)


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


def open_database(url: str, *, create: bool = True, read_only: bool = False) -> Database:
    """Open a kam database, creating or migrating its schema; never drops data.

    A SQLite file that cannot be written (or `read_only`) is browsed in a private copy:
    everything reads and reports, nothing is saved (`Database.read_only` says why).
    Raises DatabaseOpenError with a one-line reason for anything that is not a usable kam
    database: a missing directory, a foreign or corrupt file, a newer schema.
    """
    path = sqlite_path(url)
    if read_only and path is None:
        raise DatabaseOpenError("read-only opening is for a SQLite file")
    new = path is not None and not path.exists()
    if path is not None:
        if read_only and new:
            raise DatabaseOpenError(f"no database at {path}")
        writable = _check_sqlite_file(path, create=create)
        if read_only or not writable:
            why = "opened read-only" if read_only else "the file is read-only"
            return _open_private_copy(path, f"{path.name} {why}")
    try:
        return _open(url, path)
    except BaseException:
        if new and path is not None:  # no empty or half-made database left behind
            for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        raise


def _open(url: str, path: Path | None) -> Database:
    engine = make_engine(url)
    database = Database(engine, url)
    try:
        with engine.connect() as conn:
            _check_server_encoding(conn, database.display_name)
            revision, has_tables = schema_revision(conn)
        if revision == SCHEMA_HEAD:
            if path is not None:
                _ensure_triggers(engine)
            return database
        if revision is None and has_tables:
            raise DatabaseOpenError(
                f"not a kam database (it holds other tables): {database.display_name}"
            )
        if revision is not None and not is_known_revision(revision):
            raise DatabaseOpenError(
                f"{database.display_name} was written by a newer kam (schema {revision}); "
                "upgrade kam to open it"
            )
        if revision is not None and path is not None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            database.backup_to(path.with_name(f"{path.name}.schema-{revision}-{stamp}.bak"))
        upgrade_schema(engine)
        _ensure_triggers(engine)
        with engine.connect() as conn:
            _check_after_migration(conn)
    except DatabaseOpenError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DatabaseOpenError(describe_database_error(exc, database.display_name)) from None
    return database


def _open_private_copy(path: Path, reason: str) -> Database:
    """The database at `path` copied into a private temporary folder and opened there, with
    every write but kam's derived figures refused; the copy goes when it is closed."""
    folder = Path(tempfile.mkdtemp(prefix="kam-read-only-"))  # 0700
    copy = folder / path.name
    try:
        _copy_without_writing(path, copy)
        database = _open(f"sqlite:///{copy}", copy)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    database._source = path
    database._cleanup = weakref.finalize(database, shutil.rmtree, folder, True)
    database.refuse_writes(reason, derived_too=False)
    return database


def sqlite_copy(source: Path, target: Path, mode: str = "mode=ro") -> None:
    """SQLite's online backup of `source`, opened with `mode` (never written), into `target`."""
    reading = sqlite3.connect(f"{source.resolve().as_uri()}?{mode}", uri=True)
    try:
        writing = sqlite3.connect(target)
        try:
            reading.backup(writing)
        finally:
            writing.close()
    finally:
        reading.close()


def _copy_without_writing(source: Path, target: Path) -> None:
    """SQLite's online backup of a file this process may not write. In a folder it cannot
    write either, a WAL database can only be read as immutable (nobody writes it there)."""
    failure: sqlite3.Error | None = None
    for mode in ("mode=ro", "immutable=1"):
        target.unlink(missing_ok=True)
        try:
            sqlite_copy(source, target, mode)
            return
        except sqlite3.Error as exc:
            failure = exc
    raise DatabaseOpenError(describe_database_error(failure, str(source)))


def _check_server_encoding(conn: sa.Connection, where: str) -> None:
    """kam keeps names in any script: a PostgreSQL database must store UTF-8. One created as
    SQL_ASCII hands back raw bytes that no client can read as text reliably."""
    if conn.dialect.name != "postgresql":
        return
    encoding = conn.exec_driver_sql("SHOW server_encoding").scalar()
    if isinstance(encoding, bytes):  # SQL_ASCII: psycopg does not decode at all
        encoding = encoding.decode("ascii", "replace")
    if str(encoding).upper() not in {"UTF8", "UTF-8"}:
        raise DatabaseOpenError(
            f"{where} stores text as {encoding}; kam needs a UTF8 database: "
            "CREATE DATABASE kam ENCODING 'UTF8' TEMPLATE template0"
        )


def is_known_revision(revision: str) -> bool:
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
    if "could not decode to utf-8" in lowered:
        column = re.search(r"column '([^']*)'", text)
        named = f" (in column {column.group(1)})" if column else ""
        return (
            f"{where} holds text that is not UTF-8{named}, written by another program; "
            "`kam check` lists where"
        )
    if "disk i/o error" in lowered or "disk is full" in lowered:
        return (
            f"cannot write to {where} ({text}: is the disk full?); the change was rolled back "
            "whole, the database is as it was"
        )
    return f"database error on {where}: {text}"


def describe_error(exc: BaseException) -> str:
    """What went wrong, in the words a person is shown: kam's own messages as they are, a
    database's error by what it means, anything else by its type."""
    if isinstance(exc, KamError):
        return str(exc)
    if isinstance(exc, sa.exc.DBAPIError | sqlite3.Error):
        return describe_database_error(exc, "the database")
    return f"unexpected error: {type(exc).__name__}: {exc}"
