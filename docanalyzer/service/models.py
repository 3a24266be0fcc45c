"""Request and response bodies of the HTTP service (published in its OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from docanalyzer.report import ClaimType, Report
from docanalyzer.resources import builtin_checklist_ids


def _encodable(value: str) -> str:
    """Reject lone UTF-16 surrogates (valid JSON escapes, but not text): the report could not be encoded."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from None
    return value


NoteText = Annotated[
    str,
    Field(min_length=1, description="The note, as plain text. Offsets in the report index into this string."),
    AfterValidator(_encodable),
]
DocumentId = Annotated[
    str, Field(min_length=1, max_length=256, description="Your id for the note, echoed in the report."),
    AfterValidator(_encodable),
]
BilledCode = Annotated[
    str, Field(min_length=1, max_length=32, description="Code on the claim, e.g. 62304 or 62304-53."),
    AfterValidator(_encodable),
]
DxCodeText = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9.]+$")]
BilledDx = Annotated[
    list[DxCodeText], Field(max_length=50, description="ICD-10-CM diagnosis codes on the claim, e.g. "
                            "[\"M48.062\", \"M54.16\"]: each is checked against the code set and the note.")]
AUTO = "auto"
CHECKLIST_IDS = [AUTO, *builtin_checklist_ids()]
CHECKLIST_HELP = ("'auto' (the default: the checklist of the billed code, else of the code the documentation "
                  "supports) or a checklist id from GET /v1/checklists.")
ChecklistId = Annotated[
    str, Field(min_length=1, max_length=64, description=CHECKLIST_HELP, json_schema_extra={"enum": CHECKLIST_IDS}),
]

_NOTE_EXAMPLE = (
    "PROCEDURE: Lumbar myelogram.\nINDICATION: Low back pain radiating to the left leg despite physical therapy; "
    "MRI contraindicated (pacemaker).\nTECHNIQUE: Under fluoroscopic guidance a 22-gauge needle was placed at L2-L3 "
    "and 10 mL of Omnipaque 180 was injected intrathecally.\nIMPRESSION: Moderate spinal stenosis at L4-L5."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


_CLAIM_TYPE = ("professional (the physician's claim) or facility (hospital outpatient, ASC): a discontinued "
               "procedure is 53 on the first, 73/74 on the second.")


class AnalyzeRequest(_Strict):
    """One note to analyze."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": _NOTE_EXAMPLE, "document_id": "note-1", "billed_code": "62304"}]
    })

    text: NoteText
    document_id: DocumentId | None = None
    billed_code: BilledCode | None = None
    billed_dx: BilledDx | None = None
    claim_type: ClaimType = Field(default="professional", description=_CLAIM_TYPE)
    checklist: ChecklistId | None = None


class BatchNote(_Strict):
    text: NoteText
    document_id: DocumentId | None = Field(default=None, description="Default: doc-1, doc-2, ... by position.")
    billed_code: BilledCode | None = Field(default=None, description="Overrides the request's billed_code.")
    billed_dx: BilledDx | None = Field(default=None, description="Overrides the request's billed_dx.")
    claim_type: ClaimType | None = Field(default=None, description="Overrides the request's claim_type.")


class BatchRequest(_Strict):
    """Many notes; the reports come back in the same order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"notes": [{"text": _NOTE_EXAMPLE, "document_id": "note-1"}], "checklist": "62304"}]
    })

    notes: list[BatchNote] = Field(min_length=1, description="At most DOCANALYZER_MAX_BATCH notes (default 100).")
    billed_code: BilledCode | None = None
    billed_dx: BilledDx | None = None
    claim_type: ClaimType = Field(default="professional", description=_CLAIM_TYPE)
    checklist: ChecklistId | None = None


class BatchResponse(BaseModel):
    reports: list[Report] = Field(description="One report per note, in request order.")


class ChecklistElement(BaseModel):
    id: str
    name: str
    required: bool
    weight: float


class ChecklistInfo(BaseModel):
    id: str
    version: str
    title: str
    procedure: str
    codes: list[str]
    elements: list[ChecklistElement]


class ChecklistsResponse(BaseModel):
    default: str
    checklists: list[ChecklistInfo]


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "loading"]
    checklists: list[str]


class ErrorMessage(BaseModel):
    detail: str
