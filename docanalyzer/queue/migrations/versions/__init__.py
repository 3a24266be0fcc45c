"""One module per schema revision (Alembic reads them by file, in ``down_revision`` order)."""
