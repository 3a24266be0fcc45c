"""Was a myelogram performed in this note? Also: which regions it imaged, how contrast got in.

A note can mention a myelogram without one being done here (a consult that plans one, a prior
study, an epidural injection with contrast under fluoroscopy, a plain lumbar puncture). So the
decision rests on current-encounter cues only: a myelogram/intrathecal-contrast mention that is
not negated, planned, historical or someone else's, plus entry into the thecal sac.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docanalyzer.report import REGION_ORDER, Evidence, ProcedureStatus, Region
from docanalyzer.resolve.mentions import Mention, NoteView

# Sections that narrate other times or intentions, not this encounter's procedure.
NOT_THIS_ENCOUNTER = frozenset(
    {"indication", "past_history", "family_history", "social_history", "plan", "comparison",
     "medications", "physical_exam", "diagnosis"}
)
_IMAGING_CUES = ("MYELOGRAM", "CT_MYELOGRAM", "IMAGES", "INJECTED", "CONTRAST_AGENT",
                 "CONTRAST_GENERIC", "FLUOROSCOPY", "FINDING", "RESULT")
# An intrathecal word counts as entry into the thecal sac only next to a needle/injection cue.
_ACCESS_CUES = ("NEEDLE", "INJECTED", "CONTRAST_AGENT", "CONTRAST_GENERIC", "LUMBAR_PUNCTURE",
                "INTRATHECAL", "INTERSPACE_LEVEL", "MYELOGRAM")
_LEVEL_CUES = ("NEEDLE", "SITE_CUE", "LUMBAR_PUNCTURE", "INJECTED", "INTRATHECAL")
_REGION_SECTIONS = frozenset({"title", "findings", "impression", "ct_findings"})
_REGION_LABELS = {
    "REGION_CERVICAL": ("cervical",),
    "REGION_THORACIC": ("thoracic",),
    "REGION_LUMBOSACRAL": ("lumbosacral",),
    "REGION_TOTAL": REGION_ORDER,
}


@dataclass
class ProcedureAssessment:
    status: ProcedureStatus
    regions: list[Region]
    intrathecal_access: bool
    c12_puncture: bool
    ct_read_in_note: bool
    intended_regions: list[Region] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    abort_evidence: list[Evidence] = field(default_factory=list)
    region_evidence: list[Mention] = field(default_factory=list)


def current(view: NoteView, *labels: str, allow_indication: bool = False) -> list[Mention]:
    """Mentions of this encounter: affirmed and outside history/plan sections."""
    excluded = NOT_THIS_ENCOUNTER - {"indication"} if allow_indication else NOT_THIS_ENCOUNTER
    return [m for m in view.labelled(*labels) if m.assertion == "affirmed" and m.section not in excluded]


def _same_sentence(view: NoteView, mention: Mention, labels: tuple[str, ...]) -> bool:
    return any(
        o.label in labels and o.assertion == "affirmed" and o is not mention
        for o in view.sentence_labels(mention.sentence)
    )


def assess(view: NoteView, interpretation_found: bool) -> ProcedureAssessment:
    myelo = current(view, "MYELOGRAM", "CT_MYELOGRAM")
    c12 = current(view, "C12_PUNCTURE")
    # Telegraphic exports often run the whole note under one "Sx:"/"Hx:" header, so entry into the
    # thecal sac may be read there too; the myelogram mention itself may not (history lives there).
    access = current(view, "LUMBAR_PUNCTURE", "C12_PUNCTURE", allow_indication=True) + [
        m for m in current(view, "INTRATHECAL", allow_indication=True) if _same_sentence(view, m, _ACCESS_CUES)
    ]
    levels = [m for m in current(view, "INTERSPACE_LEVEL") if _same_sentence(view, m, _LEVEL_CUES)]
    contrast = current(view, "CONTRAST_AGENT", "CONTRAST_GENERIC")
    intrathecal_contrast = [
        m for m in contrast
        if _same_sentence(view, m, ("INTRATHECAL", "LUMBAR_PUNCTURE", "C12_PUNCTURE", "MYELOGRAM"))
    ]
    aborted = current(view, "ABORTED")
    needle = current(view, "NEEDLE")
    # Images read elsewhere ("reported separately"), or the patient moved on to CT after the injection.
    handoff = current(view, "HANDOFF", "CT_TRANSFER")

    # Without a myelogram mention, intrathecal contrast must be stated as injected (not e.g.
    # "subarachnoid ... contrast enhancing" in a CT report).
    injected = [m for m in intrathecal_contrast if _same_sentence(view, m, ("INJECTED",))]
    myelo_context = bool(myelo or injected)
    # Entry into the thecal sac: a puncture, intrathecal contrast, or (in a myelogram note) a
    # needle placed at a stated interspace.
    entered = bool(access or intrathecal_contrast or (myelo and levels))
    evidence = [m.evidence() for m in (myelo[:2] + intrathecal_contrast[:1] + access[:1])]

    status: ProcedureStatus
    if myelo_context and aborted and (entered or needle):
        status = "attempted"
    elif not (myelo_context and entered):
        status = "not_documented"
    elif interpretation_found and (not handoff or _conventional_images(view)):
        status = "performed"
    elif contrast and (handoff or not interpretation_found):
        status = "injection_only"
    else:
        status = "performed"

    ct_read = status != "not_documented" and _ct_read(view, interpretation_found)
    regions, region_mentions = _regions(view) if status != "not_documented" else ([], [])
    intended = list(regions)
    if status == "attempted" or (status == "injection_only" and not ct_read and not _conventional_images(view)):
        regions, region_mentions = [], []
    return ProcedureAssessment(
        status=status,
        regions=regions,
        intended_regions=intended,
        intrathecal_access=bool(access) or status != "not_documented",
        c12_puncture=bool(c12),
        ct_read_in_note=ct_read,
        evidence=evidence if status != "not_documented" else [],
        abort_evidence=[m.evidence() for m in aborted[:2]] if status == "attempted" else [],
        region_evidence=region_mentions,
    )


def _conventional_images(view: NoteView) -> bool:
    """Myelographic (fluoroscopic/radiographic) images obtained in this encounter."""
    return any(
        _same_sentence(view, m, ("MYELOGRAM", "FLUOROSCOPY", "REGION_LUMBOSACRAL", "REGION_THORACIC",
                                 "REGION_CERVICAL", "REGION_TOTAL"))
        and not _same_sentence(view, m, ("CT_STUDY", "CT_MYELOGRAM", "IMAGING_STUDY", "HANDOFF", "CT_TRANSFER"))
        for m in current(view, "IMAGES")
    )


def _regions(view: NoteView) -> tuple[list[Region], list[Mention]]:
    found: set[Region] = set()
    used: list[Mention] = []
    for mention in current(view, *_REGION_LABELS):
        if mention.section in _REGION_SECTIONS or _same_sentence(view, mention, _IMAGING_CUES):
            found.update(_REGION_LABELS[mention.label])
            used.append(mention)
    for mention in current(view, "MYELOGRAM", "CT_MYELOGRAM"):  # "LUMBAR MYELOGRAM" names its region
        region = mention.metadata.get("region")
        if region:
            found.add(region)
            used.append(mention)
    return [r for r in REGION_ORDER if r in found], used


def _ct_read(view: NoteView, interpretation_found: bool) -> bool:
    """A CT after the injection is read in this note: a CT findings section, CT results stated, or a
    CT myelogram / transfer to CT named with a findings or impression body; never when the reading is
    handed off to a separate report."""
    if any(s.category == "ct_findings" and view.text[s.body_start : s.end].strip() for s in view.sections):
        return True
    if current(view, "HANDOFF"):
        return False
    if interpretation_found and current(view, "CT_MYELOGRAM", "CT_TRANSFER"):
        return True
    return any(_same_sentence(view, m, ("RESULT", "FINDING")) for m in current(view, "CT_MYELOGRAM", "CT_STUDY"))
