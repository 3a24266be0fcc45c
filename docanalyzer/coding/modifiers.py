"""Modifier suggestions, each quoting its evidence: 53 (discontinued), 52 (reduced), 22 (increased work)."""

from __future__ import annotations

from docanalyzer.coding.suggest import code_table
from docanalyzer.report import ClaimType, Modifier
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment, current, films_denied

# Modifiers a performed myelogram may need, each with the target label that evidences it.
_EVIDENCED = (
    ("52", "REDUCED_SERVICE",
     "The note documents a reduced study; confirm the service was reduced at the physician's election."),
    ("22", "INCREASED_WORK",
     "The note quantifies the extra work (time, passes, against a typical case) and states its cause; "
     "22 needs both."),
)


def suggest_modifiers(procedure: ProcedureAssessment, view: NoteView,
                      claim_type: ClaimType = "professional") -> list[Modifier]:
    table = code_table().modifiers
    out: list[Modifier] = []
    if procedure.status == "attempted":
        code, when = discontinued_modifier(view, claim_type)
        out.append(Modifier(code=code, description=table[code],
                            reason="The note documents that the myelogram was started and then discontinued "
                                   f"({extent_reached(view)}){when}.",
                            evidence=procedure.abort_evidence))
        return out
    if procedure.status != "performed":
        return out
    for code, label, reason in _EVIDENCED:
        found = current(view, label)
        if code == "22":
            found = increased_work(view)
        if found:
            out.append(Modifier(code=code, description=table[code], reason=reason,
                                evidence=[m.evidence() for m in found[:3]]))
    return out


def increased_work(view: NoteView) -> list:
    """The evidence modifier 22 needs, or nothing: the extra work measured against a typical case
    ("55 minutes of needle work, compared with about 15 in a typical case", "twice the usual time")
    and its cause (habitus, scoliosis, fusion hardware...). "Technically difficult" or "three passes"
    alone is not what payers accept."""
    versus_typical = current(view, "WORK_VS_TYPICAL")
    cause = current(view, "WORK_CAUSE")
    if not versus_typical or not cause:
        return []
    return versus_typical[:1] + current(view, "WORK_TIME")[:1] + cause[:1]


def extent_reached(view: NoteView) -> str:
    """How far a discontinued procedure went, as the modifier's documentation asks: needle placed?
    contrast injected? images obtained?"""
    needle = bool(current(view, "NEEDLE", "LUMBAR_PUNCTURE", "C12_PUNCTURE", "INTERSPACE_LEVEL"))
    contrast = bool(current(view, "CONTRAST_AGENT", "CONTRAST_GENERIC")) and not current(view, "NO_CONTRAST")
    images = bool(current(view, "IMAGES")) and not films_denied(view)
    return (f"needle placed: {'yes' if needle else 'not documented'}; contrast injected: "
            f"{'yes' if contrast else 'no'}; images obtained: {'yes' if images else 'no'}")


def discontinued_modifier(view: NoteView, claim_type: ClaimType) -> tuple[str, str]:
    """53 on a professional claim; on a facility claim (hospital outpatient, ASC) 74 once anaesthesia
    (local included) was given before the stop, else 73."""
    if claim_type != "facility":
        return "53", ""
    stops = current(view, "ABORTED") or view.labelled("ABORTED")
    first_stop = stops[0].start if stops else len(view.text)
    anaesthesia = [m for m in current(view, "ANESTHESIA") if m.start < first_stop]
    if anaesthesia:
        return "74", f"; facility claim, after anaesthesia (\"{anaesthesia[0].text}\")"
    return "73", "; facility claim, before any anaesthesia is documented"
