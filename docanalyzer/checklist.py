"""Checklists as data: loading (by id or file), validation, and scoring.

Scoring: every requirement (an element outside any group, or a group) earns credit 1 when
documented, 0.5 when incomplete, 0 when missing; a group earns its best member's credit.
score = 100 * sum(weight * credit) / sum(weight). The verdict meanings live in the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from docanalyzer.errors import ErrorCode, RuleFileError
from docanalyzer.report import ElementResult, MedicalNecessity, ProcedureStatus, Verdict
from docanalyzer.resources import builtin_checklist_ids, pattern_file
from docanalyzer.rule_files import parse_data, validate
from docanalyzer.schemas import ChecklistOverlay, ChecklistSpec

CREDIT = {"documented": 1.0, "incomplete": 0.5, "missing": 0.0}


def load_checklist(ref: str | Path = "62304") -> ChecklistSpec:
    """A built-in checklist by id ("62304") or a checklist file (YAML/JSON) by path."""
    path = Path(ref)
    if path.suffix in {".yaml", ".yml", ".json"} or path.exists():
        if not path.is_file():
            raise RuleFileError(str(path), "<file>", "checklist file not found", ErrorCode.CHECKLIST_NOT_FOUND)
        return _validated(parse_data(path), str(path))
    return _builtin(str(ref))


def _resolve_extends(data: object, source: str) -> object:
    """Merge an ``extends:`` overlay onto its (built-in) base checklist, before validation."""
    if not isinstance(data, dict) or "extends" not in data:
        return data
    overlay = validate(ChecklistOverlay, data, source, ErrorCode.CHECKLIST_FILE)
    base_source = pattern_file("checklists", f"{overlay.extends}.yaml")
    if overlay.extends not in builtin_checklist_ids():
        raise RuleFileError(source, "extends", f"no built-in checklist '{overlay.extends}'", ErrorCode.CHECKLIST_FILE)
    base = _resolve_extends(parse_data(base_source), str(base_source))
    assert isinstance(base, dict)
    merged = {**base, "id": overlay.id, "version": overlay.version, "title": overlay.title,
              "codes": overlay.codes, "source": overlay.source}
    if overlay.medical_necessity is not None:
        merged["medical_necessity"] = overlay.medical_necessity
    known = {e["id"] for e in base["elements"]}
    unknown = sorted(set(overlay.overrides) - known)
    if unknown:
        raise RuleFileError(source, "overrides", f"unknown elements {unknown}", ErrorCode.CHECKLIST_FILE)
    merged["elements"] = [
        {**element, **overlay.overrides[element["id"]].model_dump(exclude_none=True)}
        if element["id"] in overlay.overrides else element
        for element in base["elements"]
    ]
    merged["groups"] = [
        {**group, **overlay.group_overrides[group["id"]].model_dump(exclude_none=True)}
        if group["id"] in overlay.group_overrides else group
        for group in base.get("groups", [])
    ]
    return merged


@lru_cache(maxsize=16)
def _builtin(checklist_id: str) -> ChecklistSpec:
    if checklist_id not in builtin_checklist_ids():
        known = ", ".join(builtin_checklist_ids())
        raise RuleFileError(
            checklist_id, "id", f"no built-in checklist with this id (known: {known})",
            ErrorCode.CHECKLIST_NOT_FOUND,
        )
    source = pattern_file("checklists", f"{checklist_id}.yaml")
    return _validated(parse_data(source), str(source))


def _validated(data: object, source: str) -> ChecklistSpec:
    return validate(ChecklistSpec, _resolve_extends(data, source), source, ErrorCode.CHECKLIST_FILE)


def checklist_for_code(code: str) -> str | None:
    """The built-in checklist whose ``codes`` list this code (modifiers after '-' ignored)."""
    base = code.strip().split("-")[0].strip()
    for checklist_id in builtin_checklist_ids():
        if base in _builtin(checklist_id).codes:
            return checklist_id
    return None


@dataclass(frozen=True)
class Score:
    score: float
    verdict: Verdict
    necessity: MedicalNecessity


def score_elements(
    checklist: ChecklistSpec, elements: list[ElementResult], procedure_status: ProcedureStatus, *,
    waived: set[str] = frozenset(),
) -> Score:
    """``waived``: elements a discontinued procedure's note says were never reached; not counted."""
    requirements = _requirements(checklist, elements, waived)
    total = sum(r.weight for r in requirements)
    earned = sum(r.weight * r.credit for r in requirements)
    score = round(100.0 * earned / total, 1) if total else 0.0
    necessity = _necessity(checklist, {r.id: r.credit for r in requirements})
    return Score(score=score, verdict=_verdict(checklist, requirements, procedure_status, score), necessity=necessity)


@dataclass(frozen=True)
class _Requirement:
    """One scored line of the checklist: an element, or a group met by any of its members."""

    id: str
    required: bool
    weight: float
    credit: float


def _requirements(checklist: ChecklistSpec, elements: list[ElementResult], waived: set[str]) -> list[_Requirement]:
    credit = {e.id: CREDIT[e.status] for e in elements}
    grouped = {member for g in checklist.groups for member in g.any_of}
    found = [_Requirement(e.id, e.required, e.weight, credit[e.id]) for e in checklist.elements
             if e.id not in grouped and e.id not in waived]
    return found + [_Requirement(g.id, g.required, g.weight, max(credit[m] for m in g.any_of))
                    for g in checklist.groups]


def _necessity(checklist: ChecklistSpec, credit: dict[str, float]) -> MedicalNecessity:
    missing = [rid for rid in checklist.medical_necessity if credit.get(rid, 0.0) < 1.0]
    names = {e.id: e.name for e in checklist.elements} | {g.id: g.name for g in checklist.groups}
    if missing:
        explanation = "Not supported yet: " + "; ".join(names[r] for r in missing) + "."
    else:
        explanation = "Documented: " + "; ".join(names[r] for r in checklist.medical_necessity) + "."
    return MedicalNecessity(met=not missing, missing=missing, explanation=explanation)


def _verdict(checklist: ChecklistSpec, requirements: list[_Requirement], procedure_status: ProcedureStatus,
             score: float) -> Verdict:
    if procedure_status == "not_documented":
        return "not_applicable"
    if procedure_status == "uncertain":
        return "needs_review"
    if all(r.credit >= 1.0 for r in requirements if r.required):
        return "complete"
    return "needs_query" if score >= checklist.verdicts.query_threshold else "deficient"
