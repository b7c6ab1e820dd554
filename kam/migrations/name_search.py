"""The trigram index of account names on SQLite (made by migration 0009): its table and the
triggers that keep it in step with `account`. A migration that rebuilds `account` (Alembic's
batch mode on SQLite) drops the triggers and makes them again with `make_triggers`."""

from __future__ import annotations

import sqlalchemy as sa

# The entry of account `old`, found by its own name (a phrase of itself) and its id.
_OLD_ENTRY = """
    SELECT rowid FROM account_name_search
    WHERE name_key MATCH '"' || replace(old.name_key, '"', '""') || '"'
      AND account_id = old.id
"""

STATEMENTS = [  # the table, its three triggers, its first fill
    """
    CREATE VIRTUAL TABLE account_name_search USING fts5(
        name_key, account_id UNINDEXED, tokenize = 'trigram case_sensitive 1'
    )
    """,
    """
    CREATE TRIGGER account_name_search_insert AFTER INSERT ON account
    WHEN length(new.name_key) >= 3
    BEGIN
        INSERT INTO account_name_search (name_key, account_id) VALUES (new.name_key, new.id);
    END
    """,
    f"""
    CREATE TRIGGER account_name_search_delete AFTER DELETE ON account
    WHEN length(old.name_key) >= 3
    BEGIN
        DELETE FROM account_name_search WHERE rowid IN ({_OLD_ENTRY});
    END
    """,
    f"""
    CREATE TRIGGER account_name_search_update AFTER UPDATE OF name_key ON account
    BEGIN
        DELETE FROM account_name_search
        WHERE length(old.name_key) >= 3 AND rowid IN ({_OLD_ENTRY});
        INSERT INTO account_name_search (name_key, account_id)
        SELECT new.name_key, new.id WHERE length(new.name_key) >= 3;
    END
    """,
    """
    INSERT INTO account_name_search (name_key, account_id)
    SELECT name_key, id FROM account WHERE length(name_key) >= 3
    """,
]


TRIGGERS = STATEMENTS[1:4]


def has_trigram(bind: sa.Connection) -> bool:
    version = tuple(
        int(p) for p in bind.exec_driver_sql("SELECT sqlite_version()").scalar().split(".")
    )
    fts5 = bind.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar()
    return version >= (3, 34) and bool(fts5)


def make_triggers(bind: sa.Connection) -> None:
    """The triggers again, where the index exists (a rebuilt `account` lost them)."""
    if bind.dialect.name != "sqlite":
        return
    present = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'account_name_search'"
    ).first()
    if present is None:
        return
    for statement in TRIGGERS:
        bind.exec_driver_sql(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
