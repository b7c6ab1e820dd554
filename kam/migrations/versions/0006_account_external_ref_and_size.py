"""accounts: the id another system knows them by, and the customer's own annual revenue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Both are empty for existing accounts. The reference lets an import from another CRM find the
account again by that CRM's id; the customer's revenue (their size, not what they buy from
us) comes in with most CRM exports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account", sa.Column("external_ref", sa.String(length=120), nullable=True))
    op.add_column("account", sa.Column("annual_revenue_minor", sa.BigInteger(), nullable=True))
    op.create_index("ix_account_external_ref", "account", ["external_ref"])


def downgrade() -> None:
    op.drop_index("ix_account_external_ref", table_name="account")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("annual_revenue_minor")
        batch_op.drop_column("external_ref")
