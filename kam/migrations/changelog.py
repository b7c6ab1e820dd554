"""The triggers that record changes for laptops' copies of the team database.

On the team's PostgreSQL database every added, edited or removed row of a synced table is
written to `sync_change` with the transaction that made it, so a laptop asks for what changed
since the transactions it has read. On a laptop's copy (SQLite) every local change is written
to `sync_outbox` until the server has it; the writes a sync applies are not (the copy's
`replica_state.applying` is set while it applies them).

Both are made again after every migration: a migration that rebuilds a table (SQLite does to
change one) drops its triggers.
"""

from __future__ import annotations

import sqlalchemy as sa

from kam.schema.sync import LOCAL_SETTINGS, key_columns, synced_tables

CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS sync_change (
    seq bigserial PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    table_name varchar(60) NOT NULL,
    row_key varchar(120) NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sync_change_xid ON sync_change (xid);
CREATE OR REPLACE FUNCTION kam_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    k text := '';
BEGIN
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        IF i > 0 THEN k := k || '|'; END IF;
        k := k || (r ->> TG_ARGV[i]);
    END LOOP;
    INSERT INTO sync_change (table_name, row_key) VALUES (TG_TABLE_NAME, k);
    RETURN NULL;
END $$;
"""


def _existing(conn: sa.Connection) -> list[sa.Table]:
    present = set(sa.inspect(conn).get_table_names())
    return [t for t in synced_tables() if t.name in present]


def ensure_change_log(conn: sa.Connection) -> None:
    """The change log and its triggers on a PostgreSQL database (nothing elsewhere)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(CHANGE_LOG)
    for table in _existing(conn):
        keys = ", ".join(f"'{c.name}'" for c in key_columns(table))
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS kam_sync ON {table.name}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER kam_sync AFTER INSERT OR UPDATE OR DELETE ON {table.name} "
            f"FOR EACH ROW EXECUTE FUNCTION kam_record_change({keys})"
        )


def _sqlite_key(table: sa.Table, row: str) -> str:
    return " || '|' || ".join(f"{row}.{c.name}" for c in key_columns(table))


def ensure_outbox(conn: sa.Connection) -> None:
    """On a laptop's copy (a SQLite file with a replica_state row): the triggers that keep
    every local change in the outbox."""
    if conn.dialect.name != "sqlite":
        return
    if "replica_state" not in sa.inspect(conn).get_table_names():
        return
    if conn.exec_driver_sql("SELECT count(*) FROM replica_state").scalar() == 0:
        return
    local = "(SELECT applying FROM replica_state WHERE id = 1) = 0"
    own = ", ".join(f"'{key}'" for key in sorted(LOCAL_SETTINGS))
    present = dict(
        conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
    )
    for table in _existing(conn):
        before = "json_object(" + ", ".join(f"'{c.name}', OLD.{c.name}" for c in table.c) + ")"
        for event, row, base in (
            ("INSERT", "NEW", "NULL"),
            ("UPDATE", "NEW", before),
            ("DELETE", "OLD", before),
        ):
            when = local + (f" AND {row}.key NOT IN ({own})" if table.name == "setting" else "")
            name = f"kam_outbox_{table.name}_{event.lower()}"
            sql = (
                f"CREATE TRIGGER {name} "
                f"AFTER {event} ON {table.name} WHEN {when} BEGIN "
                f"INSERT INTO sync_outbox (table_name, row_key, base) "
                f"VALUES ('{table.name}', {_sqlite_key(table, row)}, {base}); END"
            )
            if present.get(name) == sql:
                continue
            # Made again when it differs: a column added since is missing from the old one.
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            conn.exec_driver_sql(sql)
