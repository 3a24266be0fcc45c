"""Modifier suggestions, each quoting its evidence: 53 (discontinued), 52 (reduced), 22 (increased work)."""

from __future__ import annotations

from docanalyzer.coding.suggest import code_table
from docanalyzer.report import Modifier
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment, current

# Modifiers a performed myelogram may need, each with the target label that evidences it.
_EVIDENCED = (
    ("52", "REDUCED_SERVICE",
     "The note documents a reduced study; confirm the service was reduced at the physician's election."),
    ("22", "INCREASED_WORK",
     "The note documents substantially increased work and its reason; 22 needs both (compare the usual time "
     "and effort)."),
)


def suggest_modifiers(procedure: ProcedureAssessment, view: NoteView) -> list[Modifier]:
    table = code_table().modifiers
    out: list[Modifier] = []
    if procedure.status == "attempted":
        out.append(Modifier(code="53", description=table["53"],
                            reason="The note documents that the myelogram was started and then discontinued.",
                            evidence=procedure.abort_evidence))
        return out
    if procedure.status != "performed":
        return out
    for code, label, reason in _EVIDENCED:
        found = current(view, label)
        if found:
            out.append(Modifier(code=code, description=table[code], reason=reason,
                                evidence=[m.evidence() for m in found[:3]]))
    return out
