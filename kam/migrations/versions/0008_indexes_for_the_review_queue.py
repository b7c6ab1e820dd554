"""indexes for the review queue: deal stage changes by time, reviews by date

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

The weekly review asks which deals moved in the last week and which accounts were reviewed
in the last weeks; without these both read their whole table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_opportunity_stage_change_changed_at", "opportunity_stage_change", ["changed_at"]
    )
    op.create_index("ix_review_reviewed_on", "review", ["reviewed_on"])


def downgrade() -> None:
    op.drop_index("ix_review_reviewed_on", table_name="review")
    op.drop_index("ix_opportunity_stage_change_changed_at", table_name="opportunity_stage_change")
