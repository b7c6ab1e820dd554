"""account plans (strategy, desired stage, customer goals, objectives); review actions on the
agenda

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

New tables only, and an empty link from an action item to the one-off agenda item made for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAGES = ("transactional", "value", "strategic_partnership")
_STATUSES = ("open", "on_track", "at_risk", "achieved", "missed")


def _edited() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _uuid(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.Uuid(), **kw)


def upgrade() -> None:
    op.create_table(
        "account_plan",
        *_edited(),
        _uuid("id", nullable=False),
        _uuid("account_id", nullable=False),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column(
            "desired_stage",
            sa.Enum(
                *_STAGES, name="desired_stage", native_enum=False, create_constraint=True, length=25
            ),
            nullable=True,
        ),
        sa.Column("customer_goals", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name="fk_account_plan_account_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_plan"),
        sa.UniqueConstraint("account_id", name="uq_account_plan_account_id"),
    )
    op.create_table(
        "plan_objective",
        *_edited(),
        _uuid("id", nullable=False),
        _uuid("account_id", nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("measure", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                *_STATUSES,
                name="objective_status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name="fk_plan_objective_account_id_account",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plan_objective"),
    )
    op.create_index("ix_plan_objective_account_id", "plan_objective", ["account_id"])
    with op.batch_alter_table("action_item") as batch_op:
        batch_op.add_column(_uuid("plan_item_id", nullable=True))
        batch_op.create_foreign_key(
            "fk_action_item_plan_item_id_plan_item",
            "plan_item",
            ["plan_item_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_action_item_plan_item_id", ["plan_item_id"])


def downgrade() -> None:
    with op.batch_alter_table("action_item") as batch_op:
        batch_op.drop_index("ix_action_item_plan_item_id")
        batch_op.drop_constraint("fk_action_item_plan_item_id_plan_item", type_="foreignkey")
        batch_op.drop_column("plan_item_id")
    op.drop_index("ix_plan_objective_account_id", table_name="plan_objective")
    op.drop_table("plan_objective")
    op.drop_table("account_plan")
