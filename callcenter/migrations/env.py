"""Alembic environment. The caller (callcenter.db.migrate) passes an open sync
connection in `config.attributes["connection"]`; async engines run us through
`run_sync`."""

from __future__ import annotations

from alembic import context

from callcenter.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `zhitong db upgrade` (callcenter.db.migrate.upgrade)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
