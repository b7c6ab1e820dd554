"""Alembic environment: always called with an open connection by `kam.db.open_database`."""

from alembic import context

import kam.models
from kam.models import is_name_search_table, metadata

assert kam.models  # the import registers every table on the metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # The trigram index of names is made by hand (FTS5), not from the models.
    include_name=lambda name, kind, _parent: not (kind == "table" and is_name_search_table(name)),
)
with context.begin_transaction():
    context.run_migrations()
