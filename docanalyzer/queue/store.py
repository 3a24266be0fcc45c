"""The queue's store: one small interface over SQLAlchemy 2, the same code on SQLite and PostgreSQL.

``QueueStore.open(url)`` connects, brings the schema to the newest migration (Alembic, shipped in the
package) and returns the store. SQLite runs in WAL mode with a busy timeout, so readers never wait for
the writer and concurrent writers queue instead of failing.

Writes are safe with many processes at once:

- ``enqueue`` is idempotent on (document id, text hash, analyzer/checklist/rule versions): sending a
  note again changes nothing; a changed text (an addendum) or a rule update adds an analysis version;
  decisions stay. Batches are written in chunks, each one transaction, retried when another writer
  created the same document first (the unique constraints decide, not a read-then-write guess).
- ``decide`` is an optimistic compare-and-set on the document's ``version``: of two auditors who
  opened the same version, the first to write wins and the other gets ``Conflict``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timezone
from importlib.resources import files
from typing import Any

try:
    from sqlalchemy import create_engine, delete, event, insert, select, update
    from sqlalchemy import text as sql_text
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm import Session, sessionmaker
except ImportError as exc:  # pragma: no cover - only without the extra
    from docanalyzer.queue import QUEUE_EXTRA_HINT

    raise ImportError(QUEUE_EXTRA_HINT) from exc

from docanalyzer.queue.models import Analysis, Decision, Document, Gap
from docanalyzer.queue.records import ACTIONS, STATE_RANK, Entry, NoteMeta, entry_for, now
from docanalyzer.queue.worklist import Filters, Page, fetch_page
from docanalyzer.report import Report

CHUNK = 500
REFRESH_STATISTICS = 1000
"""Analyses added in one enqueue call from which the planner's statistics are refreshed."""
RETRIES = 8


class QueueError(Exception):
    """A request the store refuses; ``str()`` says why (never with note text)."""


class UnknownDocument(QueueError):
    pass


class WriteFailed(QueueError):
    """The database refused a write. Only the error's type is kept: a database's own message can quote
    the row it refused (PostgreSQL: "Failing row contains ..."), which would put note text in a log."""


class Conflict(QueueError):
    """The document moved on since the caller read it (another decision, or a new analysis)."""

    def __init__(self, document_id: str, expected: int, current: int, state: str, by: str | None) -> None:
        self.document_id, self.expected, self.current, self.state, self.by = document_id, expected, current, state, by
        who = f" (last decision by {by})" if by else ""
        super().__init__(f"conflict: the note changed since version {expected}; it is now version {current}, "
                         f"state {state}{who}. Reload it and decide again.")


@dataclass(frozen=True)
class EnqueueResult:
    documents: int = 0
    """New documents."""
    versions: int = 0
    """New analyses (of new documents or new versions of known ones)."""
    unchanged: int = 0
    """Notes already stored with the same text and versions (nothing written)."""

    def __add__(self, other: EnqueueResult) -> EnqueueResult:
        return EnqueueResult(self.documents + other.documents, self.versions + other.versions,
                             self.unchanged + other.unchanged)


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    document_id: str
    action: str
    comment: str | None
    user: str
    created_at: str
    previous_state: str
    new_state: str
    document_version: int
    analysis_version: int


@dataclass(frozen=True)
class AnalysisRecord:
    version: int
    text_hash: str
    text_chars: int
    text_kept: bool
    analyzer_version: str
    checklist: str
    rules_version: str
    verdict: str
    score: float
    created_at: str


