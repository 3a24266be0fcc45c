"""The first schema: documents, analyses, gaps, decisions; the decisions table is append-only.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "queue_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.String(256), nullable=False, unique=True),
        sa.Column("provider", sa.String(256)),
        sa.Column("site", sa.String(256)),
        sa.Column("note_date", sa.Date, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("billed_code", sa.String(32)),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("analysis_version", sa.Integer, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("blocking", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("state_rank", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_queue_documents_worklist", "queue_documents",
                    ["state_rank", "blocking", "severity", "score", "id"])
    op.create_index("ix_queue_documents_verdict", "queue_documents", ["verdict"])
    op.create_index("ix_queue_documents_note_date", "queue_documents", ["note_date"])
    op.create_table(
        "queue_analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_pk", sa.Integer, sa.ForeignKey("queue_documents.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("text_chars", sa.Integer, nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("analyzer_version", sa.String(32), nullable=False),
        sa.Column("checklist_id", sa.String(64), nullable=False),
        sa.Column("checklist_version", sa.String(32), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("document_pk", "version", name="uq_queue_analyses_version"),
        sa.UniqueConstraint("document_pk", "text_hash", "engine", name="uq_queue_analyses_idempotent"),
    )
    op.create_table(
        "queue_gaps",
        sa.Column("document_pk", sa.Integer, sa.ForeignKey("queue_documents.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("element_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_queue_gaps_element", "queue_gaps", ["element_id", "document_pk"])
    op.create_table(
        "queue_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_pk", sa.Integer, sa.ForeignKey("queue_documents.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("previous_state", sa.String(20), nullable=False),
        sa.Column("new_state", sa.String(20), nullable=False),
        sa.Column("document_version", sa.Integer, nullable=False),
        sa.Column("analysis_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_queue_decisions_document", "queue_decisions", ["document_pk", "id"])
    _append_only("queue_decisions")


def _append_only(table: str) -> None:
    """The audit trail cannot be edited or deleted, whatever client writes to the database."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    elif dialect == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS queue_decisions_append_only ON queue_decisions")
        op.execute("DROP FUNCTION IF EXISTS queue_decisions_append_only()")
    for table in ("queue_decisions", "queue_gaps", "queue_analyses", "queue_documents"):
        op.drop_table(table)
