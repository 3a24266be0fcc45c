"""Alembic environment: always run programmatically with a live connection (``QueueStore.open``
passes it in ``config.attributes``), never from an ini file or a URL on the command line."""

from __future__ import annotations

from alembic import context

from docanalyzer.queue.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic command by hand
    raise RuntimeError("run the queue's migrations through docanalyzer.queue.store.QueueStore.open(url)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
