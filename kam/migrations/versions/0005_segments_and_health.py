"""behaviour segments and account health, with a weekly history of the score

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Both tables are caches that kam rebuilds from the data; they start empty and fill on the
next classification (segments) or the first look at health.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEGMENTS = ("top", "high_value_low_loyalty", "loyal", "small", "silent")
GROUPS = ("most_profitable", "could_grow", "losing_value")
BANDS = ("red", "amber", "green")


def _vocabulary(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 4,
    )


def upgrade() -> None:
    op.create_table(
        "account_segment",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("last_purchase", sa.Date(), nullable=True),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary_minor", sa.BigInteger(), nullable=False),
        sa.Column("profit_minor", sa.BigInteger(), nullable=False),
        sa.Column("previous_minor", sa.BigInteger(), nullable=False),
        sa.Column("r_score", sa.Integer(), nullable=False),
        sa.Column("f_score", sa.Integer(), nullable=False),
        sa.Column("m_score", sa.Integer(), nullable=False),
        sa.Column("regularity", sa.Float(), nullable=False),
        sa.Column("loyalty", sa.Float(), nullable=False),
        sa.Column("high_value", sa.Boolean(), nullable=False),
        sa.Column("segment", _vocabulary(SEGMENTS, "segment"), nullable=False),
        sa.Column("transactional", sa.Boolean(), nullable=False),
        sa.Column("relational_group", _vocabulary(GROUPS, "relational_group"), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name="fk_account_segment_account_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_segment"),
    )
    op.create_index("ix_account_segment_segment", "account_segment", ["segment"])
    op.create_table(
        "account_health",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("band", _vocabulary(BANDS, "health_band"), nullable=False),
        sa.Column("previous_score", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("listed_for", sa.String(length=300), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="ck_account_health_score_range"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name="fk_account_health_account_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_health"),
    )
    op.create_index("ix_account_health_score", "account_health", ["score"])
    op.create_table(
        "health_history",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name="fk_health_history_account_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "week_start", name="pk_health_history"),
    )


def downgrade() -> None:
    op.drop_table("health_history")
    op.drop_index("ix_account_health_score", table_name="account_health")
    op.drop_table("account_health")
    op.drop_index("ix_account_segment_segment", table_name="account_segment")
    op.drop_table("account_segment")
