"""credit notes: a revenue line may be negative

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

A ledger's credit note (红冲) is the amount of the sale it corrects with a minus; it stands
against that sale in every sum. Its cost stays zero or more.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revenue_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_revenue_line_amount_not_negative"), type_="check")


def downgrade() -> None:
    bind = op.get_bind()
    negative = bind.exec_driver_sql("SELECT count(*) FROM revenue_line WHERE amount_minor < 0")
    if negative.scalar():
        raise RuntimeError(
            "the database holds credit notes (negative revenue lines), which the older schema "
            "cannot hold; remove them first"
        )
    with op.batch_alter_table("revenue_line", schema=None) as batch_op:
        batch_op.create_check_constraint("amount_not_negative", "amount_minor >= 0")
