"""Alembic environment: always called with an open connection by `kam.db.open_database`."""

from alembic import context

import kam.models
from kam.models import made_by_hand, metadata

assert kam.models  # the import registers every table on the metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=lambda name, kind, parent: not made_by_hand(name, kind, parent),
)
with context.begin_transaction():
    context.run_migrations()
