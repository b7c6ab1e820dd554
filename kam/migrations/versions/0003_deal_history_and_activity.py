"""who moved a deal by name, activities on a deal, the pipeline board's index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Stage changes name the person who made them (as the change history does), so a move made by
someone not on the team list is still attributed. An activity can name the deal it moved on;
such activity keeps the deal from being marked stale. The change history can now be about
deals, plan items and activities. Two indexes serve the pipeline: a board column (stage,
amount) and the few archived accounts whose deals are left out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SUBJECTS = ("account", "contact", "team", "need")
NEW_SUBJECTS = (*OLD_SUBJECTS, "opportunity", "plan", "activity")


def _subject_type(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(
        *values,
        name="history_subject",
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values) + 4,
    )


def upgrade() -> None:
    with op.batch_alter_table("activity") as batch_op:
        batch_op.add_column(sa.Column("opportunity_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_activity_opportunity_occurred", ["opportunity_id", "occurred_on"])
        batch_op.create_foreign_key(
            batch_op.f("fk_activity_opportunity_id_opportunity"),
            "opportunity",
            ["opportunity_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("change_record") as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=_subject_type(OLD_SUBJECTS),
            type_=_subject_type(NEW_SUBJECTS),
            existing_nullable=False,
        )
    op.create_index("ix_opportunity_stage_amount", "opportunity", ["stage", "amount_minor"])
    op.create_index(
        "ix_account_archived",
        "account",
        ["id"],
        sqlite_where=sa.text("archived_at IS NOT NULL"),
        postgresql_where=sa.text("archived_at IS NOT NULL"),
    )
    op.add_column(
        "opportunity_stage_change", sa.Column("changed_by", sa.String(length=120), nullable=True)
    )
    op.execute(
        "UPDATE opportunity_stage_change SET changed_by = (SELECT name FROM team_member "
        "WHERE team_member.id = opportunity_stage_change.changed_by_id)"
    )


def downgrade() -> None:
    op.drop_column("opportunity_stage_change", "changed_by")
    op.drop_index("ix_account_archived", table_name="account")
    op.drop_index("ix_opportunity_stage_amount", table_name="opportunity")
    with op.batch_alter_table("change_record") as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=_subject_type(NEW_SUBJECTS),
            type_=_subject_type(OLD_SUBJECTS),
            existing_nullable=False,
        )
    with op.batch_alter_table("activity") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_activity_opportunity_id_opportunity"), type_="foreignkey"
        )
        batch_op.drop_index("ix_activity_opportunity_occurred")
        batch_op.drop_column("opportunity_id")
