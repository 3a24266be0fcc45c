"""Alembic migrations of the queue's schema, shipped inside the package and run by ``QueueStore.open``."""
