"""Schema versions (Alembic). SCHEMA_HEAD is the newest revision this kam writes; a test checks
that it matches Alembic's own head, so opening an up-to-date database needs no Alembic import."""

SCHEMA_HEAD = "0017"
