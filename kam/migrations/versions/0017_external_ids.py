"""the other system's id of a contact and a deal

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

A contact or a deal imported from another system (Salesforce's Id, HubSpot's Record ID) keeps
that id, so importing the same records again after a rename updates them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("contact", "opportunity"):
        op.add_column(table, sa.Column("external_ref", sa.String(length=120), nullable=True))


def downgrade() -> None:
    for table in ("contact", "opportunity"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("external_ref")
