"""What a report shows a person, decided once for the text report and the HTML page.

``note_view(report, text, index)`` turns a ``Report`` into a ``NoteView``: plain, frozen data with
the labels, the order and the conditions already settled (which facts, banners, checklist rows,
codes, billed-code findings, diagnosis lines and query drafts a note gets, and how each is called).
``output/text.py`` lays a ``NoteView`` out as terminal lines and ``output/templates/`` as HTML; they
only choose their layout and shorten quotes to fit. Nothing here is escaped or coloured: the
templates escape everything they are given, and the text report passes note text through
``printable()``.

``BatchTally`` holds the counts kept while notes stream past, for both batch summaries.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from docanalyzer.report import DiagnosisReview, ElementResult, Evidence, Report

VERDICTS = ("complete", "needs_query", "deficient", "needs_review", "not_applicable", "error")
SCORED = ("complete", "needs_query", "deficient")
VERDICT_LABEL = {
    "complete": "Complete",
    "needs_query": "Needs query",
    "deficient": "Deficient",
    "needs_review": "Needs review",
    "not_applicable": "Not applicable",
    "error": "Not analyzed",
}
VERDICT_HELP = {
    "complete": "Every required element is documented.",
    "needs_query": "A required element is missing or incomplete; send a physician query.",
    "deficient": "The note does not support the code as written; hold the claim.",
    "needs_review": "Whether a myelogram was done here is uncertain; a person must look.",
    "not_applicable": "No myelogram in this note; the checklist does not apply.",
    "error": "The note could not be analyzed.",
}
ASSERTION_LABEL = {
    "affirmed": "not counted here",
    "negated": "negated",
    "possible": "uncertain",
    "hypothetical": "planned/hypothetical",
    "historical": "historical",
    "family": "family history",
    "template_blank": "blank template field",
}
STATUS_LABEL = {"documented": "Documented", "incomplete": "Incomplete", "missing": "Missing"}
SCORE_BINS = ("0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–99", "100")


def label(identifier: str) -> str:
    """An id as words: ``mri_contraindication`` -> ``mri contraindication``."""
    return identifier.replace("_", " ")


def slug(value: str) -> str:
    """A string usable in an element id (the anchors of checklist rows)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


# --- evidence and where it is highlighted ------------------------------------------------------------

@dataclass
class Span:
    """One highlighted stretch of the note; identical (start, end) evidence is merged into one span."""

    start: int
    end: int
    anchor: str
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (element_id, kind, assertion)

    @property
    def kind(self) -> str:
        kinds = {kind for _, kind, _ in self.roles}
        return "ev" if "ev" in kinds else "inc" if "inc" in kinds else "disc"

    @property
    def label(self) -> str:
        parts: list[str] = []
        counted = {element_id for element_id, kind, _ in self.roles if kind != "disc"}
        for element_id, kind, assertion in self.roles:
            if kind == "disc" and element_id in counted:
                continue  # the same words also count for this element: say so once
            text = label(element_id)
            if kind == "disc":
                text += f": {ASSERTION_LABEL.get(assertion, assertion)}"
            elif kind == "inc":
                text += ": incomplete"
            if text not in parts:
                parts.append(text)
        return " · ".join(parts)

    @property
    def css(self) -> str:
        kind = self.kind
        negated = kind == "disc" and any(a == "negated" for _, k, a in self.roles if k == "disc")
        return kind + (" neg" if negated else "")


def _evidence_kind(element: ElementResult) -> str:
    return "inc" if element.status == "incomplete" else "ev"


def collect_spans(report: Report, text: str, prefix: str) -> tuple[list[Span], dict[tuple[int, int], Span]]:
    """The element evidence and discounted mentions that really sit in ``text``, merged by offsets."""
    by_offsets: dict[tuple[int, int], Span] = {}
    for element in report.elements:
        for kind, items in ((_evidence_kind(element), element.evidence), ("disc", element.discounted)):
            for ev in items:
                if not (0 <= ev.start < ev.end <= len(text)) or text[ev.start:ev.end] != ev.text:
                    continue
                span = by_offsets.setdefault((ev.start, ev.end), Span(ev.start, ev.end, ""))
                role = (element.id, kind, ev.assertion)
                if role not in span.roles:
                    span.roles.append(role)
    spans = sorted(by_offsets.values(), key=lambda s: (s.start, -s.end))
    for number, span in enumerate(spans, start=1):
        span.anchor = f"{prefix}-s{number}"
    return spans, by_offsets


