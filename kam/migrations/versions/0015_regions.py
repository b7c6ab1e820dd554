"""regions and territories

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

A region (and a territory under it) becomes a row with an owner, instead of a word on each
account: the accounts' words become regions, one per name (case and spaces ignored).

A region made here has an id worked out from its name, so the team database and every laptop's
copy, each migrated on its own, hold the same regions under the same ids; and a laptop's copy
does not send the accounts this moves into them (the team database moved its own the same way).
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from kam.migrations.name_search import make_triggers
from kam.models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The ids of the regions this migration makes: the same name gives the same id everywhere.
REGION_IDS = uuid.UUID("6f1d3c52-8a0e-4e59-9d64-2b7f0c1a9e35")


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _outbox_paused(bind: sa.Connection, paused: int | None) -> int | None:
    """On a laptop's copy, make its outbox triggers stand aside (as when it applies what the
    team database sent) or set back as they were; returns what they were before."""
    if bind.dialect.name != "sqlite" or "replica_state" not in sa.inspect(bind).get_table_names():
        return None
    before = bind.exec_driver_sql("SELECT applying FROM replica_state WHERE id = 1").scalar()
    if paused is not None:
        bind.exec_driver_sql("UPDATE replica_state SET applying = ? WHERE id = 1", (paused,))
    return before


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_region_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["team_member.id"],
            name=op.f("fk_region_owner_id_team_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["region.id"],
            name=op.f("fk_region_parent_id_region"),
            ondelete="SET NULL",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("name_key", name=op.f("uq_region_name_key")),
    )
    op.create_index(op.f("ix_region_owner_id"), "region", ["owner_id"], unique=False)
    op.create_index(op.f("ix_region_parent_id"), "region", ["parent_id"], unique=False)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_id", sa.Uuid(), nullable=True))
    bind = op.get_bind()
    region = sa.table(
        "region",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("name_key", sa.String()),
    )
    account = sa.table(
        "account",
        sa.column("region", sa.String()),
        sa.column("region_id", sa.Uuid()),
    )
    words = bind.execute(
        sa.select(account.c.region).where(account.c.region.is_not(None)).distinct()
    ).scalars()
    ids: dict[str, uuid.UUID] = {}
    now = datetime.now(UTC)
    was = _outbox_paused(bind, 1)
    for word in sorted(words):
        name = " ".join(word.split())
        if not name:
            continue
        key = _key(name)
        if key not in ids:
            ids[key] = uuid.uuid5(REGION_IDS, key)
            bind.execute(
                region.insert().values(
                    id=ids[key], created_at=now, updated_at=now, version=1,
                    name=name[:120], name_key=key[:120],
                )
            )  # fmt: skip
        bind.execute(account.update().where(account.c.region == word).values(region_id=ids[key]))
    _outbox_paused(bind, was)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_region_name")
        batch_op.drop_column("region")
        batch_op.create_index("ix_account_region_name", ["region_id", "name_key"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_account_region_id_region"),
            "region",
            ["region_id"],
            ["id"],
            ondelete="SET NULL",
        )
    make_triggers(bind)  # SQLite rebuilt the table: the name index's triggers


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=120), nullable=True))
    op.get_bind().exec_driver_sql(
        "UPDATE account SET region = (SELECT name FROM region WHERE region.id = account.region_id)"
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_account_region_id_region"), type_="foreignkey")
        batch_op.drop_index("ix_account_region_name")
        batch_op.drop_column("region_id")
        batch_op.create_index("ix_account_region_name", ["region", "name_key"], unique=False)
    make_triggers(op.get_bind())
    op.drop_index(op.f("ix_region_parent_id"), table_name="region")
    op.drop_index(op.f("ix_region_owner_id"), table_name="region")
    op.drop_table("region")
