"""One status per checklist element, with evidence, discounted mentions and extracted values."""

from __future__ import annotations

from docanalyzer.report import ElementResult, ElementStatus, Evidence, ValueT
from docanalyzer.resolve import evidence_rules, values
from docanalyzer.resolve.mentions import Mention, NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment
from docanalyzer.schemas import ChecklistSpec, ElementSpec

MAX_EVIDENCE = 8
_SCOPE_REASON = {
    "myelogram": "No myelogram is documented in this note, so this procedure element cannot be met.",
    "intrathecal_access": "No puncture into the thecal sac is documented in this encounter.",
    "imaged": "No myelographic images of any region are documented in this note.",
    "interpreted": "No myelographic images were interpreted in this note.",
}
Discounted = tuple[Mention, str]  # a mention that did not count, and why


def raw_status(
    spec: ElementSpec, view: NoteView
) -> tuple[ElementStatus, list[Mention], list[Evidence], list[Discounted]]:
    """Status from the evidence rules alone, before the procedure scope is applied."""
    discounted: list[Discounted] = []
    for status, rules in (("documented", spec.documented_when), ("incomplete", spec.incomplete_when)):
        supporting: list[Mention] = []
        sections: list[Evidence] = []
        for rule in rules:
            match = evidence_rules.evaluate(rule, view)
            supporting.extend(match.supporting)
            sections.extend(match.section_evidence)
            discounted.extend(match.discounted)
        if supporting or sections:
            supporting = _unique(supporting)
            return status, supporting, sections, _unique_discounted(discounted, supporting)  # type: ignore[return-value]
    return "missing", [], [], _unique_discounted(discounted, [])


def in_procedure_scope(spec: ElementSpec, procedure: ProcedureAssessment) -> bool:
    """Whether the element can count at all, given what was done in this encounter."""
    if spec.scope == "note":
        return True
    if spec.scope == "intrathecal_access":
        return procedure.intrathecal_access
    if spec.scope == "myelogram":
        return procedure.status != "not_documented"
    if spec.scope == "imaged":
        return bool(procedure.regions)
    return procedure.status in {"performed", "uncertain"} or (
        procedure.status == "injection_only" and procedure.ct_read_in_note
    )


def resolve_element(
    spec: ElementSpec, view: NoteView, procedure: ProcedureAssessment
) -> ElementResult:
    status, supporting, section_evidence, discounted = raw_status(spec, view)
    in_scope = in_procedure_scope(spec, procedure)
    if not in_scope:
        scope_reason = _SCOPE_REASON[spec.scope]
        discounted = _unique_discounted(discounted + [(m, scope_reason) for m in supporting], [])
        status, supporting, section_evidence = "missing", [], []
        reason = scope_reason
    else:
        reason = _reason(spec, status, supporting, discounted)
    evidence = [view.quote(m) for m in supporting[:MAX_EVIDENCE]] + section_evidence  # (the rest is cut below)
    extracted = _values(spec, view, supporting, procedure) if status != "missing" else {}
    return ElementResult(
        id=spec.id,
        name=spec.name,
        status=status,
        required=spec.required,
        weight=spec.weight,
        evidence=evidence[:MAX_EVIDENCE],
        discounted=[m.evidence(why) for m, why in discounted[:MAX_EVIDENCE]],
        values=extracted,
        reason=reason,
    )


def resolve_elements(
    checklist: ChecklistSpec, view: NoteView, procedure: ProcedureAssessment
) -> list[ElementResult]:
    return [resolve_element(spec, view, procedure) for spec in checklist.elements]


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[int, int, str]] = set()
    out: list[Mention] = []
    for m in sorted(mentions, key=lambda m: m.start):
        key = (m.start, m.end, m.label)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _unique_discounted(discounted: list[Discounted], supporting: list[Mention]) -> list[Discounted]:
    """One entry per mention (first reason wins), never a mention that supports the status."""
    counted = {(m.start, m.end, m.label) for m in supporting}
    seen: set[tuple[int, int, str]] = set()
    out: list[Discounted] = []
    for mention, why in sorted(discounted, key=lambda d: d[0].start):
        key = (mention.start, mention.end, mention.label)
        if key not in seen and key not in counted:
            seen.add(key)
            out.append((mention, why))
    return out


def _reason(spec: ElementSpec, status: str, supporting: list[Mention], discounted: list[Discounted]) -> str:
    if status == "documented":
        return f"{spec.name}: documented."
    if status == "incomplete":
        return spec.incomplete_reason or f"{spec.name}: mentioned but incomplete."
    if discounted:
        kinds = sorted({why for _, why in discounted})
        return f"{spec.name}: mentioned, but not counted: " + "; ".join(kinds) + "."
    return f"{spec.name}: not found in the note."


def _values(
    spec: ElementSpec, view: NoteView, supporting: list[Mention], procedure: ProcedureAssessment
) -> dict[str, ValueT]:
    out: dict[str, ValueT] = {}
    if spec.values == "level":
        for mention in supporting:
            level = values.normalize_level(mention.text)
            if level:
                out["level"] = level
                break
        out["approach"] = "lateral C1-C2" if procedure.c12_puncture else "lumbar"
    elif spec.values == "contrast" and supporting:
        agent = supporting[0]
        if "agent" in agent.metadata:
            out["agent"] = str(agent.metadata["agent"])
            out["name_as_written"] = agent.text
            out["ionic"] = bool(agent.metadata.get("ionic", False))
            approved = agent.metadata.get("intrathecal_approved", False)
            # the product decides, not the molecule: Isovue-M yes, Isovue no, bare "iopamidol" unknown
            out["intrathecal_approved"] = "confirm formulation" if approved == "confirm" else bool(approved)
        start, _end = view.sentence_bounds[agent.sentence]
        out.update(values.contrast_values(view.sentence_text(agent.sentence), agent.start - start))
    elif spec.values == "regions":
        out["regions"] = list(procedure.regions)
    elif spec.values == "device":
        # typed: an implanted device or foreign body, or another reason (claustrophobia, a weight limit)
        devices = sorted({m.text.lower() for m in supporting if m.label == "MRI_UNSAFE_DEVICE"})
        reasons = sorted({m.text.lower() for m in supporting if m.label not in {"MRI_UNSAFE_DEVICE", "TX_FAILURE"}})
        out.update({k: v for k, v in (("devices", devices), ("reasons", reasons)) if v})
    elif spec.values == "treatment":
        out["treatments"] = sorted({m.text.lower() for m in supporting if m.label not in {"TX_FAILURE"}})
    return out