@dataclass(frozen=True)
class Quote:
    """One piece of evidence as shown: its words, where they are, and how they count."""

    text: str
    start: int
    end: int
    section: str | None
    assertion: str
    discount_reason: str | None
    kind: str
    """``ev`` counts, ``inc`` counts for an incomplete element, ``disc`` is not counted."""
    anchor: str | None
    """The id of its highlight in the note text (None: the text is not shown, or the words are not in it)."""

    @property
    def assertion_label(self) -> str:
        return ASSERTION_LABEL.get(self.assertion, self.assertion)

    @property
    def why_not_counted(self) -> str:
        return self.discount_reason or self.assertion

    @property
    def where(self) -> str:
        return f"characters {self.start}–{self.end}" + (f", section {self.section}" if self.section else "")


def _quotes(items: list[Evidence], kind: str, spans: dict[tuple[int, int], Span]) -> tuple[Quote, ...]:
    def anchor(ev: Evidence) -> str | None:
        span = spans.get((ev.start, ev.end))
        return span.anchor if span is not None else None

    return tuple(Quote(ev.text, ev.start, ev.end, ev.section, ev.assertion, ev.discount_reason, kind, anchor(ev))
                 for ev in items)


# --- the parts of one note ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """An error (the note was not analyzed) or a warning (check the original text)."""

    code: str
    message: str


@dataclass(frozen=True)
class Value:
    """A value read for an element (a level, a volume); a list value keeps its items apart."""

    key: str
    items: tuple[str, ...]

    @property
    def label(self) -> str:
        return label(self.key)


def _value(key: str, value: object) -> Value:
    if isinstance(value, list):
        return Value(key, tuple(str(v) for v in value))
    if isinstance(value, float) and value.is_integer():
        return Value(key, (str(int(value)),))
    return Value(key, (str(value),))


@dataclass(frozen=True)
class ElementRow:
    """One checklist element: its status, the evidence for it and what was not counted."""

    id: str
    name: str
    status: str
    required: bool
    waived: bool
    weight: float
    reason: str
    anchor: str
    evidence: tuple[Quote, ...]
    discounted: tuple[Quote, ...]
    values: tuple[Value, ...]

    @property
    def status_label(self) -> str:
        return "not asked for" if self.waived else STATUS_LABEL[self.status]

    @property
    def requirement(self) -> str:
        return "not asked for" if self.waived else ("required" if self.required else "optional")

    @property
    def gap(self) -> bool:
        """A required element not documented: what the worklist and the batch summaries point at."""
        return self.required and self.status != "documented"

    @property
    def explain(self) -> bool:
        """The full view (HTML) gives the reason when the element is not documented or has no evidence."""
        return self.status != "documented" or not self.evidence

    @property
    def discounted_matters(self) -> bool:
        """The terse view (text) lists discounted mentions only where they may explain a gap."""
        return bool(self.discounted) and self.status != "documented" and not self.waived


def _element_row(element: ElementResult, prefix: str, spans: dict[tuple[int, int], Span]) -> ElementRow:
    return ElementRow(
        id=element.id, name=element.name, status=element.status, required=element.required, waived=element.waived,
        weight=element.weight, reason=element.reason, anchor=f"{prefix}-el-{slug(element.id)}",
        evidence=_quotes(element.evidence, _evidence_kind(element), spans),
        discounted=_quotes(element.discounted, "disc", spans),
        values=tuple(_value(key, value) for key, value in element.values.items()),
    )


@dataclass(frozen=True)
class CodeLine:
    """A suggested code or modifier with what it means and why."""

    code: str
    description: str
    reason: str
    modifier: bool = False


