"""Billed-vs-documented and plausibility rules. Logic here, switches and wording in
patterns/code_rules.yaml: each rule id below has an entry there (enabled, severity, message)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from docanalyzer.coding.billed import BilledCode
from docanalyzer.coding.modifiers import increased_work
from docanalyzer.report import ClaimType, CodeFinding, ElementResult, Evidence, Modifier, SuggestedCode
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.patient_age import patient_age_years
from docanalyzer.resolve.procedure import ProcedureAssessment, current
from docanalyzer.resources import pattern_file
from docanalyzer.rule_files import parse_data, validate

COMPLETE = frozenset({"62302", "62303", "62304", "62305"})
SI_ONLY = frozenset({"72240", "72255", "72265", "72270"})
POST_MYELOGRAM_CT = frozenset({"72126", "72129", "72132"})
FAMILY = COMPLETE | SI_ONLY | POST_MYELOGRAM_CT | {"62284", "61055"}
FLUORO_GUIDANCE = frozenset({"77003", "76000"})
IOHEXOL_MAX_MG_IODINE = 3060
PEDIATRIC_IOHEXOL_MAX_MGI_ML = 180.0
PEDIATRIC_IOHEXOL_MAX_MG_IODINE = 2700
ADULT_AGE = 18
_LEVEL = re.compile(r"^([CTL])(\d+)-([CTLS])(\d+)$")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    enabled: bool
    severity: Literal["info", "warning", "error"]
    basis: Literal["verified", "check"]
    source: str
    message: str


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    rules: list[RuleSpec]


@lru_cache(maxsize=1)
def rule_specs() -> dict[str, RuleSpec]:
    source = pattern_file("code_rules.yaml")
    parsed = validate(RuleFile, parse_data(source), str(source))
    unknown = {r.id for r in parsed.rules} - set(CHECKS)
    if unknown:
        from docanalyzer.errors import RuleFileError

        raise RuleFileError(str(source), "rules.id", f"no logic for rule ids {sorted(unknown)}")
    return {r.id: r for r in parsed.rules}


@dataclass
class Facts:
    """What the rules look at for one note."""

    procedure: ProcedureAssessment
    billed: list[BilledCode]
    suggested: list[SuggestedCode]
    modifiers: list[Modifier]
    view: NoteView | None
    elements: dict[str, ElementResult] = field(default_factory=dict)
    claim_type: ClaimType = "professional"

    @property
    def billed_codes(self) -> set[str]:
        return {b.code for b in self.billed}

    @property
    def primary(self) -> str:
        return self.suggested[0].code if self.suggested else "no myelography code"

    @cached_property
    def patient_age(self) -> float | None:
        """The age the note states (read once per note: two contrast rules ask)."""
        return patient_age_years(self.view.text) if self.view is not None else None

    def values(self, element_id: str) -> dict:
        element = self.elements.get(element_id)
        return dict(element.values) if element is not None and element.status != "missing" else {}

    def evidence(self, element_id: str) -> list[Evidence]:
        element = self.elements.get(element_id)
        return list(element.evidence[:2]) if element is not None else []


Hit = tuple[dict, list[Evidence]]  # message parameters, evidence


def _complete_billed(f: Facts) -> list[BilledCode]:
    return [b for b in f.billed if b.code in COMPLETE]


def region_mismatch(f: Facts) -> list[Hit]:
    if f.procedure.status != "performed" or f.procedure.c12_puncture or not f.suggested:
        return []
    return [({"billed": str(b), "suggested": f.primary, "regions": " and ".join(f.procedure.regions)},
             f.suggested[0].evidence)
            for b in _complete_billed(f) if f.primary in COMPLETE and b.code != f.primary]


def no_myelogram(f: Facts) -> list[Hit]:
    if f.procedure.status != "not_documented":
        return []
    return [({"billed": str(b)}, []) for b in f.billed if b.code in COMPLETE | SI_ONLY]


def injection_only(f: Facts) -> list[Hit]:
    if f.procedure.status != "injection_only":
        return []
    return [({"billed": str(b), "suggested": f.primary}, f.procedure.evidence) for b in _complete_billed(f)]


def c12_access(f: Facts) -> list[Hit]:
    if not f.procedure.c12_puncture or f.procedure.status == "not_documented":
        return []
    suggested = " + ".join(c.code for c in f.suggested) or "61055 + the S&I code"
    return [({"billed": str(b), "suggested": suggested}, f.procedure.evidence) for b in _complete_billed(f)]


def _together(f: Facts, others: frozenset[str]) -> list[Hit]:
    if not (f.billed_codes & COMPLETE) or not (f.billed_codes & others):
        return []
    codes = " + ".join(sorted(f.billed_codes & (COMPLETE | others)))
    return [({"codes": codes, "suggested": f.primary}, [])]


def bundled_injection(f: Facts) -> list[Hit]:
    return _together(f, frozenset({"62284"}))


def bundled_si(f: Facts) -> list[Hit]:
    return _together(f, SI_ONLY)


def bundled_fluoro(f: Facts) -> list[Hit]:
    return _together(f, FLUORO_GUIDANCE)


def two_myelography_codes(f: Facts) -> list[Hit]:
    both = f.billed_codes & COMPLETE
    return [({"codes": " + ".join(sorted(both)), "suggested": f.primary}, [])] if len(both) > 1 else []


def pc_tc_modifier(f: Facts) -> list[Hit]:
    return [({"billed": str(b), "modifier": m}, []) for b in _complete_billed(f) for m in b.modifiers
            if m in {"26", "TC"}]


def modifier_51(f: Facts) -> list[Hit]:
    return [({"billed": str(b), "modifier": "51"}, []) for b in f.billed if "51" in b.modifiers]


DISCONTINUED = frozenset({"53", "73", "74"})


def discontinued_without_53(f: Facts) -> list[Hit]:
    if f.procedure.status != "attempted":
        return []
    return [({"billed": str(b)}, f.procedure.abort_evidence) for b in _complete_billed(f)
            if not DISCONTINUED & set(b.modifiers)]


def modifier_53_without_discontinuation(f: Facts) -> list[Hit]:
    if f.procedure.status == "attempted":
        return []
    return [({"billed": str(b)}, []) for b in f.billed if DISCONTINUED & set(b.modifiers)]


def modifier_52_without_reduction(f: Facts) -> list[Hit]:
    if f.view is None or current(f.view, "REDUCED_SERVICE"):
        return []
    return [({"billed": str(b)}, []) for b in f.billed if "52" in b.modifiers]


def modifier_for_claim_type(f: Facts) -> list[Hit]:
    """53 belongs on the physician's claim, 73/74 on a hospital outpatient or ASC claim."""
    wrong = {"73", "74"} if f.claim_type == "professional" else {"53"}
    expected = "53" if f.claim_type == "professional" else "73 or 74"
    return [({"billed": str(b), "modifier": m, "claim_type": f.claim_type, "suggested": expected}, [])
            for b in f.billed for m in b.modifiers if m in wrong]


