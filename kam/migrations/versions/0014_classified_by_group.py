"""classification by group, the folded accounts list

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

A team may classify its accounts by group: a member then takes its group's class and tier.
The folded accounts list reads a group's revenue and place from the stored classification.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_classification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via_group_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("group_revenue_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("fold_position", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_account_classification_fold_position", ["fold_position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("account_classification", schema=None) as batch_op:
        batch_op.drop_index("ix_account_classification_fold_position")
        batch_op.drop_column("fold_position")
        batch_op.drop_column("group_revenue_minor")
        batch_op.drop_column("via_group_id")