@dataclass(frozen=True)
class CodeFindingLine:
    """A billed-code finding of the code review."""

    rule_id: str
    severity: str
    message: str
    evidence: tuple[Quote, ...]


@dataclass(frozen=True)
class Billing:
    """The billed code and the findings about it (shown when a code was billed or a rule spoke)."""

    billed_code: str | None
    findings: tuple[CodeFindingLine, ...]

    @property
    def billed_text(self) -> str:
        return self.billed_code or "not given"


def _billing(report: Report, spans: dict[tuple[int, int], Span]) -> Billing | None:
    review = report.code_review
    if not (review.billed_code or review.findings):
        return None
    findings = tuple(CodeFindingLine(f.rule_id, f.severity, f.message, _quotes(f.evidence, "ev", spans))
                     for f in review.findings)
    return Billing(review.billed_code, findings)


@dataclass(frozen=True)
class FindingLine:
    """A clinical finding and how it is asserted."""

    concept: str
    assertion: str

    @property
    def label(self) -> str:
        return label(self.concept)


@dataclass(frozen=True)
class Necessity:
    """The medical-necessity rule's answer."""

    met: bool
    explanation: str

    @property
    def state(self) -> str:
        return "met" if self.met else "not met"


@dataclass(frozen=True)
class QueryView:
    """A physician query draft: the element it asks about, what the note says, the question."""

    element_id: str
    name: str
    status: str
    question: str
    indicators: tuple[Quote, ...]

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The question's lines that are not answer options."""
        lines = (line.strip() for line in self.question.splitlines())
        return tuple(line for line in lines if line and not line.startswith("- "))

    @property
    def options(self) -> tuple[str, ...]:
        """The answer options (the question's ``- `` lines), without their dash."""
        lines = (line.strip() for line in self.question.splitlines())
        return tuple(line[2:] for line in lines if line.startswith("- "))


def _queries(report: Report) -> tuple[QueryView, ...]:
    names = {e.id: e.name for e in report.elements}
    return tuple(QueryView(q.element_id, names.get(q.element_id, label(q.element_id)), q.status, q.question,
                           _quotes(q.indicators, "ev", {}))
                 for q in report.queries)


# --- the diagnosis review ------------------------------------------------------------------------------

@dataclass(frozen=True)
class DxCodeLine:
    """A diagnosis code the documentation supports."""

    code: str
    description: str
    reason: str
    evidence: tuple[Quote, ...]


@dataclass(frozen=True)
class DxCheckLine:
    """A billed diagnosis code checked against the code set and the note."""

    code: str
    status: str
    message: str
    alternatives: tuple[str, ...]

    @property
    def severity(self) -> str:
        return "info" if self.status in ("supported", "not_reviewed") else "warning"


@dataclass(frozen=True)
class DxQueryLine:
    """A diagnosis query draft."""

    concept: str
    question: str
    indicators: tuple[Quote, ...]

    @property
    def lines(self) -> list[str]:
        return self.question.splitlines()


@dataclass(frozen=True)
class DiagnosisView:
    """The ICD-10-CM review of one note."""

    code_set: str
    suggested: tuple[DxCodeLine, ...]
    billed: tuple[DxCheckLine, ...]
    coverage: str | None
    covered: bool | None
    queries: tuple[DxQueryLine, ...]

    @property
    def coverage_state(self) -> str | None:
        """``covered`` / ``not covered`` when a coverage list was applied and answered, else None."""
        if self.coverage is None or self.covered is None:
            return None
        return "covered" if self.covered else "not covered"


def diagnosis_view(review: DiagnosisReview | None) -> DiagnosisView | None:
    if review is None:
        return None
    return DiagnosisView(
        code_set=review.code_set,
        suggested=tuple(DxCodeLine(c.code, c.description, c.reason, _quotes(c.evidence, "ev", {}))
                        for c in review.suggested),
        billed=tuple(DxCheckLine(c.code, c.status, c.message, tuple(c.alternatives)) for c in review.billed),
        coverage=review.coverage, covered=review.covered,
        queries=tuple(DxQueryLine(q.concept, q.question, _quotes(q.indicators, "ev", {})) for q in review.queries),
    )


