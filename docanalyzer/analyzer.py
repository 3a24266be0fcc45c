"""The library API: ``Analyzer`` (built once, reused) and ``analyze(text)`` for one note.

``Analyzer.analyze`` never raises for a bad note: it returns a report whose ``errors`` say why
(code + message, never note text). Configuration problems (a bad checklist or rule file) do
raise, when the analyzer is built, before any note is read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from docanalyzer.assemble import build_report
from docanalyzer.checklist import load_checklist
from docanalyzer.component import DocAnalyzerComponent
from docanalyzer.diagnosis.review import DxSettings, review_without_note
from docanalyzer.errors import ErrorCode
from docanalyzer.expansion import expand, map_back
from docanalyzer.heap import long_lived
from docanalyzer.inputs import MAX_CHARS, NoteInput, without_surrogates
from docanalyzer.normalize import normalize
from docanalyzer.pipeline.fast_matching import TEXT_KEY
from docanalyzer.pipeline.tokenizer import blank_export_aware
from docanalyzer.pipeline.tokenizer_cache import WarmTokenizer
from docanalyzer.report import ClaimType, InputInfo, Report, ReportWarning
from docanalyzer.resolve.mentions import build_view
from docanalyzer.schemas import ChecklistSpec
from docanalyzer.short_reports import error_report, screened_report
from docanalyzer.text_checks import needs_a_person, text_warnings

log = logging.getLogger("docanalyzer")


class Analyzer:
    """Builds the spaCy/medspaCy pipeline once; analyzes any number of notes with it."""

    def __init__(self, checklist: str | Path = "auto", *, max_chars: int = MAX_CHARS, screen: bool = True,
                 claim_type: ClaimType = "professional", diagnoses: bool = False,
                 coverage: str | Path | None = None) -> None:
        """``checklist="auto"`` audits each note against the checklist of its billed code, or else of
        the code its documentation supports (62302-62305, 62284, 72240-72270); an id or a file
        forces one checklist. ``screen=False`` evaluates every element even on notes with no
        myelogram, intrathecal or contrast cue at all (slower; see patterns/screening.json).
        ``diagnoses=True`` reviews ICD-10-CM diagnoses on every note (else only on notes with billed
        diagnoses); ``coverage`` is a covered-diagnosis list file (default: the illustrative one)."""
        with long_lived("pipeline"):  # (built once, it lives as long as the process: see heap.py)
            self.auto = str(checklist) == "auto"
            self.checklist: ChecklistSpec = load_checklist("62304" if self.auto else checklist)
            self.max_chars = max_chars
            self.screen = screen
            self.claim_type: ClaimType = claim_type  # a note's own claim type (a JSONL field) wins
            self.nlp = blank_export_aware()
            self.nlp.max_length = max_chars + 1
            self.component = DocAnalyzerComponent(self.nlp, "docanalyzer", checklist=str(checklist))
            # (same tokens, see pipeline/tokenizer_cache.py; set after the build, whose rule phrases need no warming)
            self.nlp.tokenizer = WarmTokenizer(self.nlp.tokenizer)
            self._checklists: dict[str, ChecklistSpec] = {str(checklist): self.checklist}
            self._checklist_ref = str(checklist)
            self.dx = DxSettings.load(always=diagnoses, coverage=coverage)
            self._dx_options = {"diagnoses": diagnoses, "coverage": str(coverage) if coverage else None}

    def _checklist(self, ref: str | Path | None) -> ChecklistSpec | None:
        """None means: choose per note (auto)."""
        if ref is None:
            return None if self.auto else self.checklist
        if str(ref) == "auto":
            return None
        key = str(ref)
        if key not in self._checklists:
            self._checklists[key] = load_checklist(ref)
        return self._checklists[key]

    def analyze(
        self,
        text: str,
        *,
        document_id: str = "doc",
        billed_code: str | None = None,
        checklist: str | Path | None = None,
        encoding: str | None = None,
        source: str | None = None,
        claim_type: ClaimType | None = None,
        billed_dx: list[str] | tuple[str, ...] | None = None,
    ) -> Report:
        """Analyze one note. Bad input yields a report with ``errors``, never an exception.
        ``billed_dx``: the claim's ICD-10-CM diagnosis codes (they start a diagnosis review)."""
        billed = list(billed_dx) if billed_dx else None
        report = self._analyze(text, document_id, billed_code, checklist, encoding, source, claim_type, billed)
        if (report.errors or report.screened_out) and self.dx.wanted(billed):
            why = "The note was not analyzed (" + (report.errors[0].code if report.errors else "no procedure cue") + \
                "): only the code set was checked."
            review, findings = review_without_note(billed or [], report.checklist.id, self.dx, why)
            code_review = report.code_review.model_copy(update={"findings": [*report.code_review.findings, *findings]})
            report = report.model_copy(update={"diagnosis_review": review, "code_review": code_review})
        return report

    def _analyze(self, text: str, document_id: str, billed_code: str | None, checklist: str | Path | None,
                 encoding: str | None, source: str | None, claim_type: ClaimType | None,
                 billed_dx: list[str] | None) -> Report:
        spec = self._checklist(checklist)
        fallback = spec or self.checklist
        claim: ClaimType = claim_type or self.claim_type  # for reports of notes that could not be analyzed
        info = InputInfo(chars=len(text) if isinstance(text, str) else 0, encoding=encoding, source=source)
        if not isinstance(text, str):
            return error_report(document_id, fallback, ErrorCode.NOT_TEXT,
                                f"expected text (str), got {type(text).__name__}", info, billed_code, claim)
        # Lone surrogates cannot be written as UTF-8 JSON; U+FFFD keeps the length (and the offsets).
        text = without_surrogates(text)
        if not text.strip():
            return error_report(document_id, fallback, ErrorCode.EMPTY_INPUT, "the note is empty", info, billed_code,
                                claim)
        if len(text) > self.max_chars:
            return error_report(document_id, fallback, ErrorCode.TOO_LARGE,
                                f"note has {len(text)} characters; the limit is {self.max_chars}", info,
                                billed_code, claim)
        try:
            expanded, origin = expand(text)  # ligatures spelled out (rare); offsets mapped back below
            report = self._analyze_text(expanded, spec, fallback, document_id, billed_code, info, claim, billed_dx)
            if origin is not None:
                report = map_back(report, text, origin)
            return with_text_warnings(report, text_warnings(text))
        except Exception as exc:  # one note must never stop a batch; no note text in the message
            log.error("analysis failed for document %s: %s", document_id, type(exc).__name__)
            return error_report(document_id, fallback, ErrorCode.INTERNAL,
                                f"internal error while analyzing ({type(exc).__name__})", info, billed_code, claim)

    def _analyze_text(self, text: str, spec: ChecklistSpec | None, fallback: ChecklistSpec, document_id: str,
                      billed_code: str | None, info: InputInfo, claim: ClaimType,
                      billed_dx: list[str] | None = None) -> Report:
        normalized = normalize(text)
        if self.screen and not self.component.rules.screening.search(normalized):
            return screened_report(document_id, fallback, info, billed_code, claim)
        doc = self.nlp.make_doc(normalized)
        doc.user_data[TEXT_KEY] = normalized
        self.component.annotate(doc)
        return build_report(build_view(doc, text), spec, document_id=document_id,
                            billed_code=billed_code, input_info=info, claim_type=claim, billed_dx=billed_dx,
                            dx=self.dx)

    def analyze_input(self, item: NoteInput, *, checklist: str | Path | None = None,
                      billed_code: str | None = None, billed_dx: list[str] | None = None) -> Report:
        """Analyze a ``NoteInput`` from ``docanalyzer.inputs`` (a file, a JSONL record, stdin); the
        record's own billed diagnoses win over ``billed_dx``."""
        billed = billed_code or item.billed_code
        diagnoses = list(item.billed_dx) if item.billed_dx is not None else billed_dx
        if item.text is None:
            spec = self._checklist(checklist) or self.checklist
            info = InputInfo(chars=0, encoding=item.encoding, source=item.source)
            failed = error_report(item.document_id, spec, item.error_code or ErrorCode.UNREADABLE,
                                  item.error_message or "unreadable input", info, billed,
                                  item.claim_type or self.claim_type)
            if not self.dx.wanted(diagnoses):
                return failed
            review, findings = review_without_note(diagnoses or [], spec.id, self.dx,
                                                   f"The note was not analyzed ({failed.errors[0].code}): only the "
                                                   "code set was checked.")
            return failed.model_copy(update={"diagnosis_review": review, "code_review": failed.code_review.model_copy(
                update={"findings": [*failed.code_review.findings, *findings]})})
        return self.analyze(item.text, document_id=item.document_id, billed_code=billed,
                            checklist=checklist, encoding=item.encoding, source=item.source,
                            claim_type=item.claim_type, billed_dx=diagnoses)

    def analyze_many(self, items: Iterable[str | NoteInput], *, checklist: str | Path | None = None,
                     billed_code: str | None = None, n_process: int = 1,
                     billed_dx: list[str] | None = None) -> Iterator[Report]:
        """Stream reports in input order; plain strings get ids "doc-1", "doc-2", ...

        ``n_process > 1`` spreads the notes over that many worker processes (each builds its own
        pipeline once); results still come back in input order.
        """
        if n_process > 1:
            from docanalyzer.parallel import analyze_parallel

            inherit = self if checklist is None or str(checklist) == self._checklist_ref else None
            yield from analyze_parallel(items, workers=n_process, checklist=checklist or self._checklist_ref,
                                        billed_code=billed_code, screen=self.screen, analyzer=inherit,
                                        claim_type=self.claim_type, analyzer_class=type(self),
                                        billed_dx=billed_dx, analyzer_options=self._dx_options)
            return
        for index, item in enumerate(items, start=1):
            if isinstance(item, NoteInput):
                yield self.analyze_input(item, checklist=checklist, billed_code=billed_code, billed_dx=billed_dx)
            else:
                yield self.analyze(item, document_id=f"doc-{index}", billed_code=billed_code,
                                   checklist=checklist, billed_dx=billed_dx)


def with_text_warnings(report: Report, warnings: list[ReportWarning]) -> Report:
    """The report with its text warnings; text that displays otherwise than it is read needs a person."""
    if not warnings:
        return report
    update: dict = {"warnings": warnings}
    if needs_a_person(warnings) and report.verdict not in ("error", "not_applicable"):
        update["verdict"] = "needs_review"
    return report.model_copy(update=update)


@lru_cache(maxsize=4)
def default_analyzer(checklist: str = "auto") -> Analyzer:
    return Analyzer(checklist)


def analyze(text: str, *, document_id: str = "doc", billed_code: str | None = None,
            checklist: str = "auto") -> Report:
    """Analyze one note with a shared, lazily built analyzer."""
    return default_analyzer(checklist).analyze(text, document_id=document_id, billed_code=billed_code)
