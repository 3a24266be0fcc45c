"""Diagnosis mentions of a note, with region, levels, laterality, and whether they can be coded.

Terms come from patterns/diagnoses.yaml and are matched on the note text directly (a separate pass:
the analyzer's own target rules, and so every existing answer, stay untouched). Whether a mention
states the condition as present reuses the analyzer's ConText assertion of any target mention it
overlaps (negated, possible, hypothetical, historical, family, blank field), and adds the mapping's
own cues for the outpatient rule (uncertain diagnoses are not coded).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from docanalyzer.diagnosis.mapping import DiagnosisMapping
from docanalyzer.report import Evidence
from docanalyzer.resolve.mentions import NoteView

# An interspace ("L4-5", "L4-L5", "C5/6", "L5-S1", "L4 on L5") or a single level ("L5", "S1").
_LEVEL = re.compile(
    r"\b([CTLS])\s?(\d{1,2})(?:\s*(?:-|–|/|\bon\b)\s*([CTLS])?\s?(\d{1,2}))?\b(?!\s*(?:mm|cm|%))",
    re.IGNORECASE,
)
_LATERALITY = re.compile(r"\b(right|left|bilateral(?:ly)?|both)\b", re.IGNORECASE)
# Assertions of an overlapping target mention that keep a diagnosis from being coded.
_NOT_CODED = {"negated": "negated", "possible": "uncertain", "hypothetical": "hypothetical",
              "historical": "historical", "family": "family", "template_blank": "blank field"}
_PRE_WINDOW = 80
_NEG_WINDOW = 40


@dataclass(frozen=True)
class DxMention:
    """One mention of a diagnosis concept, with what its code needs."""

    concept: str
    start: int
    end: int
    sentence: int
    regions: tuple[str, ...]  # ICD regions (cervical, thoracic, lumbar, lumbosacral); empty: not stated
    levels: tuple[str, ...]
    laterality: str  # right, left, bilateral, unstated
    clause: str  # the clause it sits in (qualifier cues are looked for there)
    evidence: Evidence
    discounted: str | None = None  # why it is not coded (negated, uncertain, ...), or None


class _Compiled:
    """The mapping's regular expressions, compiled once."""

    def __init__(self, mapping: DiagnosisMapping) -> None:
        self.terms = {c.id: _any(c.terms) for c in mapping.concepts}
        cues = mapping.assertion_cues
        self.uncertain_before = _any(cues.uncertain_before)
        self.uncertain_after = _any(cues.uncertain_after)
        self.negated_before = _any(cues.negated_before)
        self.negated_after = _any(cues.negated_after)
        self.excluded_sections = frozenset(cues.excluded_sections)
        self.region_words = {region: _any(words) for region, words in mapping.region_words.items()}
        q = mapping.qualifiers
        self.claudication = _any(q.neurogenic_claudication)
        self.disc = _any(q.disc)
        self.spondylosis = _any(q.spondylosis)
        self.leak = {"puncture": _any(q.leak_after_puncture), "spontaneous": _any(q.leak_spontaneous),
                     "surgery": _any(q.leak_after_surgery)}


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(f"(?:{p})" for p in patterns) + r")(?![\w])", re.IGNORECASE)


_COMPILED: dict[int, tuple[DiagnosisMapping, _Compiled]] = {}


def compiled(mapping: DiagnosisMapping) -> _Compiled:
    """The compiled patterns of this mapping object (kept while the mapping is)."""
    entry = _COMPILED.get(id(mapping))
    if entry is None or entry[0] is not mapping:
        entry = (mapping, _Compiled(mapping))
        _COMPILED[id(mapping)] = entry
    return entry[1]


def level_region(upper: str, number: int, lower: str | None) -> str:
    """ICD region of an interspace by its upper level, or of a single level by its letter."""
    upper = upper.upper()
    if upper == "C":
        return "thoracic" if lower and number >= 7 else "cervical"
    if upper == "T":
        return "thoracic"
    if upper == "L":
        return "lumbosacral" if lower and number >= 5 else "lumbar"
    return "lumbosacral"


@lru_cache(maxsize=4096)
def levels_in(text: str) -> tuple[tuple[str, str], ...]:
    """(level, region) of every level named in ``text``: ("L4-L5", "lumbar"), ("L5", "lumbar")."""
    found = []
    for match in _LEVEL.finditer(text):
        upper, first, lower, second = match.groups()
        upper = upper.upper()
        if second is None:
            found.append((f"{upper}{int(first)}", level_region(upper, int(first), None)))
            continue
        lower = (lower or upper).upper()
        found.append((f"{upper}{int(first)}-{lower}{int(second)}", level_region(upper, int(first), lower)))
    return tuple(found)