# --- one note ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoteView:
    """Everything a person is shown about one note, in the order it is shown."""

    index: int
    """1-based position in the batch."""
    anchor: str
    """The note's id in the HTML page (``n<index>``); its rows and highlights are ids under it."""
    document_id: str
    verdict: str
    score: float
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    procedure_status: str
    regions: tuple[str, ...]
    why: str | None
    """Why the procedure is uncertain or not documented, when signals were weighed."""
    suggested: tuple[CodeLine, ...]
    modifiers: tuple[CodeLine, ...]
    facts: tuple[tuple[str, str], ...]
    rows: tuple[ElementRow, ...]
    findings: tuple[FindingLine, ...]
    necessity: Necessity | None
    billing: Billing | None
    diagnoses: DiagnosisView | None
    queries: tuple[QueryView, ...]
    text: str | None
    """The note text as given (None when not at hand)."""
    spans: tuple[Span, ...]
    """The evidence highlighted in ``text``, in order."""

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABEL[self.verdict]

    @property
    def verdict_help(self) -> str:
        return VERDICT_HELP[self.verdict]

    @property
    def score_text(self) -> str:
        return f"{self.score:g}"

    @property
    def procedure_label(self) -> str:
        return label(self.procedure_status)

    @property
    def regions_text(self) -> str:
        return ", ".join(self.regions) or "none"

    @property
    def codes_text(self) -> str:
        return ", ".join(c.code for c in self.suggested) or "none supported"

    @property
    def modifiers_text(self) -> str:
        return ", ".join(m.code for m in self.modifiers)

    @property
    def text_shown(self) -> bool:
        return self.text is not None and not self.errors

    @property
    def gaps(self) -> tuple[ElementRow, ...]:
        return tuple(row for row in self.rows if row.gap)


def note_view(report: Report, text: str | None = None, index: int = 1) -> NoteView:
    """What to show of ``report``; ``text`` is the note its offsets point into (None: not at hand)."""
    prefix = f"n{index}"
    spans, by_offsets = collect_spans(report, text, prefix) if text is not None and not report.errors else ([], {})
    review = report.code_review
    necessity = report.medical_necessity
    return NoteView(
        index=index, anchor=prefix, document_id=report.document_id, verdict=report.verdict, score=report.score,
        errors=tuple(Problem(e.code, e.message) for e in report.errors),
        warnings=tuple(Problem(w.code, w.message) for w in report.warnings),
        procedure_status=report.procedure_status, regions=tuple(report.regions), why=_why(report),
        suggested=tuple(CodeLine(c.code, c.description, c.reason) for c in review.suggested_codes),
        modifiers=tuple(CodeLine(m.code, m.description, m.reason, modifier=True) for m in review.modifiers),
        facts=_facts(report),
        rows=tuple(_element_row(element, prefix, by_offsets) for element in report.elements),
        findings=tuple(FindingLine(f.concept, f.assertion) for f in report.findings),
        necessity=Necessity(necessity.met, necessity.explanation) if necessity is not None else None,
        billing=_billing(report, by_offsets), diagnoses=diagnosis_view(report.diagnosis_review),
        queries=_queries(report), text=text, spans=tuple(spans),
    )


def _why(report: Report) -> str | None:
    decision = report.procedure_decision
    if decision is not None and report.procedure_status in {"uncertain", "not_documented"} and decision.signals:
        return decision.reasons[0]
    return None


def _facts(report: Report) -> tuple[tuple[str, str], ...]:
    """The note's key facts, as (label, value) pairs (the HTML page's line under the heading)."""
    review = report.code_review
    facts = _analysis_facts(report) if report.verdict != "error" else []
    if review.billed_code:
        facts.append(("Billed", review.billed_code))
    if report.medical_necessity is not None:
        facts.append(("Medical necessity", "met" if report.medical_necessity.met else "not met"))
    facts.append(("Checklist", f"{report.checklist.id} v{report.checklist.version}"))
    if report.input.chars:
        facts.append(("Length", f"{report.input.chars:,} chars"))
    return tuple(facts)


