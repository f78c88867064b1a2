"""Alembic environment: runs against the connection Pigeon hands over (see store/engine.py)."""

from alembic import context

from pigeon.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