@dataclass(frozen=True)
class NoteDetail:
    """One document as the note page and ``queue show`` need it."""

    pk: int
    document_id: str
    provider: str | None
    site: str | None
    note_date: str
    state: str
    version: int
    verdict: str
    score: float
    report: Report
    text: str | None
    analyses: list[AnalysisRecord]
    decisions: list[DecisionRecord]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///queue.db``, ``postgresql+psycopg://...``)."""
    # hide_parameters: an error message never carries the bound values (note text, comments)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("docanalyzer.queue") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class QueueStore:
    """Documents, their analysis versions, the auditors' decisions; see the module docstring."""

    def __init__(self, engine: Engine, *, keep_text: bool = True) -> None:
        self.engine = engine
        self.keep_text = keep_text
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, keep_text: bool = True) -> QueueStore:
        engine = make_engine(url)
        migrate(engine)
        return cls(engine, keep_text=keep_text)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    # --- writing -------------------------------------------------------------------------------

    def enqueue(self, entries: Iterable[Entry], *, chunk: int = CHUNK) -> EnqueueResult:
        """Store analyzed notes (in input order); idempotent, see the module docstring."""
        total = EnqueueResult()
        batch: list[Entry] = []
        for entry in entries:
            batch.append(entry)
            if len(batch) >= chunk:
                total += self._enqueue_retrying(batch)
                batch = []
        if batch:
            total += self._enqueue_retrying(batch)
        if total.versions >= REFRESH_STATISTICS:
            self.refresh_statistics()
        return total

    def refresh_statistics(self) -> None:
        """Let the query planner see a bulk load at once (PostgreSQL's autovacuum would, minutes later):
        without it the worklist's filters are planned for an empty table (measured: 150 ms a page, not 27)."""
        with self.engine.begin() as conn:
            for table in ("queue_documents", "queue_gaps"):
                conn.execute(sql_text(f"ANALYZE {table}"))

    def enqueue_reports(self, items: Iterable[tuple[Report, str | None, NoteMeta | None]]) -> EnqueueResult:
        """``enqueue`` for (report, text, meta) triples, keeping note text only if this store does."""
        return self.enqueue(entry_for(report, text, meta, keep_text=self.keep_text) for report, text, meta in items)

    def _enqueue_retrying(self, batch: list[Entry]) -> EnqueueResult:
        for attempt in range(RETRIES):
            try:
                with self.session() as session, session.begin():
                    return _write_chunk(session, batch)
            except (IntegrityError, OperationalError) as exc:  # another writer got there first: read again
                if attempt == RETRIES - 1:
                    raise WriteFailed(f"the queue database refused the batch ({type(exc).__name__})") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def decide(self, pk: int, action: str, *, user: str, comment: str | None = None,
               expected_version: int | None = None) -> DecisionRecord:
        """Record a decision on document ``pk``; ``Conflict`` when its version is no longer ``expected_version``."""
        if action not in ACTIONS:
            raise QueueError(f"unknown action {action!r}; one of: {', '.join(ACTIONS)}")
        if not user:
            raise QueueError("a decision needs a user")
        if action == "comment" and not (comment or "").strip():
            raise QueueError("a comment needs its text")
        with self.session() as session:
            doc = session.get(Document, pk)
            if doc is None:
                raise UnknownDocument(f"no document #{pk} in the queue")
        expected = doc.version if expected_version is None else expected_version
        if expected != doc.version:
            raise self._conflict(doc, expected)
        new_state = ACTIONS[action] or doc.state
        stamp = now()
        with self.session() as session, session.begin():  # the first statement writes: no stale read to upgrade
            moved = session.execute(
                update(Document).where(Document.id == pk, Document.version == expected)
                .values(state=new_state, state_rank=STATE_RANK[new_state], version=expected + 1, updated_at=stamp))
            if moved.rowcount != 1:
                session.rollback()
                raise self._conflict(doc, expected)
            row = {"document_pk": pk, "action": action, "comment": comment or None, "user": user, "created_at": stamp,
                   "previous_state": doc.state, "new_state": new_state, "document_version": expected,
                   "analysis_version": doc.analysis_version}
            decision_id = session.execute(insert(Decision).values(**row).returning(Decision.id)).scalar_one()
        return _decision_record(decision_id, doc.document_id, row)

    def _conflict(self, doc: Document, expected: int) -> Conflict:
        with self.session() as session:
            current = session.get(Document, doc.id)
            last = session.scalars(select(Decision.user).where(Decision.document_pk == doc.id)
                                   .order_by(Decision.id.desc()).limit(1)).first()
        assert current is not None
        return Conflict(doc.document_id, expected, current.version, current.state, last)

    # --- reading -------------------------------------------------------------------------------

    def page(self, filters: Filters | None = None, *, page: int = 1, per_page: int = 50) -> Page:
        with self.session() as session:
            return fetch_page(session, filters or Filters(), page=page, per_page=per_page)

    def find(self, document_id: str) -> int | None:
        """The queue's number (pk) of a document id, or None."""
        with self.session() as session:
            return session.scalars(select(Document.id).where(Document.document_id == document_id)).first()

    def note(self, pk: int) -> NoteDetail:
        with self.session() as session:
            doc = session.get(Document, pk)
            if doc is None:
                raise UnknownDocument(f"no document #{pk} in the queue")
            analyses = list(session.scalars(select(Analysis).where(Analysis.document_pk == pk)
                                            .order_by(Analysis.version.desc())))
            decisions = list(session.execute(select(Decision).where(Decision.document_pk == pk)
                                             .order_by(Decision.id.desc())).scalars())
        current = next(a for a in analyses if a.version == doc.analysis_version)
        return NoteDetail(
            pk=doc.id, document_id=doc.document_id, provider=doc.provider, site=doc.site,
            note_date=doc.note_date.isoformat(), state=doc.state, version=doc.version, verdict=doc.verdict,
            score=doc.score, report=Report.model_validate_json(current.report_json), text=current.text,
            analyses=[_analysis_record(a) for a in analyses],
            decisions=[_decision_record(d.id, doc.document_id, d.__dict__) for d in decisions],
        )

    def decisions(self) -> Iterator[DecisionRecord]:
        """The whole audit trail, oldest first (streamed)."""
        with self.session() as session:
            rows = session.execute(select(Decision, Document.document_id).join(Document)
                                   .order_by(Decision.id).execution_options(yield_per=1000))
            for decision, document_id in rows:
                yield _decision_record(decision.id, document_id, decision.__dict__)

    def documents(self) -> Iterator[dict[str, Any]]:
        """Every document's current state (streamed, worklist order)."""
        from docanalyzer.queue.worklist import ORDER, document_row

        with self.session() as session:
            gaps: dict[int, list[str]] = {}
            for pk, element in session.execute(select(Gap.document_pk, Gap.element_id).order_by(Gap.element_id)):
                gaps.setdefault(pk, []).append(element)
            for doc in session.scalars(select(Document).order_by(*ORDER).execution_options(yield_per=1000)):
                yield document_row(doc, gaps.get(doc.id, []))