def _analysis_facts(report: Report) -> list[tuple[str, str]]:
    """What the analysis found: the procedure, the regions, the codes it supports."""
    review = report.code_review
    facts = [("Procedure", label(report.procedure_status)), ("Regions", ", ".join(report.regions) or "none"),
             ("Suggested codes", ", ".join(c.code for c in review.suggested_codes) or "none supported")]
    if review.modifiers:
        facts.append(("Modifiers", ", ".join(m.code for m in review.modifiers)))
    return facts


# --- the batch -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorklistRow:
    """One note in the batch's worklist (kept while the batch streams, rendered when it ends)."""

    index: int
    anchor: str
    document_id: str
    procedure: str
    verdict: str
    score_text: str
    gaps: tuple[tuple[str, str], ...]
    """(row anchor, element id) of each required element not documented."""
    error_codes: str
    queries: int
    page: str = ""
    """The page file the note is on when notes are paged (links become ``page#anchor``), else empty."""

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABEL[self.verdict]

    @property
    def scored(self) -> bool:
        return self.verdict in SCORED


def worklist_row(note: NoteView) -> WorklistRow:
    return WorklistRow(
        index=note.index, anchor=note.anchor, document_id=note.document_id, procedure=note.procedure_label,
        verdict=note.verdict, score_text="—" if note.verdict == "error" else note.score_text,
        gaps=tuple((row.anchor, row.id) for row in note.gaps), error_codes="; ".join(e.code for e in note.errors),
        queries=len(note.queries),
    )


@dataclass(frozen=True)
class Tile:
    """One number of the batch summary."""

    css: str
    number: str
    label: str


class BatchTally:
    """Counts kept while notes stream past, for the batch summaries (text and HTML).

    Memory is bounded by the number of distinct elements and checklists, not by the number of notes.
    """

    def __init__(self) -> None:
        self.notes = 0
        self.verdicts: Counter[str] = Counter()
        self.queries = 0
        self.checklists: dict[str, str] = {}  # "id vVersion" -> title
        self.scored = 0
        self.score_sum = 0.0
        self.bins = [0] * len(SCORE_BINS)
        self.missing: Counter[str] = Counter()  # element id -> scored notes where it is missing
        self.incomplete: Counter[str] = Counter()
        self.required: dict[str, bool] = {}
        self.not_documented: Counter[str] = Counter()  # required elements only

    def add(self, report: Report) -> None:
        self.notes += 1
        self.verdicts[report.verdict] += 1
        self.queries += len(report.queries)
        ref = report.checklist
        self.checklists.setdefault(f"{ref.id} v{ref.version}", ref.title)
        if report.verdict not in SCORED:
            return
        self.scored += 1
        self.score_sum += report.score
        self.bins[min(int(report.score // 10), 10)] += 1
        self.not_documented.update(e.id for e in report.elements if e.required and e.status != "documented")
        for element in report.elements:
            self.required.setdefault(element.id, element.required)
            if element.status == "missing":
                self.missing[element.id] += 1
            elif element.status == "incomplete":
                self.incomplete[element.id] += 1

    @property
    def checklist_text(self) -> str:
        return "; ".join(f"{ref} — {title}" for ref, title in self.checklists.items()) or "—"

    def tiles(self) -> tuple[Tile, ...]:
        scored = self.scored
        mean = f"{self.score_sum / scored:.1f}" if scored else "—"
        return (
            Tile("", str(self.notes), "notes in this batch"),
            Tile("", mean, f"mean score of {scored} scored note{'s' if scored != 1 else ''}"),
            Tile("t-complete", str(self.verdicts["complete"]), "complete"),
            Tile("t-needs_query", str(self.verdicts["needs_query"]), "need a physician query"),
            Tile("t-deficient", str(self.verdicts["deficient"]), "deficient"),
            Tile("t-needs_review", str(self.verdicts["needs_review"]), "need a person to review"),
            Tile("", str(self.verdicts["not_applicable"]), "checklist not applicable"),
            Tile("t-error", str(self.verdicts["error"]), "could not be analyzed"),
            Tile("", str(self.queries), "query drafts"),
        )
