"""HL7 FHIR input and output (optional extra ``docanalyzer[fhir]``).

Input: a FHIR R4 ``DocumentReference`` or a ``Bundle`` whose entries include DocumentReferences
(other entries, such as the Patient, are validated and otherwise ignored). Every DocumentReference
becomes exactly one ``NoteInput``; the note text is taken from, in this order:

1. the first ``content[].attachment`` with ``data`` (base64) whose ``contentType`` is ``text/plain``
   (or absent); the ``charset`` parameter is honoured, else docanalyzer's usual decoding fallback;
2. an attachment whose ``url`` is ``#id`` of a ``Binary`` in ``contained`` (inline, same rules);
3. the resource's narrative (``text.div``, XHTML stripped to text) as inline text, only when no
   attachment carries data or a URL.

An attachment that is not plain text (PDF, RTF, HTML...) or that points to an external URL gives
that document an ``E006_UNSUPPORTED_FORMAT`` result: docanalyzer never fetches anything. The
billed code is the first CPT coding in ``context.event`` (system ``http://www.ama-assn.org/go/cpt``);
the claim's ICD-10-CM diagnoses come from a Claim in the Bundle or ICD-10-CM codings in
``context.event`` (``fhir_claims``), for the diagnosis review.

Validation uses the ``fhir.resources`` models (8.x, pydantic v2). That package ships R5 as its
default and R4B (4.3.0) as a subpackage; it has no plain R4 (4.0.1) models. DocumentReference,
Attachment, Binary, Bundle, Observation and DetectedIssue are the same on the wire in R4 and R4B,
so R4 documents validate against the R4B models and the resources emitted are valid R4 too.
The validation is structural (types, required fields, unknown fields); value sets are not checked.

Output: ``reports_to_fhir_bundle`` turns reports into a ``Bundle`` (type ``collection``) holding, per
document, one ``Observation`` (the score, verdict, procedure status, element statuses and suggested
codes; ``derivedFrom``/``focus`` reference the DocumentReference) and one ``DetectedIssue`` per
element the checklist wants queried (``report.queries``), with the drafted physician query as the
mitigation. Resource ids are deterministic (UUID v5 of the document reference and element).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import html
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from docanalyzer.errors import DocAnalyzerError, ErrorCode
from docanalyzer.inputs import MAX_FILE_BYTES, NoteInput, note_from_bytes
from docanalyzer.integrations.fhir_claims import claim_diagnoses, diagnoses_for, document_diagnoses
from docanalyzer.report import Report
from docanalyzer.version import __version__

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
UCUM_SYSTEM = "http://unitsofmeasure.org"
DATA_ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SYSTEM = "urn:docanalyzer"
ELEMENT_SYSTEM = "urn:docanalyzer:checklist-element"
ELEMENT_STATUS_SYSTEM = "urn:docanalyzer:element-status"
VERDICT_SYSTEM = "urn:docanalyzer:verdict"
PROCEDURE_STATUS_SYSTEM = "urn:docanalyzer:procedure-status"
FHIR_JSON = "application/fhir+json"
FHIR_SUFFIXES = (".fhir.json",)
_ID_NAMESPACE = uuid.UUID("6c0f4e0e-3b1f-5d5e-9a53-6f2d1c4a7b10")
_TEXT_TYPES = {"text/plain"}
_SUPPORTED = "R4 (4.0.1) / R4B (4.3.0), validated with fhir.resources R4B models"


class FhirExtraMissing(DocAnalyzerError):
    """fhir.resources is not installed."""

    code = ErrorCode.UNSUPPORTED_FORMAT


class FhirInputError(DocAnalyzerError):
    """The payload is not a valid FHIR DocumentReference or Bundle. ``loc`` is the path of the problem
    inside the resource (FHIR element names and list indexes); the message never contains note text."""

    code = ErrorCode.NOT_TEXT

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class FhirNote:
    """One DocumentReference turned into a note, with what the FHIR output needs to point back to it."""

    note: NoteInput
    reference: dict[str, Any] = field(default_factory=dict)
    """A FHIR Reference to the DocumentReference (``reference`` or ``identifier``)."""
    subject: dict[str, Any] | None = None
    """The DocumentReference's ``subject`` (usually the Patient), copied into the output."""