def _write_chunk(session: Session, batch: list[Entry]) -> EnqueueResult:
    """One transaction: new documents, new analysis versions, the current gaps; nothing twice."""
    ids = {e.document_id for e in batch}
    docs = {d.document_id: d for d in session.scalars(select(Document).where(Document.document_id.in_(ids)))}
    known = {(pk, h, engine) for pk, h, engine in session.execute(
        select(Analysis.document_pk, Analysis.text_hash, Analysis.engine)
        .where(Analysis.document_pk.in_([d.id for d in docs.values()])))}
    stamp = now()
    created = [_new_document(e, stamp) for e in _first_per_id(batch) if e.document_id not in docs]
    session.add_all(created)
    session.flush()
    docs.update((d.document_id, d) for d in created)
    analyses: list[dict[str, Any]] = []
    touched: dict[int, Entry] = {}
    for entry in batch:
        doc = docs[entry.document_id]
        key = (doc.id, entry.text_hash, entry.engine)
        if key in known:
            continue
        known.add(key)
        _apply(doc, entry, stamp)
        analyses.append(_analysis_row(doc, entry, stamp))
        touched[doc.id] = entry
    if analyses:
        session.execute(insert(Analysis), analyses)
        session.execute(delete(Gap).where(Gap.document_pk.in_(list(touched))))
        gaps = [{"document_pk": pk, "element_id": element, "status": status}
                for pk, entry in touched.items() for element, status in entry.gaps.items()]
        if gaps:
            session.execute(insert(Gap), gaps)
    return EnqueueResult(documents=len(created), versions=len(analyses), unchanged=len(batch) - len(analyses))


def _first_per_id(batch: list[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    for entry in batch:
        seen.setdefault(entry.document_id, entry)
    return list(seen.values())


def _new_document(entry: Entry, stamp) -> Document:
    note_date = entry.meta.service_date or stamp.date()
    return Document(document_id=entry.document_id, provider=entry.meta.provider, site=entry.meta.site,
                    note_date=note_date, month=note_date.strftime("%Y-%m"), billed_code=entry.meta.billed_code,
                    received_at=stamp, updated_at=stamp, analysis_version=0, verdict=entry.verdict, score=entry.score,
                    severity=entry.severity, blocking=entry.blocking, state="open", state_rank=STATE_RANK["open"],
                    version=0)


def _apply(doc: Document, entry: Entry, stamp) -> None:
    """The document's summary follows its newest analysis; the auditor's state stays."""
    meta = entry.meta
    doc.provider = meta.provider or doc.provider
    doc.site = meta.site or doc.site
    doc.billed_code = meta.billed_code or doc.billed_code
    if meta.service_date is not None:
        doc.note_date, doc.month = meta.service_date, meta.service_date.strftime("%Y-%m")
    doc.analysis_version += 1
    doc.version += 1
    doc.verdict, doc.score, doc.severity, doc.blocking = entry.verdict, entry.score, entry.severity, entry.blocking
    doc.updated_at = stamp


def _analysis_row(doc: Document, entry: Entry, stamp) -> dict[str, Any]:
    return {"document_pk": doc.id, "version": doc.analysis_version, "text_hash": entry.text_hash, "text": entry.text,
            "text_chars": entry.text_chars, "engine": entry.engine, "analyzer_version": entry.analyzer_version,
            "checklist_id": entry.checklist_id, "checklist_version": entry.checklist_version,
            "rules_version": entry.rules_version, "verdict": entry.verdict, "score": entry.score,
            "report_json": entry.report_json, "created_at": stamp}


def _stamp(value: Any) -> str:
    """UTC, whatever the database session's time zone (SQLite gives naive UTC values back)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _decision_record(decision_id: int, document_id: str, row: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(id=decision_id, document_id=document_id, action=row["action"], comment=row["comment"],
                          user=row["user"], created_at=_stamp(row["created_at"]), previous_state=row["previous_state"],
                          new_state=row["new_state"], document_version=row["document_version"],
                          analysis_version=row["analysis_version"])


def _analysis_record(a: Analysis) -> AnalysisRecord:
    return AnalysisRecord(version=a.version, text_hash=a.text_hash, text_chars=a.text_chars,
                          text_kept=a.text is not None,
                          analyzer_version=a.analyzer_version, checklist=f"{a.checklist_id} v{a.checklist_version}",
                          rules_version=a.rules_version, verdict=a.verdict, score=a.score,
                          created_at=_stamp(a.created_at))


def report_json(detail: NoteDetail) -> str:
    """The current report of a note as stored (JSON)."""
    return json.dumps(detail.report.model_dump(mode="json"))
