"""Was a myelogram done in this note? Also: which regions it imaged, how contrast got in.

A note can mention a myelogram without one being done here (a consult that plans one, a prior
study, an epidural injection with contrast under fluoroscopy, a plain lumbar puncture). The
decision adds up independent signals (``resolve.signals``, weights and thresholds in
patterns/procedure_decision.yaml): enough evidence -> done (then how far it went), some ->
``uncertain`` (a person must look), little or evidence against -> ``not_documented``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docanalyzer.report import (
    REGION_ORDER,
    Evidence,
    ProcedureDecision,
    ProcedureSignal,
    ProcedureStatus,
    Region,
)
from docanalyzer.resolve.mentions import Mention, NoteView
from docanalyzer.resolve.signals import (
    FoundSignal,
    decision_spec,
    find_signals,
    matching,
    section_weight,
    vetoed_sentences,
)
from docanalyzer.schemas import MentionRule, ProcedureDecisionSpec

# Sections that narrate other times or intentions, not this encounter's procedure.
NOT_THIS_ENCOUNTER = frozenset(
    {"indication", "past_history", "family_history", "social_history", "plan", "comparison",
     "medications", "physical_exam", "diagnosis", "billing"}
)
_IMAGING_CUES = ("MYELOGRAM", "CT_MYELOGRAM", "IMAGES", "INJECTED", "CONTRAST_AGENT",
                 "CONTRAST_GENERIC", "FLUOROSCOPY", "FINDING", "RESULT")
_REGION_SECTIONS = frozenset({"title", "findings", "impression", "ct_findings"})
_READ_SECTIONS = frozenset({"findings", "impression", "ct_findings"})
_REGION_LABELS = {
    "REGION_CERVICAL": ("cervical",),
    "REGION_THORACIC": ("thoracic",),
    "REGION_LUMBOSACRAL": ("lumbosacral",),
    "REGION_TOTAL": REGION_ORDER,
}
_STARTED = frozenset({"thecal_entry", "needle_level", "intrathecal_contrast", "contrast_given"})
_DONE = frozenset({"performed", "attempted", "injection_only", "uncertain"})


@dataclass
class ProcedureAssessment:
    status: ProcedureStatus
    regions: list[Region]
    intrathecal_access: bool
    c12_puncture: bool
    ct_read_in_note: bool
    ct_regions: list[Region] = field(default_factory=list)  # the regions the post-myelogram CT covered
    intended_regions: list[Region] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    abort_evidence: list[Evidence] = field(default_factory=list)
    region_evidence: list[Mention] = field(default_factory=list)
    decision: ProcedureDecision | None = None


def current(view: NoteView, *labels: str, allow_indication: bool = False) -> list[Mention]:
    """Mentions of this encounter: affirmed and outside history/plan sections."""
    excluded = NOT_THIS_ENCOUNTER - {"indication"} if allow_indication else NOT_THIS_ENCOUNTER
    return [m for m in view.labelled(*labels) if m.assertion == "affirmed" and m.section not in excluded]


def _same_sentence(view: NoteView, mention: Mention, labels: tuple[str, ...]) -> bool:
    return any(
        o.label in labels and o.assertion == "affirmed" and o is not mention
        for o in view.sentence_labels(mention.sentence)
    )


def _weighted(view: NoteView, spec: ProcedureDecisionSpec, rule: MentionRule) -> list[Mention]:
    """Mentions of a rule in sections that count for the procedure."""
    return [m for m in matching(rule, view) if section_weight(spec, m.section) > 0]


@dataclass
class _Reading:
    """What the signals of one note say, computed once."""

    signals: list[FoundSignal]
    score: float
    core: bool  # the study named, or contrast in the thecal sac, anywhere it counts
    firm: bool  # ... where this encounter is told (full weight, not only a history paragraph)

    @property
    def ids(self) -> set[str]:
        return {s.id for s in self.signals}

    @property
    def against(self) -> list[FoundSignal]:
        return [s for s in self.signals if s.weight < 0]


def _read(view: NoteView, interpretation: list[Evidence] | None, spec: ProcedureDecisionSpec,
          vetoed: frozenset[int]) -> _Reading:
    signals = find_signals(view, interpretation, spec, vetoed)
    return _Reading(
        signals=signals,
        score=round(sum(s.weight for s in signals), 2),
        core=any(s.core for s in signals),
        firm=any(s.core and s.full for s in signals),
    )


def assess(view: NoteView, interpretation: list[Evidence] | None) -> ProcedureAssessment:
    """``interpretation``: the evidence that documents the interpretation element, or None."""
    spec = decision_spec()
    vetoed = vetoed_sentences(view, spec)  # (once: the signals and the stops both skip these sentences)
    reading = _read(view, interpretation, spec, vetoed)
    aborted = _stops(view, spec, vetoed)
    status = _decide(view, spec, reading, interpretation, aborted)
    ct_read = status in _DONE and _ct_read(view, interpretation is not None)
    regions, region_mentions = _regions(view) if status in _DONE else ([], [])
    ct_regions = _ct_regions(view, regions) if ct_read else []
    intended = list(regions)
    if status == "attempted" or (status == "injection_only" and not ct_read and not _conventional_images(view)):
        regions, region_mentions = [], []
    cited = [s for s in reading.signals if s.weight > 0] if status in _DONE else reading.against
    return ProcedureAssessment(
        status=status,
        regions=regions,
        intended_regions=intended,
        # entry into the thecal sac told where this encounter is (not only in a consent's risk list)
        intrathecal_access=status in _DONE or any(s.id == "thecal_entry" and s.full for s in reading.signals),
        c12_puncture=bool(current(view, "C12_PUNCTURE", allow_indication=True)),
        ct_read_in_note=ct_read,
        ct_regions=ct_regions,
        evidence=[s.evidence[0] for s in cited if s.evidence][:4],
        abort_evidence=[m.evidence() for m in aborted[:2]] if status == "attempted" else [],
        region_evidence=region_mentions,
        decision=_decision(spec, status, reading.score, reading.signals, reading.core),
    )


def _stops(view: NoteView, spec: ProcedureDecisionSpec, vetoed: frozenset[int]) -> list[Mention]:
    """The note's words that the study stopped, in order; a stop told in a sentence about a past,
    planned or outside study (``vetoed``) is that study's, not this one's."""
    stops = {m for rule in spec.outcome.abort for m in matching(rule, view) if m.sentence not in vetoed}
    return sorted(stops, key=lambda m: m.start)


def _decide(view: NoteView, spec: ProcedureDecisionSpec, reading: _Reading,
            interpretation: list[Evidence] | None, aborted: list[Mention]) -> ProcedureStatus:
    """The status from the score and thresholds; how far a study that was done went."""
    done, unsure = spec.thresholds.done, spec.thresholds.uncertain
    if reading.core and aborted and _started(view, reading) and (reading.firm or reading.score >= unsure) \
            and not _images_read(view, reading, interpretation):
        return "attempted"
    if reading.firm and reading.score >= done and _happened(spec, reading):
        return _how_far(view, spec, reading, interpretation)
    if (reading.firm and (reading.score >= unsure or not reading.against)) or (reading.core and reading.score >= done):
        return "uncertain" if _shown(spec, reading) else "not_documented"
    return "not_documented"


def _shown(spec: ProcedureDecisionSpec, reading: _Reading) -> bool:
    """Some part of the study is told as happening (a needle, contrast in the sac, images, a reading)."""
    return not spec.uncertain_needs_one_of or bool(reading.ids & set(spec.uncertain_needs_one_of))


def _happened(spec: ProcedureDecisionSpec, reading: _Reading) -> bool:
    """The note shows the study happening (the puncture, the contrast going in, or images read), not
    only named with its plan: a high score of named parts alone is not enough."""
    return not spec.done_needs_one_of or any(set(group) <= reading.ids for group in spec.done_needs_one_of)


def _started(view: NoteView, reading: _Reading) -> bool:
    """Stopped after it started (a needle, a puncture or contrast, or the patient prepared and draped
    in the procedure room: a facility's 73), not cancelled beforehand."""
    return bool(reading.ids & _STARTED) or bool(current(view, "NEEDLE", "PREP_STARTED"))


def _images_read(view: NoteView, reading: _Reading, interpretation: list[Evidence] | None) -> bool:
    """An interpretation and images of a region, unless the note says no images were made."""
    return interpretation is not None and "images_of_region" in reading.ids and not films_denied(view)


def films_denied(view: NoteView) -> bool:
    """The note says no images were made ("no images were obtained", "no myelographic images")."""
    return any(m.assertion == "negated" for m in view.labelled("IMAGES")) or bool(current(view, "NO_FILMS"))


def _how_far(view: NoteView, spec: ProcedureDecisionSpec, reading: _Reading,
             interpretation: list[Evidence] | None) -> ProcedureStatus:
    """performed, or injection_only on "no conventional films" or a hand-off without read films."""
    films = "images_of_region" in reading.ids or _conventional_images(view)
    if _weighted(view, spec, spec.outcome.no_films):
        return "injection_only"
    if _weighted(view, spec, spec.outcome.handoff) and not (interpretation is not None and films):
        return "injection_only"
    return "performed"


def _decision(
    spec: ProcedureDecisionSpec, status: ProcedureStatus, score: float, signals: list[FoundSignal], core: bool
) -> ProcedureDecision:
    done, unsure = spec.thresholds.done, spec.thresholds.uncertain
    found = ", ".join(f"{s.id} ({s.weight:+g})" for s in signals) or "none"
    if status == "uncertain":
        why = (f"Score {score:g} lies between {unsure:g} and {done:g}: the signals are too weak or conflict; "
               "a person must look." if score < done else "")
    elif status == "not_documented":
        against = "; ".join(s.description.lower() for s in signals if s.weight < 0)
        if against:
            why = f"No myelogram was done in this encounter: {against}."
        elif not core:
            why = "No myelogram is named and no contrast reached the thecal sac in this encounter."
        else:
            why = (f"Score {score:g} is below {unsure:g}: the myelogram is named only in a history or indication "
                   "paragraph.")
    else:
        why = f"Score {score:g} reaches {done:g}: a myelogram was done in this note ({status})."
    reasons = [r for r in (why, f"Signals: {found}.") if r]
    return ProcedureDecision(
        score=score, done_threshold=done, uncertain_threshold=unsure, reasons=reasons,
        signals=[ProcedureSignal(id=s.id, weight=round(s.weight, 3), description=s.description, evidence=s.evidence)
                 for s in signals],
    )


def _conventional_images(view: NoteView) -> bool:
    """Myelographic (fluoroscopic/radiographic) images obtained in this encounter."""
    return any(
        _same_sentence(view, m, ("MYELOGRAM", "FLUOROSCOPY", "REGION_LUMBOSACRAL", "REGION_THORACIC",
                                 "REGION_CERVICAL", "REGION_TOTAL"))
        and not _same_sentence(view, m, ("CT_STUDY", "CT_MYELOGRAM", "IMAGING_STUDY", "IMAGING_GENERIC", "HANDOFF",
                                         "CT_TRANSFER"))
        for m in current(view, "IMAGES")
    )


def _regions(view: NoteView) -> tuple[list[Region], list[Mention]]:
    """Regions imaged and read; a film that only checks the needle's position images no region, the
    skin prepared over a region images nothing, and the edge of a neighbouring region seen in passing
    ("the distal thoracic cord" on a lumbar study) adds it only when nothing else names a region."""
    named: dict[Mention, tuple[Region, ...]] = {}
    for mention in current(view, *_REGION_LABELS):
        if mention.section == "billing" or _same_sentence(view, mention, ("NEEDLE_CHECK",)) or _prepared(view, mention):
            continue
        if mention.section in _REGION_SECTIONS or _same_sentence(view, mention, _IMAGING_CUES):
            named[mention] = _REGION_LABELS[mention.label]
    for mention in current(view, "MYELOGRAM", "CT_MYELOGRAM"):  # "LUMBAR MYELOGRAM" names its region
        region = mention.metadata.get("region")
        if region:
            named[mention] = (region,)
    whole = {m: r for m, r in named.items() if not _in_passing(view, m)}
    kept = whole or named
    if not kept:
        found, used = _regions_of_read_levels(view)
        return [r for r in REGION_ORDER if r in found], used
    found = {region for regions in kept.values() for region in regions}
    return [r for r in REGION_ORDER if r in found], list(kept)


# the edge of a region, or the region the contrast came from ("from the lumbar region to the thoracic")
_BORDER_BEFORE = re.compile(
    r"\b(?:lower|lowermost|distal|upper|uppermost|proximal|caudal|inferior|superior|from(?:[ \t]+the)?)[ \t]+$",
    re.IGNORECASE)
# a junction, or the route of the needle ("CERVICAL MYELOGRAM (LUMBAR INJECTION)")
_BORDER_AFTER = re.compile(r"[ \t-]*(?:junction|injection|approach|puncture|route|access)\b", re.IGNORECASE)


def _in_passing(view: NoteView, mention: Mention) -> bool:
    """A region named at an edge, as the contrast's origin, or as the needle's way in: it counts only
    when no other region is named."""
    if _BORDER_BEFORE.search(view.text, max(0, mention.start - 24), mention.start):
        return True
    if _BORDER_AFTER.match(view.text, mention.end):
        return True
    return (mention.label.startswith("REGION_") and mention.section not in _READ_SECTIONS
            and _same_sentence(view, mention, _ACCESS_CUES) and not _same_sentence(view, mention, _PICTURE_CUES))


_ACCESS_CUES = ("NEEDLE", "LUMBAR_PUNCTURE", "C12_PUNCTURE", "SITE_CUE", "INTRATHECAL")
_PICTURE_CUES = ("IMAGES", "MYELOGRAM", "CT_MYELOGRAM")


def _prepared(view: NoteView, mention: Mention) -> bool:
    """The region is the skin prepared for the puncture ("the lumbar region was prepped and draped")."""
    return _same_sentence(view, mention, ("PREP_STARTED",)) and not _same_sentence(view, mention, ("IMAGES",))


_LEVEL_REGION = {"c": "cervical", "t": "thoracic", "l": "lumbosacral", "s": "lumbosacral"}
_NEEDLE_CUES = (*_ACCESS_CUES, "NEEDLE_CHECK")  # the way in, and the film that checks the needle


def _regions_of_read_levels(view: NoteView) -> tuple[set[Region], list[Mention]]:
    """When no region is named, the levels the findings read name it ("L4-5: severe stenosis" is a
    lumbar study), apart from the needle's own level ("needle tip at L2-3")."""
    found: set[Region] = set()
    used: list[Mention] = []
    for mention in current(view, "INTERSPACE_LEVEL"):
        if mention.section not in _READ_SECTIONS or _same_sentence(view, mention, _NEEDLE_CUES):
            continue
        region = _LEVEL_REGION.get(mention.text[:1].lower())
        if region:
            found.add(region)
            used.append(mention)
    return found, used


_CT_CUES = ("CT_STUDY", "CT_MYELOGRAM", "CT_TRANSFER")
_ONLY = re.compile(r"\bonly\b", re.IGNORECASE)
_AXIAL = re.compile(r"\baxial\b", re.IGNORECASE)
_CT_WORD = re.compile(r"(?<![A-Za-z])CT(?![A-Za-z])")


def _line_of(text: str, position: int) -> str:
    start = text.rfind("\n", max(0, position - 300), position) + 1
    end = text.find("\n", position, position + 300)
    return text[start : end if end >= 0 else position + 300]


def _ct_regions(view: NoteView, regions: list[Region]) -> list[Region]:
    """The regions the CT covered: those named with the CT or its axial images, or in its findings;
    a sentence that limits it ("axial images of the lumbar spine only") decides; the myelogram's
    regions when the note does not say."""
    found: set[Region] = set()
    limited: set[Region] = set()
    for mention in current(view, *_REGION_LABELS):
        if mention.section == "billing":  # the claim's own lines ("CHG|72129|CT THORACIC SPINE") prove nothing
            continue
        sentence = view.sentence_text(mention.sentence)
        line = _line_of(view.text, mention.start)
        if "|" not in line:  # only a field line says it ("CT_COVERAGE|L1 through sacrum (lumbar only)")
            line = ""
        about_ct = (_same_sentence(view, mention, _CT_CUES) or bool(_AXIAL.search(sentence))
                    or bool(_CT_WORD.search(line)))
        if mention.section == "ct_findings" or about_ct:
            found.update(_REGION_LABELS[mention.label])
        if about_ct and (_ONLY.search(sentence) or _ONLY.search(line)):
            limited.update(_REGION_LABELS[mention.label])
    chosen = limited or found
    return [r for r in REGION_ORDER if r in chosen] or list(regions)


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