def modifier_22_without_increased_work(f: Facts) -> list[Hit]:
    if f.view is None or not any("22" in b.modifiers for b in f.billed):
        return []
    if increased_work(f.view):
        return []
    stated = current(f.view, "INCREASED_WORK")
    return [({"billed": str(b)}, [m.evidence() for m in stated[:2]]) for b in f.billed if "22" in b.modifiers]


def billed_vs_supported(f: Facts) -> list[Hit]:
    """Any difference between the billed and the supported codes of the family, both ways."""
    if f.procedure.status not in {"performed", "attempted", "injection_only"} or not f.billed:
        return []
    billed = {b.code for b in f.billed} & FAMILY
    supported = {c.code for c in f.suggested}
    if billed == supported:
        return []
    parts = []
    if supported - billed:
        parts.append("documented but not billed: " + ", ".join(sorted(supported - billed)))
    if billed - supported:
        parts.append("billed but not supported: " + ", ".join(sorted(billed - supported)))
    params = {"billed": " + ".join(sorted(billed)) or "no myelography code",
              "suggested": " + ".join(c.code for c in f.suggested), "codes": "; ".join(parts)}
    return [(params, f.suggested[0].evidence if f.suggested else [])]


def ionic_contrast(f: Facts) -> list[Hit]:
    values = f.values("contrast_agent")
    if "agent" in values and values.get("intrathecal_approved", True) is False:
        return [({"agent": f"{values.get('name_as_written')} ({values['agent']})"}, f.evidence("contrast_agent"))]
    return []


def contrast_formulation_unstated(f: Facts) -> list[Hit]:
    values = f.values("contrast_agent")
    if values.get("intrathecal_approved") == "confirm formulation":
        return [({"agent": str(values.get("name_as_written"))}, f.evidence("contrast_agent"))]
    return []


def omnipaque_140_350(f: Facts) -> list[Hit]:
    values = f.values("contrast_agent")
    concentration = values.get("concentration_mgi_ml")
    if values.get("agent") == "iohexol" and concentration in (140.0, 350.0):
        return [({"concentration": int(concentration)}, f.evidence("contrast_agent"))]
    return []


def _is_a_child(f: Facts) -> float | None:
    """The patient's age when the note says the patient is under 18."""
    age = f.patient_age
    return age if age is not None and age < ADULT_AGE else None


def iohexol_dose(f: Facts) -> list[Hit]:
    values = f.values("contrast_agent")
    iodine = values.get("iodine_mg")
    if _is_a_child(f) is not None:  # the paediatric limit (PL007) is the one that applies
        return []
    if values.get("agent") == "iohexol" and isinstance(iodine, float) and iodine > IOHEXOL_MAX_MG_IODINE:
        return [({"iodine_mg": f"{iodine:,.0f}", "limit": f"{IOHEXOL_MAX_MG_IODINE:,}"}, f.evidence("contrast_agent"))]
    return []


