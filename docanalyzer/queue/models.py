"""The queue's tables (SQLAlchemy 2). The schema itself is created by the Alembic migrations in
``migrations/versions``; ``tests/test_queue_store.py`` checks the two agree.

- ``queue_documents``: one row per document id, with what the worklist sorts and filters on (the
  current analysis's verdict, score, worst code-review severity, provider, site, date) and the
  auditor's state; ``version`` is the optimistic lock every decision and re-analysis moves on.
- ``queue_analyses``: every analysis of a document (its text or only the text's hash, the report,
  the analyzer, checklist and rule versions that produced it).
- ``queue_gaps``: the required elements missing or incomplete in the current analysis (filter, trends).
- ``queue_decisions``: append-only audit trail (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "queue_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(256), unique=True)
    provider: Mapped[str | None] = mapped_column(String(256))
    site: Mapped[str | None] = mapped_column(String(256))
    note_date: Mapped[date] = mapped_column(Date)
    """The service date given with the note, else the day it was first enqueued."""
    month: Mapped[str] = mapped_column(String(7))
    billed_code: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    analysis_version: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer)
    """Worst code-review finding of the current analysis: 0 none, 1 info, 2 warning, 3 error."""
    blocking: Mapped[int] = mapped_column(Integer)
    """Rank of the verdict in the worklist: what blocks billing first (see records.BLOCKING)."""
    state: Mapped[str] = mapped_column(String(20))
    state_rank: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_queue_documents_worklist", "state_rank", "blocking", "severity", "score", "id"),
        Index("ix_queue_documents_verdict", "verdict"),
        Index("ix_queue_documents_note_date", "note_date"),
    )


class Analysis(Base):
    __tablename__ = "queue_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_pk: Mapped[int] = mapped_column(ForeignKey("queue_documents.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    text_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    text_chars: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(64))
    """Hash of the four versions below: the same text under other rules is a new analysis."""
    analyzer_version: Mapped[str] = mapped_column(String(32))
    checklist_id: Mapped[str] = mapped_column(String(64))
    checklist_version: Mapped[str] = mapped_column(String(32))
    rules_version: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    report_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("document_pk", "version", name="uq_queue_analyses_version"),
        UniqueConstraint("document_pk", "text_hash", "engine", name="uq_queue_analyses_idempotent"),
    )


class Gap(Base):
    __tablename__ = "queue_gaps"

    document_pk: Mapped[int] = mapped_column(ForeignKey("queue_documents.id", ondelete="CASCADE"), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_queue_gaps_element", "element_id", "document_pk"),)


class Decision(Base):
    __tablename__ = "queue_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_pk: Mapped[int] = mapped_column(ForeignKey("queue_documents.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    user: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    previous_state: Mapped[str] = mapped_column(String(20))
    new_state: Mapped[str] = mapped_column(String(20))
    document_version: Mapped[int] = mapped_column(Integer)
    """The document version the auditor decided on (the optimistic check's expectation)."""
    analysis_version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_queue_decisions_document", "document_pk", "id"),)
