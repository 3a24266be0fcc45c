"""Modifier suggestions, each quoting its evidence: 53 (discontinued), 52 (reduced), 22 (increased work)."""

from __future__ import annotations

import re

from docanalyzer.coding.suggest import code_table
from docanalyzer.report import ClaimType, Modifier
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment, current, films_denied

# The reason a study was reduced, in the sentence that says what was reduced.
_REDUCTION_CAUSE = re.compile(
    r"(?i)\b(?:due to|because(?: of)?|secondary to|owing to|given|limited by|as the patient"
    r"|the patient (?:could not|was unable|was not able)|could not tolerate|unable to tolerate"
    r"|per (?:the )?(?:referring|ordering))\b[^.;\n]{0,80}")


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
    reduced = current(view, "REDUCED_SERVICE")
    if reduced:
        out.append(Modifier(code="52", description=table["52"], reason=reduction_reason(view, reduced[0]),
                            evidence=[view.clause(m.evidence()) for m in reduced[:2]]))
    work = increased_work(view)
    if work:
        out.append(Modifier(code="22", description=table["22"],
                            reason="The note quantifies the extra work (time, passes, against a typical case) and "
                                   "states its cause; 22 needs both.",
                            evidence=[m.evidence() for m in work[:3]]))
    return out


def reduction_reason(view: NoteView, reduced) -> str:
    """What 52 needs said: what was reduced (quoted) and why (the cause in the same sentence, if any)."""
    cause = _REDUCTION_CAUSE.search(view.sentence_text(reduced.sentence)) if view.sentence_bounds else None
    why = (f'why: "{cause.group(0).strip()}"' if cause
           else "why: not documented (52 needs the reason the study was reduced)")
    return (f'The note documents a reduced study ("{reduced.text}"); {why}. Confirm the service was reduced at '
            "the physician's election.")


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