def pediatric_iohexol(f: Facts) -> list[Hit]:
    """Children: the iohexol label allows 180 mgI/mL only, up to 2,700 mg iodine per examination."""
    age = _is_a_child(f)
    values = f.values("contrast_agent")
    if age is None or values.get("agent") != "iohexol":
        return []
    concentration, iodine = values.get("concentration_mgi_ml"), values.get("iodine_mg")
    over = []
    if isinstance(concentration, float) and concentration > PEDIATRIC_IOHEXOL_MAX_MGI_ML:
        over.append(f"{concentration:g} mgI/mL")
    if isinstance(iodine, float) and iodine > PEDIATRIC_IOHEXOL_MAX_MG_IODINE:
        over.append(f"{iodine:,.0f} mg iodine")
    if not over:
        return []
    shown_age = f"{age * 12:.0f} months" if age < 2 else f"{age:g} years"
    return [({"age": shown_age, "documented": " and ".join(over),
              "limit": f"{PEDIATRIC_IOHEXOL_MAX_MGI_ML:g} mgI/mL, {PEDIATRIC_IOHEXOL_MAX_MG_IODINE:,} mg iodine"},
             f.evidence("contrast_agent"))]


def high_lumbar_level(f: Facts) -> list[Hit]:
    values = f.values("injection_site")
    match = _LEVEL.match(str(values.get("level", "")))
    if values.get("approach") != "lumbar" or not match:
        return []
    upper_region, upper_number = match.group(1), int(match.group(2))
    if upper_region in {"C", "T"} or (upper_region == "L" and upper_number <= 1):
        return [({"level": values["level"]}, f.evidence("injection_site"))]
    return []


_EXPOSURE_INDEX = re.compile(r"(?i)\b(?:[mµu]?gy|cgy|air kerma|kerma|dap|kap|dose[- ]area product|ak)\b")
def fluoro_dose_missing(f: Facts) -> list[Hit]:
    """MIPS #145 (2023 onward): the final report documents radiation exposure indices (air kerma,
    kerma-area product). Fluoroscopy time, even with an image count, met only the older wording."""
    element = f.elements.get("fluoroscopic_guidance")
    if element is None or element.status != "documented" or f.view is None:
        return []
    stated = f.view.by_label.get("FLUORO_DOSE", [])
    said = [m.text for m in stated] + [f.view.sentence_text(m.sentence) for m in stated]
    if any(_EXPOSURE_INDEX.search(text) for text in said):
        return []
    return [({"stated": "fluoroscopy time only" if stated else "no time or dose"}, list(element.evidence[:1]))]


CHECKS: dict[str, Callable[[Facts], list[Hit]]] = {
    "CR001_REGION_MISMATCH": region_mismatch,
    "CR002_NO_MYELOGRAM": no_myelogram,
    "CR003_INJECTION_ONLY": injection_only,
    "CR004_C1C2_ACCESS": c12_access,
    "CR005_BUNDLED_INJECTION": bundled_injection,
    "CR006_BUNDLED_SI": bundled_si,
    "CR007_BUNDLED_FLUORO": bundled_fluoro,
    "CR008_TWO_MYELOGRAPHY_CODES": two_myelography_codes,
    "CR009_PC_TC_MODIFIER": pc_tc_modifier,
    "CR010_MODIFIER_51": modifier_51,
    "CR011_DISCONTINUED_WITHOUT_53": discontinued_without_53,
    "CR012_53_WITHOUT_DISCONTINUATION": modifier_53_without_discontinuation,
    "CR013_22_WITHOUT_INCREASED_WORK": modifier_22_without_increased_work,
    "CR014_BILLED_VS_SUPPORTED": billed_vs_supported,
    "CR015_MODIFIER_FOR_CLAIM_TYPE": modifier_for_claim_type,
    "CR016_52_WITHOUT_REDUCTION": modifier_52_without_reduction,
    "PL001_IONIC_OR_NOT_INTRATHECAL": ionic_contrast,
    "PL002_OMNIPAQUE_140_350": omnipaque_140_350,
    "PL006_CONTRAST_FORMULATION_UNSTATED": contrast_formulation_unstated,
    "PL003_IOHEXOL_DOSE": iohexol_dose,
    "PL007_PEDIATRIC_IOHEXOL": pediatric_iohexol,
    "PL004_HIGH_LUMBAR_LEVEL": high_lumbar_level,
    "PL005_FLUORO_DOSE_MISSING": fluoro_dose_missing,
}


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def run_rules(
    procedure: ProcedureAssessment,
    billed: list[BilledCode],
    suggested: list[SuggestedCode],
    modifiers: list[Modifier],
    view: NoteView | None,
    elements: list[ElementResult],
    claim_type: ClaimType = "professional",
) -> list[CodeFinding]:
    facts = Facts(procedure, billed, suggested, modifiers, view, {e.id: e for e in elements}, claim_type)
    findings: list[CodeFinding] = []
    for rule_id, spec in rule_specs().items():
        if not spec.enabled:
            continue
        for params, evidence in CHECKS[rule_id](facts):
            findings.append(CodeFinding(rule_id=rule_id, severity=spec.severity,
                                        message=spec.message.format_map(_Defaults(params)),
                                        evidence=evidence[:4]))
    return findings
