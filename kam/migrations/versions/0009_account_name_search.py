"""a trigram index of account names, for filters of three characters or more

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

A filter by part of a name ("acm" in "Acme Tooling") cannot use an ordinary index: every name
is read. On SQLite an FTS5 table with the trigram tokenizer finds the names holding any three
characters or more from its index instead; triggers keep it in step with `account`. Names
shorter than three characters cannot hold such a filter and are left out, which lets the
triggers find a name's entry again by matching the name itself.

PostgreSQL, and an SQLite built without FTS5's trigram tokenizer (older than 3.34), keep
reading every name: kam looks for the table before using it. A later migration that rebuilds
`account` (Alembic's batch mode on SQLite) drops these triggers and must create them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The entry of account `old`, found by its own name (a phrase of itself) and its id.
_OLD_ENTRY = """
    SELECT rowid FROM account_name_search
    WHERE name_key MATCH '"' || replace(old.name_key, '"', '""') || '"'
      AND account_id = old.id
"""

STATEMENTS = [
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


def _has_trigram(bind: sa.Connection) -> bool:
    version = tuple(
        int(p) for p in bind.exec_driver_sql("SELECT sqlite_version()").scalar().split(".")
    )
    fts5 = bind.exec_driver_sql("SELECT sqlite_compileoption_used('ENABLE_FTS5')").scalar()
    return version >= (3, 34) and bool(fts5)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _has_trigram(bind):
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS account_name_search_{trigger}")
    op.execute("DROP TABLE IF EXISTS account_name_search")
