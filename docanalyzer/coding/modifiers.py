"""Modifier suggestions, each quoting its evidence: 53 (discontinued), 52 (reduced), 22 (increased work)."""

from __future__ import annotations

from docanalyzer.coding.suggest import code_table
from docanalyzer.report import Modifier
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment, current


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
    reduced = current(view, "REDUCED_SERVICE")
    if reduced:
        out.append(Modifier(code="52", description=table["52"],
                            reason="The note documents a reduced study; confirm the service was reduced at the "
                                   "physician's election.",
                            evidence=[m.evidence() for m in reduced[:3]]))
    increased = current(view, "INCREASED_WORK")
    if increased:
        out.append(Modifier(code="22", description=table["22"],
                            reason="The note documents substantially increased work and its reason; 22 needs both "
                                   "(compare the usual time and effort).",
                            evidence=[m.evidence() for m in increased[:3]]))
    return out
