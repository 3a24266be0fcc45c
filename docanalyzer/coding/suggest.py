"""Which code(s) the documentation supports, primary first.

Region code by regions imaged (62302/62303/62304/62305); C1-C2 puncture -> 61055 + the S&I-only
code; injection only -> 62284; a post-myelogram CT read in the note adds 72126/72129/72132;
an attempted (discontinued) myelogram -> the intended region's code (modifier 53 comes from
``coding.modifiers``).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from docanalyzer.report import Evidence, Region, SuggestedCode
from docanalyzer.resolve.procedure import ProcedureAssessment
from docanalyzer.resources import pattern_file
from docanalyzer.rule_files import parse_data, validate

MYELOGRAM_CODE = {"cervical": "62302", "thoracic": "62303", "lumbosacral": "62304"}
SI_ONLY_CODE = {"cervical": "72240", "thoracic": "72255", "lumbosacral": "72265"}
CT_CODE = {"cervical": "72126", "thoracic": "72129", "lumbosacral": "72132"}


class _CodeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str
    regions: list[str]


class CodeTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: str
    codes: dict[str, _CodeEntry]
    modifiers: dict[str, str]


@lru_cache(maxsize=1)
def code_table() -> CodeTable:
    source = pattern_file("codes.yaml")
    return validate(CodeTable, parse_data(source), str(source))


def _code(code: str, reason: str, evidence: list[Evidence]) -> SuggestedCode:
    return SuggestedCode(
        code=code, description=code_table().codes[code].description, reason=reason, evidence=evidence[:4]
    )


def _region_code(regions: list[Region], by_region: dict[str, str], multiple: str) -> str:
    return multiple if len(regions) >= 2 else by_region[regions[0]]


def suggest_codes(procedure: ProcedureAssessment) -> list[SuggestedCode]:
    regions = procedure.regions
    region_ev = [m.evidence() for m in procedure.region_evidence]
    codes: list[SuggestedCode] = []
    where = ", ".join(regions) if regions else "no region stated"

    if procedure.status in {"performed", "uncertain"} and regions:
        if procedure.c12_puncture:
            codes.append(_code("61055", "Contrast entered by C1-C2 (lateral cervical) puncture.", procedure.evidence))
            codes.append(_code(_region_code(regions, SI_ONLY_CODE, "72270"),
                               f"Supervision and interpretation of the myelogram ({where}).", region_ev))
        else:
            codes.append(_code(_region_code(regions, MYELOGRAM_CODE, "62305"),
                               f"Myelogram via lumbar injection imaging {where}.", region_ev))
    elif procedure.status == "injection_only":
        codes.append(_code("62284", "Intrathecal contrast injected; no myelographic images interpreted in this note.",
                           procedure.evidence))
    elif procedure.status == "attempted":
        intended = procedure.intended_regions or ["lumbosacral"]
        codes.append(_code(_region_code(intended, MYELOGRAM_CODE, "62305"),
                           "Myelogram started but not completed (see modifier 53).", procedure.evidence))
    if codes and procedure.ct_read_in_note and procedure.status in {"performed", "uncertain", "injection_only"}:
        for region in procedure.ct_regions or regions or ["lumbosacral"]:
            reason = f"Post-myelogram CT of the {region} spine read in this note."
            codes.append(_code(CT_CODE[region], reason, region_ev))
    return codes
