"""Code review: the codes the documentation supports, modifiers, and billed-vs-documented findings.

- ``suggest``: codes from the procedure, regions and access (data: patterns/codes.yaml);
- ``modifiers``: 53 / 52 / 22 suggestions with the evidence they rest on;
- ``rules``: billed-code and plausibility findings (data: patterns/code_rules.yaml);
- ``billed``: parsing "62304-53, 77003" into codes and modifiers.
"""

from __future__ import annotations

from docanalyzer.coding.billed import parse_billed
from docanalyzer.coding.code_rules import run_rules
from docanalyzer.coding.modifiers import suggest_modifiers
from docanalyzer.coding.suggest import suggest_codes
from docanalyzer.report import ClaimType, CodeReview, ElementResult
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment


def review_codes(
    procedure: ProcedureAssessment,
    billed_code: str | None = None,
    *,
    view: NoteView | None = None,
    elements: list[ElementResult] | None = None,
    claim_type: ClaimType = "professional",
) -> CodeReview:
    codes = suggest_codes(procedure)
    modifiers = suggest_modifiers(procedure, view, claim_type) if view is not None else []
    findings = run_rules(procedure, parse_billed(billed_code), codes, modifiers, view, elements or [], claim_type)
    return CodeReview(billed_code=billed_code, claim_type=claim_type, suggested_codes=codes, modifiers=modifiers,
                      findings=findings)


__all__ = ["parse_billed", "review_codes", "suggest_codes"]
