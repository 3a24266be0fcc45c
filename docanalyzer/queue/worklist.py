"""The worklist query: filters, the order of what blocks billing, one page at a time.

Only the columns a worklist row shows are read (never the report or the text), and the page's
gaps come in one second query, so a page costs the same at row 10 and at row 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from docanalyzer.queue.models import Document, Gap
from docanalyzer.queue.records import SEVERITY_NAMES

ORDER = (Document.state_rank, Document.blocking, Document.severity.desc(), Document.score, Document.id)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Filters:
    """What the auditor narrows the worklist to; None means any."""

    verdict: str | None = None
    missing: str | None = None
    """A required element missing or incomplete in the current analysis."""
    severity: int | None = None
    """At least this code-review severity (1 info, 2 warning, 3 error)."""
    state: str | None = None
    provider: str | None = None
    site: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, stmt: Select) -> Select:
        equal = {Document.verdict: self.verdict, Document.state: self.state, Document.provider: self.provider,
                 Document.site: self.site}
        for column, value in equal.items():
            if value:
                stmt = stmt.where(column == value)
        if self.severity:
            stmt = stmt.where(Document.severity >= self.severity)
        if self.date_from:
            stmt = stmt.where(Document.note_date >= self.date_from)
        if self.date_to:
            stmt = stmt.where(Document.note_date <= self.date_to)
        if self.missing:
            stmt = stmt.where(select(Gap.document_pk).where(Gap.document_pk == Document.id,
                                                            Gap.element_id == self.missing).exists())
        return stmt


@dataclass(frozen=True)
class Row:
    pk: int
    document_id: str
    verdict: str
    score: float
    severity: str
    state: str
    provider: str | None
    site: str | None
    note_date: str
    analysis_version: int
    version: int
    gaps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


COLUMNS = (Document.id, Document.document_id, Document.verdict, Document.score, Document.severity, Document.state,
           Document.provider, Document.site, Document.note_date, Document.analysis_version, Document.version)


def fetch_page(session: Session, filters: Filters, *, page: int = 1, per_page: int = 50) -> Page:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    total = session.scalar(filters.apply(select(func.count()).select_from(Document))) or 0
    stmt = filters.apply(select(*COLUMNS)).order_by(*ORDER).limit(per_page).offset((page - 1) * per_page)
    found = session.execute(stmt).all()
    gaps: dict[int, list[str]] = {}
    if found:
        for pk, element, status in session.execute(
                select(Gap.document_pk, Gap.element_id, Gap.status)
                .where(Gap.document_pk.in_([r[0] for r in found])).order_by(Gap.element_id)):
            gaps.setdefault(pk, []).append(element if status == "missing" else f"{element} (incomplete)")
    rows = [Row(pk=r[0], document_id=r[1], verdict=r[2], score=r[3], severity=SEVERITY_NAMES.get(r[4], "none"),
                state=r[5], provider=r[6], site=r[7], note_date=r[8].isoformat(), analysis_version=r[9],
                version=r[10], gaps=gaps.get(r[0], [])) for r in found]
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def document_row(doc: Document, gaps: list[str]) -> dict[str, Any]:
    """One document for ``queue export --what notes``."""
    return {"document_id": doc.document_id, "state": doc.state, "verdict": doc.verdict, "score": doc.score,
            "severity": SEVERITY_NAMES.get(doc.severity, "none"), "provider": doc.provider, "site": doc.site,
            "note_date": doc.note_date.isoformat(), "month": doc.month, "billed_code": doc.billed_code,
            "analysis_version": doc.analysis_version, "version": doc.version, "gaps": gaps}


def facets(session: Session) -> dict[str, list[str]]:
    """The providers, sites and gap elements present, for the filter menus."""
    def distinct(column) -> list[str]:
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]

    return {"provider": distinct(Document.provider), "site": distinct(Document.site),
            "missing": distinct(Gap.element_id)}
