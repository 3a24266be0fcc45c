"""Report assembly: from a note's ``NoteView`` to its ``Report``.

The order is the flow of DESIGN.md after the pipeline: the procedure decision, the checklist (the
billed code's, else the supported code's), element statuses with evidence, findings, the score and
verdict, the code review, and the physician query drafts. The spaCy component calls this once per
note; nothing here touches spaCy objects.
"""

from __future__ import annotations

from docanalyzer.checklist import checklist_for_code, load_checklist, score_elements
from docanalyzer.coding import review_codes, suggest_codes
from docanalyzer.coding.billed import parse_billed
from docanalyzer.diagnosis.review import DxSettings, review_diagnoses
from docanalyzer.report import ChecklistRef, ClaimType, ElementResult, Evidence, InputInfo, PhysicianQuery, Report
from docanalyzer.resolve import elements as element_resolver
from docanalyzer.resolve import evidence_rules
from docanalyzer.resolve.discontinued import apply_waivers, waived_elements
from docanalyzer.resolve.findings import resolve_findings
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment, assess
from docanalyzer.schemas import ChecklistSpec
from docanalyzer.version import __version__

AUTO = "auto"


def select_checklist(procedure: ProcedureAssessment, billed_code: str | None) -> str:
    """The checklist to audit against: the billed code's, else the code the documentation supports."""
    for billed in parse_billed(billed_code):
        found = checklist_for_code(billed.code)
        if found:
            return found
    for code in suggest_codes(procedure):
        found = checklist_for_code(code.code)
        if found:
            return found
    return "62304"


def build_report(
    view: NoteView,
    checklist: ChecklistSpec | None,
    *,
    document_id: str,
    billed_code: str | None,
    input_info: InputInfo,
    claim_type: ClaimType = "professional",
    billed_dx: list[str] | None = None,
    dx: DxSettings | None = None,
) -> Report:
    """Procedure status -> (checklist choice) -> element resolution -> scoring -> code review
    (-> diagnosis review, when ``dx`` wants one for this note).

    ``checklist=None`` picks the checklist from the billed code, else from the procedure found."""
    procedure = assess(view, _interpretation_evidence(checklist or load_checklist("62304"), view))
    if checklist is None:
        checklist = load_checklist(select_checklist(procedure, billed_code))
    elements = element_resolver.resolve_elements(checklist, view, procedure)
    waived = waived_elements(checklist, view, procedure)
    elements = apply_waivers(elements, waived)
    scored = score_elements(checklist, elements, procedure.status, waived=set(waived))
    code_review = review_codes(procedure, billed_code, view=view, elements=elements, claim_type=claim_type)
    diagnosis_review = None
    if dx is not None and dx.wanted(billed_dx):
        diagnosis_review, dx_findings = review_diagnoses(view, procedure, list(billed_dx or []), checklist.id, dx)
        code_review = code_review.model_copy(update={"findings": [*code_review.findings, *dx_findings]})
    return Report(
        document_id=document_id,
        docanalyzer_version=__version__,
        checklist=ChecklistRef(id=checklist.id, version=checklist.version, title=checklist.title),
        procedure_status=procedure.status,
        procedure_evidence=procedure.evidence + procedure.abort_evidence,
        procedure_decision=procedure.decision,
        regions=procedure.regions,
        elements=elements,
        findings=resolve_findings(view),
        score=scored.score,
        verdict=scored.verdict,
        medical_necessity=scored.necessity,
        code_review=code_review,
        queries=(draft_queries(checklist, elements, procedure, view, waived=set(waived))
                 if procedure.status != "not_documented" else []),
        errors=[],
        input=input_info,
        diagnosis_review=diagnosis_review,
    )


def _interpretation_evidence(checklist: ChecklistSpec, view: NoteView) -> list[Evidence] | None:
    """What documents the images' interpretation (the checklist's own rule), or None."""
    spec = next((e for e in checklist.elements if e.id == "interpretation"), None)
    if spec is None:
        found = evidence_rules.section_body_evidence(view, ["findings", "impression"])
        return found or None
    status, supporting, sections, _ = element_resolver.raw_status(spec, view)
    return [view.quote(m) for m in supporting] + sections if status == "documented" else None


def draft_queries(checklist: ChecklistSpec, elements: list[ElementResult], procedure: ProcedureAssessment,
                  view: NoteView | None = None, *, waived: set[str] = frozenset()) -> list[PhysicianQuery]:
    """One query per undocumented element that the score depends on: a required element, or a
    member of a required group that no member satisfies. Never for what a discontinued procedure's
    note says was not done (``waived``), nor for what only the billed code asks when the fix is to
    recode (an injection-only note: its regions and interpretation belong to the S&I it did not do).
    Each quotes the note text that prompted it; options follow the access route."""
    recode = {"region_imaged", "interpretation"} if procedure.status == "injection_only" else set()
    access = "c1c2" if procedure.c12_puncture else None
    text = {spec.id: spec.query_by_access.get(access, spec.query) if access else spec.query
            for spec in checklist.elements if spec.query and spec.id not in waived | recode}
    status = {e.id: e.status for e in elements}
    wanted = {spec.id for spec in checklist.elements if spec.required}
    for group in checklist.groups:
        if group.required and all(status[m] != "documented" for m in group.any_of):
            wanted.update(group.any_of)
    return [
        PhysicianQuery(element_id=e.id, status=e.status, question=text[e.id],
                       indicators=_indicators(e, procedure, view))
        for e in elements
        if e.status != "documented" and e.id in wanted and e.id in text
    ]


def _indicators(element: ElementResult, procedure: ProcedureAssessment, view: NoteView | None) -> list[Evidence]:
    """What the note says of the element (an unnamed "contrast", a planned or negated mention), or
    else what shows the procedure was done, so the physician sees why the question is asked; each
    as its clause, readable alone."""
    found = list(element.evidence) or list(element.discounted) or list(procedure.evidence)
    quoted = {(q.start, q.end): q for q in (view.clause(ev) if view is not None else ev for ev in found)}
    return list(quoted.values())[:2]
