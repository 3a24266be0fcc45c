"""The report: what docanalyzer says about one note. This model is the product's contract.

Every model is frozen and documented; ``Report.model_json_schema()`` is what
``docanalyzer schema`` prints. Field names follow DESIGN.md and must not change lightly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ElementStatus = Literal["documented", "incomplete", "missing"]
ProcedureStatus = Literal["performed", "attempted", "injection_only", "not_documented", "uncertain"]
Region = Literal["cervical", "thoracic", "lumbosacral"]
Assertion = Literal["present", "negated", "possible"]
MentionAssertion = Literal[
    "affirmed", "negated", "possible", "hypothetical", "historical", "family", "template_blank"
]
Verdict = Literal["complete", "needs_query", "deficient", "not_applicable", "needs_review", "error"]
Severity = Literal["info", "warning", "error"]
ClaimType = Literal["professional", "facility"]

REGION_ORDER: tuple[Region, ...] = ("cervical", "thoracic", "lumbosacral")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """A span of the original input that supports (or was discounted for) a statement."""

    text: str = Field(description="Exact text of the span: input[start:end].")
    start: int = Field(ge=0, description="Character offset of the span start in the input text.")
    end: int = Field(ge=0, description="Character offset just past the span end.")
    section: str | None = Field(description="Normalized section the span sits in, or null.")
    label: str = Field(description="Target rule label that matched (e.g. CONTRAST_AGENT).")
    assertion: MentionAssertion = Field(
        default="affirmed", description="How the note asserts this mention (ConText)."
    )
    discount_reason: str | None = Field(
        default=None,
        description="For a discounted mention: why it did not count (its assertion, or the section it sits in).",
    )


ValueT = str | int | float | bool | list[str]


class ElementResult(_Frozen):
    """One checklist element with its status and the evidence behind it."""

    id: str = Field(description="Stable element id (DESIGN.md).")
    name: str = Field(description="Human-readable element name.")
    status: ElementStatus
    required: bool = Field(description="Whether the checklist requires it.")
    weight: float = Field(description="Weight in the score (0 when scored through a group).")
    evidence: list[Evidence] = Field(description="Spans supporting the status.")
    discounted: list[Evidence] = Field(
        default_factory=list,
        description="Mentions that did not count: negated, hypothetical, historical, family, blank.",
    )
    values: dict[str, ValueT] = Field(
        default_factory=dict, description="Extracted values (level, agent, volume_ml, ...)."
    )
    reason: str = Field(description="Why this status, in words an auditor can paste.")
    waived: bool = Field(
        default=False, description="Not asked for: the procedure was discontinued and the note says this part "
        "was never done (no query, not scored).")


class Finding(_Frozen):
    """A finding concept with its assertion, e.g. spinal_stenosis present."""

    concept: str
    assertion: Assertion
    evidence: list[Evidence]


class SuggestedCode(_Frozen):
    code: str
    description: str
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)


class Modifier(_Frozen):
    code: str
    description: str
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)


class CodeFinding(_Frozen):
    """A billed-vs-documented problem an auditor should look at."""

    rule_id: str
    severity: Severity
    message: str
    evidence: list[Evidence] = Field(default_factory=list)


class CodeReview(_Frozen):
    billed_code: str | None = Field(default=None, description="Code on the claim, if given.")
    claim_type: ClaimType = Field(
        default="professional", description="professional (the physician's claim) or facility (hospital "
        "outpatient or ASC): a discontinued procedure is 53 on the first, 73/74 on the second.")
    suggested_codes: list[SuggestedCode] = Field(description="Primary first.")
    modifiers: list[Modifier] = Field(default_factory=list)
    findings: list[CodeFinding] = Field(default_factory=list)


DxCheckStatus = Literal[
    "supported", "unsupported", "more_specific_available", "conflicting", "invalid", "not_billable", "not_reviewed"
]


class DxCode(_Frozen):
    """An ICD-10-CM code the note's own documentation supports, with the text it rests on."""

    code: str = Field(description="ICD-10-CM code with its dot, e.g. M48.062.")
    description: str = Field(description="Its description in the code set.")
    concept: str = Field(description="The diagnosis concept of patterns/diagnoses.yaml, e.g. spinal_stenosis.")
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)


class BilledDxCheck(_Frozen):
    """One diagnosis code on the claim, checked against the code set and the note."""

    code: str = Field(description="The code as given on the claim.")
    status: DxCheckStatus = Field(
        description="supported; unsupported (the note does not document it); more_specific_available (a category "
        "or an unspecified code billed where the note supports a more specific one); conflicting (the note "
        "documents the condition with another region, laterality or qualifier); invalid (no such code); "
        "not_billable (a category, not a leaf); not_reviewed (outside the diagnosis families reviewed).")
    description: str | None = Field(default=None, description="Its description in the code set (null when invalid).")
    message: str = Field(description="Why this status, in words an auditor can paste.")
    alternatives: list[str] = Field(default_factory=list, description="Codes the note supports instead.")
    evidence: list[Evidence] = Field(default_factory=list)


