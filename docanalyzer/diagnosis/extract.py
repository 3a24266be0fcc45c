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
_LATERALITY = re.compile(r"\b(?i:(right|left|bilat(?:eral(?:ly)?)?|both))\b|\b([RL])\b(?![-/]?\d)")
# Assertions of an overlapping target mention that keep a diagnosis from being coded (a finding of earlier
# imaging quoted as current is coded: "historical" is not among them).
_NOT_CODED = {"negated": "negated", "possible": "uncertain", "hypothetical": "hypothetical",
              "family": "family", "template_blank": "blank field"}
_SEGMENT_END = re.compile(r"[,;]")
_PRE_WINDOW = 80
_NEG_WINDOW = 50
_LINE_WINDOW = 120
_LINE_LABEL = re.compile(r"^[ \t\w|-]{0,12}?((?:[CTLS]\d{1,2}(?:\s*[-/]\s*[CTLS]?\d{1,2})?[ ,&and]*)+):", re.IGNORECASE)
_JOIN = re.compile(r"^\s*(?:,|and|&|/|to|through|thru|-|–)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DxMention:
    """One mention of a diagnosis concept, with what its code needs."""

    concept: str
    start: int
    end: int
    sentence: int
    regions: tuple[str, ...]  # ICD regions (cervical, thoracic, lumbar, lumbosacral); empty: not known
    region_stated: bool  # False: the regions are the note's default (the myelogram's region)
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
        self.treated_before = _any(cues.treated_before) if cues.treated_before else None
        self.resolved_after = _any(cues.resolved_after) if cues.resolved_after else None
        self.stated_as_present = _any(cues.stated_as_present) if cues.stated_as_present else None
        self.billing_line = re.compile("|".join(cues.billing_line)) if cues.billing_line else None
        self.excluded_sections = frozenset(cues.excluded_sections)
        self.symptom_excluded_sections = frozenset(cues.symptom_excluded_sections)
        self.symptoms = frozenset(c.id for c in mapping.concepts if c.kind == "symptom")
        self.region_words = {region: _any(words) for region, words in mapping.region_words.items()}
        self.limb_words = {region: _any(words) for region, words in mapping.limb_words.items()}
        self.uncertain_line = _any(cues.uncertain_line) if cues.uncertain_line else None
        q = mapping.qualifiers
        self.claudication = _any(q.neurogenic_claudication)
        self.disc = _any(q.disc)
        self.spondylosis = _any(q.spondylosis)
        self.leak = {"puncture": _any(q.leak_after_puncture), "spontaneous": _any(q.leak_spontaneous),
                     "surgery": _any(q.leak_after_surgery)}
        self.leak_cranial = _any(q.leak_cranial) if q.leak_cranial else None
        self.leak_context = _any(q.leak_context) if q.leak_context else None


def _any(patterns: list[str]) -> re.Pattern[str]:
    """Any of the patterns, as whole words (a pattern that starts or ends with a sign, "?", is bounded only
    on its word side)."""
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(r"(?:(?<![\w-])|(?=\W))(?:" + body + r")(?!(?<=\w)\w)", re.IGNORECASE)


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
    segment = _segment(view.text, clause, start, end)
    levels = _nearest_levels(view.text, clause, start, end) or _line_label_levels(view.text, start)
    regions = tuple(sorted({region for _, region in levels}))
    for words, text in ((rx.region_words, segment), (rx.region_words, clause_text), (rx.limb_words, clause_text)):
        if regions:
            break
        regions = tuple(sorted(r for r, pattern in words.items() if pattern.search(text)))
    stated = bool(regions)
    if not regions and default_region:
        regions = (default_region,)
    evidence = Evidence.model_construct(text=view.text[start:end], start=start, end=end, section=section,
                                        label=f"DX_{concept.upper()}", assertion="affirmed", discount_reason=None)
    discounted = _discount(view, rx, start, end, clause, section)
    if discounted is None and concept in rx.symptoms and section in rx.symptom_excluded_sections:
        discounted = f"section {section}: a symptom of the procedure, not the reason for it"
    if discounted:
        evidence = evidence.model_copy(update={"discount_reason": discounted})
    return DxMention(concept=concept, start=start, end=end, sentence=sentence, regions=regions, region_stated=stated,
                     levels=tuple(level for level, _ in levels), laterality=_laterality(segment) or
                     _laterality(clause_text) or "unstated",
                     clause=clause_text, evidence=evidence, discounted=discounted)


def _nearest_levels(text: str, clause: tuple[int, int], start: int, end: int) -> tuple[tuple[str, str], ...]:
    """The levels said of the mention: the run of levels ("L3-4 and L4-5") nearest to it in its clause."""
    found = [(m.start(), m.end()) for m in _LEVEL.finditer(text, clause[0], clause[1])]
    if not found:
        return ()
    runs: list[list[tuple[int, int]]] = []
    for span in found:
        if runs and _JOIN.match(text[runs[-1][-1][1]:span[0]]):
            runs[-1].append(span)
        else:
            runs.append([span])

    def distance(run: list[tuple[int, int]]) -> int:
        return run[0][0] - end if run[0][0] >= end else max(0, start - run[-1][1])

    nearest = min(runs, key=distance)
    return tuple(level for a, b in nearest for level in levels_in(text[a:b]))


def _line_label_levels(text: str, start: int) -> tuple[tuple[str, str], ...]:
    """The levels labelling the mention's line ("C6-C7: Disc osteophyte complex. Moderate stenosis ...")."""
    line_start = text.rfind("\n", 0, start) + 1
    label = _LINE_LABEL.match(text, line_start, start)
    return levels_in(label.group(1)) if label else ()


def _segment(text: str, clause: tuple[int, int], start: int, end: int) -> str:
    """The part of the clause between the commas around the span: the levels and side said of it."""
    low = max([m.end() for m in _SEGMENT_END.finditer(text, clause[0], start)], default=clause[0])
    found = _SEGMENT_END.search(text, end, clause[1])
    return text[low:found.start() if found else clause[1]]


def _laterality(text: str) -> str | None:
    """right, left or bilateral as said in ``text`` (R/L abbreviations too), or None."""
    sides = set()
    for match in _LATERALITY.finditer(text):
        word = (match.group(1) or match.group(2)).lower()
        sides.add({"r": "right", "l": "left", "both": "bilat"}.get(word, word[:5]))
    if "bilat" in sides or {"right", "left"} <= sides:
        return "bilateral"
    return next(iter(sides)) if sides else None


def _discount(view: NoteView, rx: _Compiled, start: int, end: int, clause: tuple[int, int],
              section: str | None) -> str | None:
    """Why the mention is not coded, or None: where it sits (a section, a billing line, a list of risks),
    an overlapping target mention's ConText assertion, or an uncertainty / negation cue of the mapping
    in its clause."""
    where = _place_discount(view, rx, start, clause, section)
    if where:
        return where
    before = view.text[max(clause[0], start - _PRE_WINDOW):start]
    stop = _SEGMENT_END.search(view.text, end, clause[1])  # what follows it, up to a comma or semicolon
    after = view.text[end:stop.start() if stop else clause[1]]
    if rx.uncertain_before.search(before) or rx.uncertain_after.search(after):
        return "uncertain"
    overlapping = [m for m in view.mentions_between(max(0, start - 60), end) if m.start < end and start < m.end]
    for mention in overlapping:
        reason = _NOT_CODED.get(mention.assertion)
        if reason and reason != "uncertain":  # uncertainty: the mapping's cues above, read within the clause
            return reason
    # The mapping's negation cues, close before it (ConText may not have seen the words at all).
    near = re.split(r",|\bbut\b|\band\b|\bwith\b", view.text[max(clause[0], start - _NEG_WINDOW):start])[-1]
    if rx.negated_before.search(near) or rx.negated_after.search(after[:_NEG_WINDOW]):
        return "negated"
    if rx.treated_before is not None and rx.treated_before.search(view.text, max(clause[0], start - _NEG_WINDOW),
                                                                  start):
        return "treated (historical)"
    if rx.resolved_after is not None and rx.resolved_after.search(view.text, end, clause[1]):
        return "treated (historical)"
    return None


def _place_discount(view: NoteView, rx: _Compiled, start: int, clause: tuple[int, int],
                    section: str | None) -> str | None:
    """A mention in an excluded section, after a code typed on its line, or in a list of risks."""
    if section in rx.excluded_sections:
        return f"section {section}"
    line_start = view.text.rfind("\n", 0, start) + 1
    if rx.billing_line is not None and rx.billing_line.search(view.text, max(line_start, clause[0]), start):
        return "billing line"  # a code typed before the words: a charge line, not documentation
    if rx.uncertain_line is not None and rx.uncertain_line.search(view.text, max(line_start, start - _LINE_WINDOW),
                                                                  start):
        return "listed risk"
    return None