def find_mentions(view: NoteView, mapping: DiagnosisMapping, default_region: str | None) -> list[DxMention]:
    """Every concept mention in the note, in text order, each with its qualifiers and assertion."""
    rx = compiled(mapping)
    starts = [bounds[0] for bounds in view.sentence_bounds]
    section_starts = [s.start for s in view.sections]
    mentions: list[DxMention] = []
    for concept, pattern in rx.terms.items():
        for match in pattern.finditer(view.text):
            start, end = match.span()
            sentence = max(bisect.bisect_right(starts, start) - 1, 0)
            clause_start, clause_end = _clause(view, sentence, start, end)
            section = _section(view, section_starts, start)
            mention = _mention(view, rx, concept, start, end, sentence, (clause_start, clause_end), section,
                               default_region)
            mentions.append(mention)
    return sorted(mentions, key=lambda m: (m.start, m.end))


def _clause(view: NoteView, sentence: int, start: int, end: int) -> tuple[int, int]:
    """The clause around a span: its sentence, cut at semicolons."""
    if not view.sentence_bounds:
        return 0, len(view.text)
    low, high = view.sentence_bounds[sentence]
    high = max(high, end)
    cut = view.text.rfind(";", low, start)
    low = cut + 1 if cut >= 0 else low
    cut = view.text.find(";", end, high)
    return low, (cut if cut >= 0 else high)


def _section(view: NoteView, section_starts: list[int], start: int) -> str | None:
    index = bisect.bisect_right(section_starts, start) - 1
    if index >= 0 and start < view.sections[index].end:
        return view.sections[index].category
    return None


def _mention(view: NoteView, rx: _Compiled, concept: str, start: int, end: int, sentence: int,
             clause: tuple[int, int], section: str | None, default_region: str | None) -> DxMention:
    clause_text = view.text[clause[0]:clause[1]]
    levels = levels_in(clause_text)
    regions = tuple(sorted({region for _, region in levels}))
    if not regions:
        regions = tuple(sorted(r for r, words in rx.region_words.items() if words.search(clause_text)))
    if not regions and default_region:
        regions = (default_region,)
    evidence = Evidence.model_construct(text=view.text[start:end], start=start, end=end, section=section,
                                        label=f"DX_{concept.upper()}", assertion="affirmed", discount_reason=None)
    discounted = _discount(view, rx, start, end, clause, section)
    if discounted:
        evidence = evidence.model_copy(update={"discount_reason": discounted})
    return DxMention(concept=concept, start=start, end=end, sentence=sentence, regions=regions,
                     levels=tuple(level for level, _ in levels), laterality=_laterality(clause_text),
                     clause=clause_text, evidence=evidence, discounted=discounted)


def _laterality(clause: str) -> str:
    sides = {m.group(1).lower()[:5] for m in _LATERALITY.finditer(clause)}
    if sides & {"bilat", "both"} or {"right", "left"} <= sides:
        return "bilateral"
    return next(iter(sides)) if sides else "unstated"


def _discount(view: NoteView, rx: _Compiled, start: int, end: int, clause: tuple[int, int],
              section: str | None) -> str | None:
    """Why the mention is not coded, or None: its section, an overlapping target mention's ConText
    assertion, or an uncertainty / negation cue of the mapping in its clause."""
    if section in rx.excluded_sections:
        return f"section {section}"
    overlapping = [m for m in view.mentions_between(max(0, start - 60), end) if m.start < end and start < m.end]
    for mention in overlapping:
        reason = _NOT_CODED.get(mention.assertion)
        if reason:
            return reason
    before = view.text[max(clause[0], start - _PRE_WINDOW):start]
    after = view.text[end:clause[1]]
    if rx.uncertain_before.search(before) or rx.uncertain_after.search(after):
        return "uncertain"
    if not overlapping:  # ConText did not see it: the mapping's negation cues, close before it
        near = re.split(r",|\bbut\b|\band\b|\bwith\b", view.text[max(clause[0], start - _NEG_WINDOW):start])[-1]
        if rx.negated_before.search(near) or rx.negated_after.search(after[:_NEG_WINDOW]):
            return "negated"
    return None
