"""Finding concepts (stenosis, nerve root compression, CSF leak, disc herniation) with assertion.

When a concept is stated more than once, the study's own impression wins over its findings,
which win over the rest of the note; within the same place, present > possible > negated.
"""

from __future__ import annotations

from docanalyzer.report import Assertion, Finding
from docanalyzer.resolve.mentions import Mention, NoteView

_SECTION_RANK = {"impression": 0, "findings": 1, "ct_findings": 2}
_ASSERTION_RANK = {"present": 0, "possible": 1, "negated": 2}
_TO_ASSERTION: dict[str, Assertion] = {
    "affirmed": "present",
    "historical": "present",
    "possible": "possible",
    "negated": "negated",
}


def resolve_findings(view: NoteView) -> list[Finding]:
    by_concept: dict[str, list[tuple[Mention, Assertion]]] = {}
    for mention in view.by_label.get("FINDING", ()):
        assertion = _TO_ASSERTION.get(mention.assertion)
        if assertion is None or mention.section == "family_history":
            continue  # hypothetical, family, blank: not a finding about this patient
        concept = str(mention.metadata.get("concept", "unknown"))
        by_concept.setdefault(concept, []).append((mention, assertion))
    findings: list[Finding] = []
    for concept in sorted(by_concept):
        stated = by_concept[concept]
        best_rank = min(_rank(m, a) for m, a in stated)
        assertion = next(a for m, a in stated if _rank(m, a) == best_rank)
        evidence = [m.evidence() for m, a in stated if a == assertion][:5]
        findings.append(Finding(concept=concept, assertion=assertion, evidence=evidence))
    return findings


def _rank(mention: Mention, assertion: Assertion) -> tuple[int, int]:
    return (_SECTION_RANK.get(mention.section or "", 3), _ASSERTION_RANK[assertion])
