"""change history, and who on our side holds each contact

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

On SQLite the contact table is rebuilt (batch mode); kam runs migrations there with foreign
keys off, else dropping the old table would fire ON DELETE CASCADE on the contacts' needs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kam.models.base import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "subject",
            sa.Enum(
                "account",
                "contact",
                "team",
                "need",
                name="history_subject",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_label", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_change_record_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_record")),
    )
    op.create_index("ix_change_record_account_at", "change_record", ["account_id", "changed_at"])
    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contact_owner_id"), ["owner_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_contact_owner_id_team_member"),
            "team_member",
            ["owner_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contact_owner_id_team_member"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_contact_owner_id"))
        batch_op.drop_column("owner_id")
    op.drop_index("ix_change_record_account_at", table_name="change_record")
    op.drop_table("change_record")
