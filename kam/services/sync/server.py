"""The team database as a laptop's copy sees it: reached without migrating it, and refused in
one line when the two kams do not share a schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError

from kam.db import (
    describe_database_error,
    is_known_revision,
    make_engine,
    masked,
    parse_url,
    schema_revision,
)
from kam.errors import DatabaseOpenError
from kam.migrations import SCHEMA_HEAD

CONNECT_TIMEOUT = 10  # seconds: an offline laptop says so soon


def stored_form(url: str) -> str:
    """The server's URL as a laptop keeps it: never with its password (the driver finds that
    in ~/.pgpass or $PGPASSWORD when it connects)."""
    parsed = parse_url(url)
    bare = sa.engine.URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return bare.render_as_string(hide_password=False)


def connect(url: str) -> sa.Engine:
    """An engine on the team database, checked: PostgreSQL, a kam database, the same schema as
    this kam. Nothing is written to it here."""
    engine = make_engine(url, connect_timeout=CONNECT_TIMEOUT)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        raise DatabaseOpenError(f"a laptop joins a team database on PostgreSQL, not {masked(url)}")
    try:
        with engine.connect() as conn:
            revision, others = schema_revision(conn)
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise DatabaseOpenError(describe_database_error(exc, masked(url))) from None
    if revision != SCHEMA_HEAD:
        engine.dispose()
        if revision is None and others:
            raise DatabaseOpenError(f"not a kam database: {masked(url)}")
        if revision is None:
            raise DatabaseOpenError(
                f"{masked(url)} holds no kam database yet: create it once with "
                "`kam --db URL check`, then join"
            )
        if is_known_revision(revision):
            raise DatabaseOpenError(
                f"the team database has an older schema ({revision}, this kam {SCHEMA_HEAD}): "
                f"upgrade it first (kam --db URL check with this kam does); nothing was written"
            )
        raise DatabaseOpenError(
            f"the team database was upgraded by a newer kam (schema {revision}, this kam "
            f"{SCHEMA_HEAD}): upgrade kam on this laptop; nothing was written"
        )
    return engine


class ServerLost(DatabaseOpenError):
    """The team database went away during a sync (network, restart): what it did not commit
    was rolled back, and the next sync does it again."""


@contextmanager
def talking(url: str) -> Iterator[None]:
    """Errors from the team database, said in one line as a lost connection."""
    try:
        yield
    except DBAPIError as exc:
        why = describe_database_error(exc, masked(url))
        raise ServerLost(
            f"lost the team database during the sync ({why}); "
            "nothing was half-written: the next sync finishes it"
        ) from None


def snapshot(conn: sa.Connection) -> str:
    """The oldest transaction still running in this connection's snapshot: every change made
    before it is in the snapshot and final (an xid8, as text)."""
    return str(conn.exec_driver_sql("SELECT pg_snapshot_xmin(pg_current_snapshot())").scalar())
