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

from alembic import op

from kam.migrations.name_search import STATEMENTS, has_trigram

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not has_trigram(bind):
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
