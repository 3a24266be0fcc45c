"""What the queue keeps of one analyzed note, computed from the report without touching a database.

The worklist sorts on what blocks billing (``BLOCKING``: a note that could not be analyzed first,
then deficient, needs review, needs a query; complete and not-applicable notes last), then the worst
code-review finding, then the score. When note text is not kept, the stored report carries offsets
and a hash in place of every quoted span, so no note text reaches the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from docanalyzer.report import Report

BLOCKING = {"error": 0, "deficient": 1, "needs_review": 2, "needs_query": 3, "complete": 4, "not_applicable": 5}
SEVERITY = {"info": 1, "warning": 2, "error": 3}
SEVERITY_NAMES = {0: "none", 1: "info", 2: "warning", 3: "error"}
STATES = ("open", "held", "query_sent", "released")
STATE_RANK = {state: rank for rank, state in enumerate(STATES)}
ACTIONS = {"release": "released", "hold": "held", "query_sent": "query_sent", "comment": None}
"""Decision actions and the state each leads to (a comment leaves the state as it is)."""


@dataclass(frozen=True)
class NoteMeta:
    """What the input says about a note beyond its text (all optional)."""

    provider: str | None = None
    site: str | None = None
    service_date: date | None = None
    billed_code: str | None = None


@dataclass(frozen=True)
class Entry:
    """One analyzed note, ready to store."""

    document_id: str
    text_hash: str
    text: str | None
    text_chars: int
    report_json: str
    verdict: str
    score: float
    severity: int
    blocking: int
    gaps: dict[str, str]
    analyzer_version: str
    checklist_id: str
    checklist_version: str
    rules_version: str
    meta: NoteMeta = field(default_factory=NoteMeta)

    @property
    def engine(self) -> str:
        versions = "\0".join((self.analyzer_version, self.checklist_id, self.checklist_version, self.rules_version))
        return hashlib.sha256(versions.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def rules_version() -> str:
    """The hash of the shipped rule files (computed once per process: it reads every file)."""
    from docanalyzer.resources import rules_fingerprint

    return rules_fingerprint()


def text_hash(text: str | None) -> str:
    """SHA-256 of the note text (of nothing when the note could not be read)."""
    data = (text or "").encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def entry_for(report: Report, text: str | None, meta: NoteMeta | None = None, *, keep_text: bool = True) -> Entry:
    """The stored form of one report; ``keep_text=False`` keeps only the text's hash and offsets."""
    data = report.model_dump(mode="json")
    if not keep_text:
        data = redact(data)
    gaps = {e.id: e.status for e in report.elements
            if e.required and e.status != "documented" and report.verdict not in ("not_applicable", "error")}
    worst = max((SEVERITY.get(f.severity, 0) for f in report.code_review.findings), default=0)
    return Entry(
        document_id=report.document_id, text_hash=text_hash(text), text=text if keep_text else None,
        text_chars=len(text or ""), report_json=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        verdict=report.verdict, score=report.score, severity=worst, blocking=BLOCKING[report.verdict], gaps=gaps,
        analyzer_version=report.docanalyzer_version, checklist_id=report.checklist.id,
        checklist_version=report.checklist.version, rules_version=rules_version(),
        meta=meta or NoteMeta(billed_code=report.code_review.billed_code),
    )


def redact(node: Any) -> Any:
    """The report without note text: every evidence span's text replaced by its offsets (``@start-end``)
    and the values extracted from the note (level, agent, devices, treatments...) dropped. Statuses,
    verdict, score, codes and query drafts stay."""
    if isinstance(node, list):
        return [redact(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: redact(value) for key, value in node.items()}
    if {"text", "start", "end"} <= out.keys() and isinstance(out["text"], str):
        out["text"] = f"@{out['start']}-{out['end']}"
    if isinstance(out.get("values"), dict):
        out["values"] = {}
    return out


def meta_of(item: Any) -> NoteMeta:
    """The labels an input carries (``NoteInput``: JSONL fields, a FHIR DocumentReference's author,
    custodian and date)."""
    return NoteMeta(provider=getattr(item, "provider", None), site=getattr(item, "site", None),
                    service_date=parse_date(getattr(item, "service_date", None)),
                    billed_code=getattr(item, "billed_code", None))


def now() -> datetime:
    return datetime.now(timezone.utc)


def parse_date(value: object) -> date | None:
    """A date from ``YYYY-MM-DD`` or an ISO date-time (FHIR ``date``, ``period.start``); else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
