"""The reports of notes that were not analyzed in full: a note that failed (``error_report``) and a
note with no procedure cue at all (``screened_report``). Every input yields one report, so these are
built wherever a note stops: in the analyzer, and in the parent of a worker that died."""

from __future__ import annotations

from docanalyzer.coding import review_codes
from docanalyzer.errors import ErrorCode
from docanalyzer.report import ChecklistRef, ClaimType, InputInfo, Report, ReportError, Verdict
from docanalyzer.resolve.procedure import ProcedureAssessment
from docanalyzer.schemas import ChecklistSpec
from docanalyzer.version import __version__


def error_report(document_id: str, checklist: ChecklistSpec, code: ErrorCode, message: str,
                 info: InputInfo, billed_code: str | None = None, claim_type: ClaimType = "professional") -> Report:
    """The one result a failed note still gets, so a batch never loses a document."""
    return _short_report(document_id, checklist, info, billed_code, claim_type, verdict="error",
                         errors=[ReportError(code=code.value, message=message)])


def screened_report(document_id: str, checklist: ChecklistSpec, info: InputInfo,
                    billed_code: str | None = None, claim_type: ClaimType = "professional") -> Report:
    """A note with no procedure cue at all: the checklist does not apply; nothing else to evaluate."""
    return _short_report(document_id, checklist, info, billed_code, claim_type, verdict="not_applicable",
                         screened_out=True)


def _short_report(document_id: str, checklist: ChecklistSpec, info: InputInfo, billed_code: str | None,
                  claim_type: ClaimType, *, verdict: Verdict, errors: list[ReportError] | None = None,
                  screened_out: bool = False) -> Report:
    nothing_done = ProcedureAssessment(status="not_documented", regions=[], intrathecal_access=False,
                                       c12_puncture=False, ct_read_in_note=False)
    return Report(
        document_id=document_id,
        docanalyzer_version=__version__,
        checklist=ChecklistRef(id=checklist.id, version=checklist.version, title=checklist.title),
        procedure_status="not_documented",
        regions=[],
        elements=[],
        findings=[],
        score=0.0,
        verdict=verdict,
        medical_necessity=None,
        code_review=review_codes(nothing_done, billed_code, claim_type=claim_type),
        errors=errors or [],
        screened_out=screened_out,
        input=info,
    )
