"""accounts in groups

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

An account may be part of another (a group, a company of a group), to any depth.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam.migrations.name_search import make_triggers

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_account_parent_id_account"),
            "account",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
            deferrable=True,
            initially="DEFERRED",
        )
    make_triggers(op.get_bind())  # SQLite rebuilt the table: the name index's triggers


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_account_parent_id_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_account_parent_id"))
        batch_op.drop_column("parent_id")
    make_triggers(op.get_bind())
