"""A discontinued procedure (modifier 53; 73/74 on a facility claim): which checklist elements the
note says were never reached, so that no query asks for them and the score does not count them.

The waivers are data (``discontinued.waive`` in the checklist): "no contrast was injected" waives the
contrast agent; "no myelographic images were obtained" waives the region imaged and the interpretation.
Only an ``attempted`` procedure is waived, and only for what the note itself says was not done: a
silent note keeps its queries.
"""

from __future__ import annotations

from docanalyzer.report import ElementResult
from docanalyzer.resolve.mentions import NoteView
from docanalyzer.resolve.procedure import ProcedureAssessment
from docanalyzer.resolve.signals import matching
from docanalyzer.schemas import ChecklistSpec


def waived_elements(checklist: ChecklistSpec, view: NoteView, procedure: ProcedureAssessment) -> dict[str, str]:
    """Element id -> why it is not asked for (empty unless the procedure was discontinued)."""
    if procedure.status != "attempted" or checklist.discontinued is None:
        return {}
    return {
        waiver.element: waiver.reason
        for waiver in checklist.discontinued.waive
        if any(matching(rule, view) for rule in waiver.when)
    }


def apply_waivers(elements: list[ElementResult], waived: dict[str, str]) -> list[ElementResult]:
    """Waived elements that the note does not document: not required, no weight, the reason said."""
    return [
        element.model_copy(update={"required": False, "weight": 0.0, "reason": waived[element.id], "waived": True})
        if element.id in waived and element.status != "documented" else element
        for element in elements
    ]