class DxQuery(_Frozen):
    """A draft query asking the physician for diagnosis specificity (non-leading: no codes, no payment)."""

    concept: str
    question: str
    indicators: list[Evidence] = Field(default_factory=list, description="The note text that prompted the query.")


class DiagnosisReview(_Frozen):
    """ICD-10-CM diagnoses: the claim's codes checked, the codes the note supports, payer coverage."""

    code_set: str = Field(description="The ICD-10-CM release the codes were checked against.")
    billed: list[BilledDxCheck] = Field(default_factory=list, description="The claim's diagnosis codes, in order.")
    suggested: list[DxCode] = Field(default_factory=list, description="Codes the documentation supports, sorted.")
    coverage: str | None = Field(default=None, description="The covered-diagnosis list applied (its id), if any.")
    covered: bool | None = Field(
        default=None, description="Whether any billed diagnosis is on the covered list (null: no list or no codes).")
    queries: list[DxQuery] = Field(default_factory=list)


class MedicalNecessity(_Frozen):
    met: bool
    missing: list[str] = Field(description="Requirements of the necessity rule not documented.")
    explanation: str


class PhysicianQuery(_Frozen):
    """A draft query to the physician for a missing or incomplete element (non-leading, no codes)."""

    element_id: str
    status: ElementStatus
    question: str
    indicators: list[Evidence] = Field(
        default_factory=list, description="The note text that prompted the query (its clinical indicators): "
        "what the note says of this element, or else what shows the procedure was done.")


class ChecklistRef(_Frozen):
    id: str
    version: str
    title: str


class ReportError(_Frozen):
    """Why a document could not be analyzed. Never contains note text."""

    code: str
    message: str


class ReportWarning(_Frozen):
    """Something about the text an auditor must know before trusting the result (the note was still
    analyzed). Never contains note text."""

    code: str = Field(description="Stable code, e.g. W001_BIDI_CONTROLS.")
    message: str


class InputInfo(_Frozen):
    chars: int = Field(description="Length of the analyzed text in characters.")
    encoding: str | None = Field(default=None, description="Encoding used to decode a file.")
    source: str | None = Field(default=None, description="File path or '-' for stdin.")


class ProcedureSignal(_Frozen):
    """One signal of the procedure decision (patterns/procedure_decision.yaml) found in the note."""

    id: str = Field(description="Signal id, e.g. procedure_named, thecal_entry, other_procedure.")
    weight: float = Field(description="What it added to the score (negative: evidence against a myelogram here).")
    description: str
    evidence: list[Evidence] = Field(default_factory=list)


class ProcedureDecision(_Frozen):
    """How the procedure status was decided: the signals found, their weights and the thresholds."""

    score: float
    done_threshold: float
    uncertain_threshold: float
    signals: list[ProcedureSignal]
    reasons: list[str] = Field(description="The decision in words an auditor can read.")


class Report(_Frozen):
    """The documentation review of one note."""

    document_id: str
    docanalyzer_version: str
    checklist: ChecklistRef
    procedure_status: ProcedureStatus
    procedure_evidence: list[Evidence] = Field(default_factory=list)
    procedure_decision: ProcedureDecision | None = Field(
        default=None, description="Signals, weights and reasons behind procedure_status (null when screened out)."
    )
    regions: list[Region]
    elements: list[ElementResult]
    findings: list[Finding]
    score: float = Field(ge=0, le=100)
    verdict: Verdict
    medical_necessity: MedicalNecessity | None
    code_review: CodeReview
    queries: list[PhysicianQuery] = Field(
        default_factory=list, description="Draft physician queries for missing/incomplete required elements."
    )
    errors: list[ReportError]
    warnings: list[ReportWarning] = Field(
        default_factory=list,
        description="Text that displays differently from how it is read (bidi controls: verdict needs_review), "
        "look-alike letters or invisible characters inside words (read as the plain word).",
    )
    screened_out: bool = Field(
        default=False,
        description="True when the note has no myelogram, intrathecal or contrast cue at all (patterns/screening.json):"
        " procedure_status is then necessarily not_documented, the checklist does not apply (verdict not_applicable)"
        " and elements are not evaluated (empty list).",
    )
    input: InputInfo
    diagnosis_review: DiagnosisReview | None = Field(
        default=None, description="ICD-10-CM diagnosis review: present when billed diagnoses are given or the "
        "review is asked for (--diagnoses); null otherwise.")

    def element(self, element_id: str) -> ElementResult:
        """The element with this id (KeyError if the checklist has none)."""
        for element in self.elements:
            if element.id == element_id:
                return element
        raise KeyError(element_id)

    @property
    def missing_elements(self) -> list[str]:
        return [e.id for e in self.elements if e.status != "documented"]
