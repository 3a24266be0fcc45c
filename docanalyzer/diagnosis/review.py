"""The diagnosis review of one note: billed codes checked, codes suggested, coverage, query drafts.

It runs when a note has billed diagnoses or the review is asked for (``--diagnoses``), so a run that
needs no diagnoses never loads the code set. Its problems are also code-review findings (DX0xx), so
worklists that route on ``code_review.findings`` see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docanalyzer.diagnosis.codeset import CODE_SET
from docanalyzer.diagnosis.extract import find_mentions
from docanalyzer.diagnosis.mapping import CoverageList, DiagnosisMapping, load_coverage, load_mapping
from docanalyzer.diagnosis.suggest import Gap, suggest_diagnoses
from docanalyzer.diagnosis.support import check_billed
from docanalyzer.report import BilledDxCheck, CodeFinding, DiagnosisReview, DxQuery, Severity
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment

# status -> (rule id, severity) of the code-review finding it raises
_FINDINGS: dict[str, tuple[str, Severity]] = {
    "invalid": ("DX001_INVALID_CODE", "error"),
    "not_billable": ("DX002_NOT_BILLABLE", "error"),
    "unsupported": ("DX003_UNSUPPORTED", "warning"),
    "more_specific_available": ("DX004_MORE_SPECIFIC", "warning"),
    "conflicting": ("DX005_CONFLICTING", "warning"),
}
NOT_COVERED = "DX006_NOT_COVERED"
_ICD_REGION = {"cervical": "cervical", "thoracic": "thoracic", "lumbosacral": "lumbar"}


@dataclass(frozen=True)
class DxSettings:
    """The validated mapping and coverage list; ``always``: review notes without billed diagnoses too."""

    mapping: DiagnosisMapping
    coverage: CoverageList | None
    always: bool = False

    @classmethod
    def load(cls, *, always: bool = False, coverage: str | Path | None = None) -> DxSettings:
        """Validated now (a bad file stops the run before any note is read); the code set loads later."""
        return cls(mapping=load_mapping(), coverage=load_coverage(coverage), always=always)

    def wanted(self, billed: list[str] | None) -> bool:
        return self.always or bool(billed)


def default_region(procedure: ProcedureAssessment) -> str | None:
    """The region a note is about, for a condition stated without one: the myelogram's single region."""
    regions = procedure.regions or procedure.intended_regions or []
    return _ICD_REGION[regions[0]] if len(regions) == 1 else None


def review_diagnoses(view: NoteView, procedure: ProcedureAssessment, billed: list[str], checklist_id: str,
                     settings: DxSettings) -> tuple[DiagnosisReview, list[CodeFinding]]:
    mentions = find_mentions(view, settings.mapping, default_region(procedure))
    suggestion = suggest_diagnoses(view, settings.mapping, mentions)
    checks = check_billed(billed, suggestion.codes, mentions, settings.mapping)
    queries = [_query(view, settings.mapping, gap) for gap in suggestion.gaps]
    return _finish(checks, suggestion.codes, queries, checklist_id, settings)


def review_without_note(billed: list[str], checklist_id: str, settings: DxSettings,
                        why: str) -> tuple[DiagnosisReview, list[CodeFinding]]:
    """For a note that was not analyzed (an error, no procedure cue): the codes checked against the code
    set only."""
    checks = []
    for check in check_billed(billed, [], [], settings.mapping):
        if check.status in ("unsupported", "conflicting", "more_specific_available", "supported"):
            check = check.model_copy(update={"status": "not_reviewed", "message": why, "alternatives": [],
                                             "evidence": []})
        checks.append(check)
    return _finish(checks, [], [], checklist_id, settings)


def _finish(checks: list[BilledDxCheck], suggested, queries: list[DxQuery], checklist_id: str,
            settings: DxSettings) -> tuple[DiagnosisReview, list[CodeFinding]]:
    findings = [CodeFinding(rule_id=_FINDINGS[c.status][0], severity=_severity(c),
                            message=f"Diagnosis {c.code}: {c.message}", evidence=c.evidence[:2])
                for c in checks if c.status in _FINDINGS]
    coverage = settings.coverage if settings.coverage and checklist_id in settings.coverage.applies_to else None
    covered = None
    if coverage is not None and checks:
        covered = any(c.status not in ("invalid",) and coverage.covers(c.code.strip().upper()) for c in checks)
        if not covered:
            note = " (an illustrative list, not a payer's policy)" if coverage.illustrative else ""
            findings.append(CodeFinding(
                rule_id=NOT_COVERED, severity="warning",
                message=f"None of the claim's diagnoses ({', '.join(c.code for c in checks)}) is on the covered-"
                f"diagnosis list {coverage.id}{note} for this procedure: review medical necessity before billing."))
    review = DiagnosisReview(code_set=CODE_SET, billed=checks, suggested=suggested,
                             coverage=coverage.id if coverage else None, covered=covered, queries=queries)
    return review, findings


def _severity(check: BilledDxCheck) -> Severity:
    if check.status == "more_specific_available" and check.alternatives and "category" in check.message:
        return "error"  # a category is not billable, whatever else the note supports
    return _FINDINGS[check.status][1]


def _query(view: NoteView, mapping: DiagnosisMapping, gap: Gap) -> DxQuery:
    name = mapping.concept(gap.concept).name
    text = getattr(mapping.queries, gap.need).format(name=name)
    return DxQuery(concept=gap.concept, question=text, indicators=[view.clause(gap.evidence)])