def _models():
    try:
        from fhir.resources.R4B.bundle import Bundle
        from fhir.resources.R4B.detectedissue import DetectedIssue
        from fhir.resources.R4B.documentreference import DocumentReference
        from fhir.resources.R4B.observation import Observation
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise FhirExtraMissing(
            "FHIR support needs the fhir extra: pip install 'docanalyzer[fhir]' "
            f"({type(exc).__name__}: {exc.name or 'fhir.resources'})"
        ) from None
    return Bundle, DocumentReference, Observation, DetectedIssue


def fhir_available() -> bool:
    try:
        _models()
    except FhirExtraMissing:
        return False
    return True


# ---------------------------------------------------------------------------------------------- input


def looks_like_fhir(path: str | Path) -> bool:
    """True for ``*.fhir.json`` files, and for ``*.json`` files whose top-level object has a
    ``resourceType`` (checked on the first 4 KiB, without parsing the whole file)."""
    name = str(path)
    if name.endswith(FHIR_SUFFIXES):
        return True
    if not name.endswith(".json"):
        return False
    try:
        with open(name, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"resourceType"' in head


def iter_fhir_notes(path: str | Path) -> Iterator[NoteInput]:
    """The notes of a FHIR JSON file (a DocumentReference or a Bundle), one per DocumentReference.

    Never raises for a bad file: an unreadable, invalid or empty file yields one error item whose
    ``document_id`` is the path, like every other input docanalyzer reads."""
    for item in iter_fhir_file(path):
        yield item.note


def iter_fhir_file(path: str | Path) -> Iterator[FhirNote]:
    """Like ``iter_fhir_notes``, keeping each note's reference to its DocumentReference."""
    source = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_FILE_BYTES:
            yield _error_note(source, ErrorCode.TOO_LARGE, f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
            return
        raw = Path(path).read_bytes()
    except OSError as exc:
        yield _error_note(source, ErrorCode.UNREADABLE, f"cannot read file ({exc.strerror or type(exc).__name__})")
        return
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        yield _error_note(source, ErrorCode.NOT_TEXT, f"not valid JSON ({type(exc).__name__} at position "
                          f"{getattr(exc, 'pos', getattr(exc, 'start', '?'))})")
        return
    try:
        yield from parse_fhir(data, source=source)
    except DocAnalyzerError as exc:
        yield _error_note(source, exc.code, f"FHIR input: {exc.message}")


def _error_note(document_id: str, code: ErrorCode, message: str, source: str | None = None) -> FhirNote:
    note = NoteInput(document_id, None, source=source or document_id, error_code=code, error_message=message)
    return FhirNote(note=note, reference={"display": document_id})


def parse_fhir(data: Any, *, source: str = "request", max_documents: int | None = None) -> list[FhirNote]:
    """Validate a DocumentReference or Bundle (parsed JSON) and return one ``FhirNote`` per
    DocumentReference, in order.

    Raises ``FhirInputError`` when the payload is not valid FHIR (wrong resource type, structure,
    no DocumentReference, more than ``max_documents``). Problems of one document's content (a PDF,
    an external URL, binary data) are that document's error result instead, so a Bundle is never
    lost because of one entry."""
    Bundle, DocumentReference, _, _ = _models()
    claims: dict[str, tuple[str, ...]] = {}
    if not isinstance(data, dict):
        raise FhirInputError(f"expected a FHIR resource (a JSON object), got {_json_type(data)}")
    resource_type = data.get("resourceType")
    if resource_type == "DocumentReference":
        model = _validate(DocumentReference, data, ())
        pairs = [(model, None, ())]
    elif resource_type == "Bundle":
        bundle = _validate(Bundle, data, ())
        claims = claim_diagnoses(bundle)
        pairs = []
        for index, entry in enumerate(bundle.entry or []):
            resource = entry.resource
            if getattr(resource, "get_resource_type", lambda: None)() == "DocumentReference":
                pairs.append((resource, entry.fullUrl, ("entry", index, "resource")))
        if not pairs:
            raise FhirInputError("the Bundle has no DocumentReference entries", ("entry",))
    else:
        shown = resource_type if isinstance(resource_type, str) and len(resource_type) <= 64 else "?"
        raise FhirInputError(
            f"expected resourceType DocumentReference or Bundle, got {shown!r}" if resource_type is not None
            else "no 'resourceType': expected a FHIR DocumentReference or Bundle",
            ("resourceType",),
        )
    if max_documents is not None and len(pairs) > max_documents:
        raise FhirInputError(f"{len(pairs)} DocumentReferences; the limit is {max_documents} per request", ("entry",))
    notes = [_document_note(model, full_url, loc, index, source) for index, (model, full_url, loc)
             in enumerate(pairs, start=1)]
    return [_with_diagnoses(note, model, full_url, claims)
            for note, (model, full_url, _) in zip(notes, pairs, strict=True)]


def _with_diagnoses(item: FhirNote, model, full_url: str | None, claims: dict[str, tuple[str, ...]]) -> FhirNote:
    """The note with the claim's ICD-10-CM diagnoses, where the input has them (see ``fhir_claims``)."""
    codes = diagnoses_for(claims, item.reference, full_url) or document_diagnoses(model)
    if codes is None:
        return item
    return dataclasses.replace(item, note=dataclasses.replace(item.note, billed_dx=codes))


def _validate(model_class, data: dict, loc: tuple[str | int, ...]):
    from pydantic import ValidationError

    try:
        return model_class.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = errors[0] if errors else {"loc": (), "msg": "invalid"}
        where = loc + tuple(first.get("loc", ()))
        message = " ".join(str(first.get("msg", "invalid")).split())
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise FhirInputError(f"invalid {model_class.__name__} at {_path(where)}: {message}{more}", where) from None
    except Exception as exc:  # fhir.resources raises KeyError and others for unknown resource types
        raise FhirInputError(f"invalid {model_class.__name__}: not a valid FHIR resource ({type(exc).__name__})",
                             loc) from None


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _document_note(model, full_url: str | None, loc: tuple[str | int, ...], index: int, source: str) -> FhirNote:
    identifier = model.masterIdentifier or (model.identifier[0] if model.identifier else None)
    if model.id:
        document_id = str(model.id)
        reference: dict[str, Any] = {"reference": f"DocumentReference/{model.id}"}
    elif full_url:
        document_id = str(full_url)
        reference = {"reference": str(full_url)}
    elif identifier is not None and identifier.value:
        document_id = str(identifier.value)
        reference = {"identifier": _dump(identifier)}
    else:
        document_id = f"{source}#{index}"
        reference = {"display": document_id}
    reference["type"] = "DocumentReference"
    subject = _dump(model.subject) if model.subject is not None else None
    where = f"{source}#{_path(loc)}" if loc else source
    billed = _billed_code(model)
    try:
        note = _note_text(model, document_id, where, billed)
    except FhirInputError as exc:
        note = NoteInput(document_id, None, source=where, billed_code=billed,
                         error_code=ErrorCode.UNSUPPORTED_FORMAT, error_message=exc.message)
    note = replace(note, **_origin(model))
    return FhirNote(note=note, reference=reference, subject=subject)


def _origin(model) -> dict[str, str | None]:
    """Provider (first author), site (custodian) and service date (context.period.start, else date) of a
    DocumentReference: labels for the review queue, not read by the analysis."""
    def name(reference) -> str | None:
        value = (reference.display or reference.reference) if reference is not None else None
        return str(value)[:256] if value else None

    period = model.context.period if model.context is not None else None
    when = (period.start if period is not None else None) or model.date
    return {"provider": name(model.author[0]) if model.author else None, "site": name(model.custodian),
            "service_date": str(when)[:10] if when else None}


def _dump(model) -> dict[str, Any]:
    return json.loads(model.model_dump_json())


def _billed_code(model) -> str | None:
    context = model.context
    for concept in (context.event or []) if context is not None else []:
        for coding in concept.coding or []:
            if coding.system == CPT_SYSTEM and coding.code:
                return str(coding.code)
    return None


def _note_text(model, document_id: str, source: str, billed: str | None) -> NoteInput:
    contained = {str(r.id): r for r in (model.contained or []) if getattr(r, "id", None)}
    problems: list[str] = []
    has_payload = False
    for position, content in enumerate(model.content or []):
        attachment = content.attachment
        if attachment is None:
            continue
        found = _attachment_payload(attachment, contained, position, problems)
        has_payload = has_payload or found is not _NO_PAYLOAD
        if found is None or found is _NO_PAYLOAD:
            continue
        data, content_type = found
        mime, charset = _content_type(content_type)
        if mime is not None and mime not in _TEXT_TYPES:
            problems.append(f"content[{position}] is {mime}; only text/plain notes are analyzed")
            continue
        return _decoded(_bytes(data, position), charset, document_id, source, billed)
    if not has_payload and model.text is not None and model.text.div:
        text = xhtml_to_text(str(model.text.div))
        return NoteInput(document_id, text, source=f"{source}.text.div", encoding="utf-8", billed_code=billed)
    if problems:
        raise FhirInputError("; ".join(problems))
    raise FhirInputError("the DocumentReference has no note text: no attachment data and no narrative")


_NO_PAYLOAD = object()  # an attachment with neither data nor a URL


def _attachment_payload(attachment, contained: dict, position: int, problems: list[str]):
    """(data, content type) of an attachment: its own data or a contained Binary it points to; None
    (with the problem noted) for a URL docanalyzer will not fetch; ``_NO_PAYLOAD`` when it has neither."""
    data, content_type = attachment.data, attachment.contentType
    if data is None and attachment.url:
        url = str(attachment.url)
        binary = contained.get(url[1:]) if url.startswith("#") else None
        if binary is None or getattr(binary, "data", None) is None:
            problems.append(f"content[{position}] refers to a URL; docanalyzer fetches nothing: "
                            "embed the note as attachment.data (base64) or a contained Binary")
            return None
        data, content_type = binary.data, binary.contentType or content_type
    return _NO_PAYLOAD if data is None else (data, content_type)


def _decoded(payload: bytes, charset: str | None, document_id: str, source: str, billed: str | None) -> NoteInput:
    """The note from its bytes: the declared charset when it decodes them, else the files' decoding order."""
    note = note_from_bytes(payload, document_id, source)
    if charset and note.text is not None:
        with contextlib.suppress(LookupError, UnicodeDecodeError):  # else keep the fallback decoding
            note = NoteInput(document_id, payload.decode(charset), source=source, encoding=charset)
    return NoteInput(note.document_id, note.text, source=note.source, encoding=note.encoding,
                     billed_code=billed, error_code=note.error_code, error_message=note.error_message)


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [p.strip() for p in str(value).split(";")]
    charset = None
    for param in parts[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip('"')
    return parts[0].lower(), charset


def _bytes(data: bytes | str, position: int) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        raise FhirInputError(f"content[{position}].attachment.data is not valid base64") from None


class _TextExtractor(HTMLParser):
    _BREAKS: ClassVar[frozenset[str]] = frozenset(
        {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def xhtml_to_text(div: str) -> str:
    """The text of a FHIR narrative (XHTML), with block elements and <br> as line breaks."""
    parser = _TextExtractor()
    parser.feed(div)
    parser.close()
    text = html.unescape("".join(parser.parts))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# --------------------------------------------------------------------------------------------- output


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(parts)))


def _reference_key(reference: dict[str, Any]) -> str:
    return json.dumps(reference, sort_keys=True)


def report_to_fhir(report: Report, reference: dict[str, Any] | None = None,
                   subject: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The FHIR resources for one report: an Observation and one DetectedIssue per query-worthy
    element. ``reference`` points at the analyzed DocumentReference (default: by document id)."""
    _, _, Observation, DetectedIssue = _models()
    reference = reference or {"reference": f"DocumentReference/{report.document_id}", "type": "DocumentReference"}
    key = _reference_key(reference) + "|" + report.checklist.id
    device = {"display": f"docanalyzer {__version__}"}
    checklist = f"checklist {report.checklist.id} v{report.checklist.version}"
    components: list[dict[str, Any]] = [
        _component("procedure-status", "Procedure status", PROCEDURE_STATUS_SYSTEM, report.procedure_status),
        _component("verdict", "Verdict", VERDICT_SYSTEM, report.verdict),
    ]
    components += [
        {"code": {"coding": [{"system": ELEMENT_SYSTEM, "code": e.id, "display": e.name}]},
         "valueCodeableConcept": {"coding": [{"system": ELEMENT_STATUS_SYSTEM, "code": e.status}], "text": e.reason}}
        for e in report.elements
    ]
    components += [
        {"code": {"coding": [{"system": SYSTEM, "code": "suggested-code",
                              "display": "Code the documentation supports"}]},
         "valueCodeableConcept": {"coding": [{"system": CPT_SYSTEM, "code": c.code, "display": c.description}]}}
        for c in report.code_review.suggested_codes
    ]
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _uuid(key, "observation"),
        "status": "final",
        "code": {"coding": [{"system": SYSTEM, "code": "documentation-completeness",
                             "display": "Documentation completeness score"}],
                 "text": f"Documentation completeness ({checklist})"},
        "focus": [reference],
        "derivedFrom": [reference],
        "device": device,
        "interpretation": [{"coding": [{"system": VERDICT_SYSTEM, "code": report.verdict}]}],
        "component": components,
    }
    if subject is not None:
        observation["subject"] = subject
    if report.errors:
        observation["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT_SYSTEM, "code": "error"}]}
        observation["note"] = [{"text": f"{e.code}: {e.message}"} for e in report.errors]
    else:
        observation["valueQuantity"] = {"value": report.score, "unit": "score", "system": UCUM_SYSTEM,
                                        "code": "{score}"}
    resources = [_dump(Observation.model_validate(observation))]

    names = {e.id: e for e in report.elements}
    for query in report.queries:
        element = names.get(query.element_id)
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": _uuid(key, "issue", query.element_id),
            "status": "final",
            "code": {"coding": [{"system": ELEMENT_SYSTEM, "code": query.element_id,
                                 "display": element.name if element else query.element_id}],
                     "text": f"{element.name if element else query.element_id}: {query.status} ({checklist})"},
            "severity": "high" if query.status == "missing" else "moderate",
            "author": device,
            "implicated": [reference],
            "detail": element.reason if element else f"{query.element_id} is {query.status}",
            "mitigation": [{"action": {"text": query.question,
                                       "coding": [{"system": SYSTEM, "code": "physician-query",
                                                   "display": "Send a physician query"}]}}],
        }
        if subject is not None and str(subject.get("reference", "")).startswith("Patient/"):
            issue["patient"] = subject
        resources.append(_dump(DetectedIssue.model_validate(issue)))
    return resources


def _component(code: str, display: str, system: str, value: str) -> dict[str, Any]:
    return {"code": {"coding": [{"system": SYSTEM, "code": code, "display": display}]},
            "valueCodeableConcept": {"coding": [{"system": system, "code": value}]}}


def reports_to_fhir_bundle(results: Iterable[tuple[Report, FhirNote | None]]) -> dict[str, Any]:
    """A FHIR Bundle (type ``collection``) with the resources of every report, in input order."""
    Bundle, _, _, _ = _models()
    entries = []
    for report, source in results:
        reference = source.reference if source is not None else None
        subject = source.subject if source is not None else None
        for resource in report_to_fhir(report, reference, subject):
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return _dump(Bundle.model_validate(bundle))


def supported_versions() -> str:
    return _SUPPORTED


def expand_fhir_inputs(paths: list[str],
                       iter_inputs: Callable[[list[str]], Iterable[NoteInput]]) -> Iterator[NoteInput]:
    """The CLI's inputs with FHIR files expanded: a path that ``looks_like_fhir`` yields one note per
    DocumentReference; every other path goes through ``iter_inputs`` unchanged, in the given order.
    Without the fhir extra, a FHIR file yields one error item saying how to install it."""
    for raw in paths:
        if raw != "-" and looks_like_fhir(raw):
            if not fhir_available():
                yield NoteInput(raw, None, source=raw, error_code=ErrorCode.UNSUPPORTED_FORMAT,
                                error_message="FHIR input needs the fhir extra: pip install 'docanalyzer[fhir]'")
                continue
            yield from iter_fhir_notes(raw)
        else:
            yield from iter_inputs([raw])
