"""The claim's ICD-10-CM diagnoses from FHIR input, for the diagnosis review.

Where present: ``Claim.diagnosis[].diagnosisCodeableConcept`` codings of the ICD-10-CM system in a
Bundle (a Claim applies to the DocumentReferences its ``supportingInfo`` points to, or, when it
points to none and is the Bundle's only Claim, to every DocumentReference), and ICD-10-CM codings in
a DocumentReference's own ``context.event``.
"""

from __future__ import annotations

from typing import Any

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
ALL = "*"


def _codes(concepts: list[Any]) -> list[str]:
    return [str(coding.code) for concept in concepts if concept is not None
            for coding in (concept.coding or []) if coding.system == ICD10CM_SYSTEM and coding.code]


def document_diagnoses(model: Any) -> tuple[str, ...] | None:
    """ICD-10-CM codings in a DocumentReference's ``context.event`` (None: there are none)."""
    context = model.context
    codes = _codes(list(context.event or [])) if context is not None else []
    return tuple(codes) or None


def claim_diagnoses(bundle: Any) -> dict[str, tuple[str, ...]]:
    """Reference ("DocumentReference/<id>" or a fullUrl; ``ALL`` for every document) -> the claim's codes."""
    claims = [entry.resource for entry in bundle.entry or []
              if getattr(entry.resource, "get_resource_type", lambda: None)() == "Claim"]
    found: dict[str, tuple[str, ...]] = {}
    for claim in claims:
        sequence = sorted(claim.diagnosis or [], key=lambda d: d.sequence or 0)
        codes = tuple(_codes([d.diagnosisCodeableConcept for d in sequence]))
        if not codes:
            continue
        targets = [str(info.valueReference.reference) for info in claim.supportingInfo or []
                   if info.valueReference is not None and info.valueReference.reference]
        for target in targets or ([ALL] if len(claims) == 1 else []):
            found[target] = codes
    return found


def diagnoses_for(found: dict[str, tuple[str, ...]], reference: dict[str, Any], full_url: str | None
                  ) -> tuple[str, ...] | None:
    """The claim codes that apply to one DocumentReference (its reference, its fullUrl, or every document)."""
    for key in (reference.get("reference"), full_url, ALL):
        if key and key in found:
            return found[key]
    return None
