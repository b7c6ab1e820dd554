"""a history of the team's settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Every saved change of a team setting is kept: which setting, its old and new value, who
changed it and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setting_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting_change")),
    )
    op.create_index("ix_setting_change_key_at", "setting_change", ["key", "changed_at"])


def downgrade() -> None:
    op.drop_index("ix_setting_change_key_at", table_name="setting_change")
    op.drop_table("setting_change")
