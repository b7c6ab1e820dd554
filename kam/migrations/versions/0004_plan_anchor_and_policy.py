"""plan items: the date their cadence is anchored on, and the service policy they came from

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Existing items are anchored on their next due date, which keeps every future date where it
was; items made by hand have no policy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plan_item", sa.Column("starts_on", sa.Date(), nullable=True))
    op.add_column("plan_item", sa.Column("policy", sa.String(length=20), nullable=True))
    op.execute("UPDATE plan_item SET starts_on = next_due")
    with op.batch_alter_table("plan_item") as batch_op:
        batch_op.alter_column("starts_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_index("ix_plan_item_owner_due", ["owner_id", "active", "next_due"])


def downgrade() -> None:
    with op.batch_alter_table("plan_item") as batch_op:
        batch_op.drop_index("ix_plan_item_owner_due")
        batch_op.drop_column("policy")
        batch_op.drop_column("starts_on")
