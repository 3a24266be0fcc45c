"""Turns the spaCy doc into plain ``Mention`` records that the resolvers reason over.

Reading spaCy/medspaCy attributes happens once here, so the resolvers are plain Python over
small lists and can be tested without building a pipeline.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from docanalyzer.normalize import INVISIBLE_IN_WORD
from docanalyzer.pipeline.fast_matching import doc_text
from docanalyzer.report import Evidence, MentionAssertion
from docanalyzer.resolve.form_answers import ANSWERED_LABELS, answered, row_answer

SPAN_GROUP = "docanalyzer_targets"

# ConText category -> assertion; the first that applies wins (a blank template field beats all).
_PRECEDENCE: tuple[tuple[str, MentionAssertion], ...] = (
    ("TEMPLATE_BLANK", "template_blank"),
    ("NEGATED_EXISTENCE", "negated"),
    ("FAMILY", "family"),
    ("HYPOTHETICAL", "hypothetical"),
    ("HISTORICAL", "historical"),
    ("POSSIBLE_EXISTENCE", "possible"),
)


# Cue words that say nothing read alone: their evidence is widened to the clause (NoteView.quote).
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "without", "despite",
    "there", "here", "is", "are", "was", "were", "be", "been", "has", "have", "had", "show", "shows",
    "showed", "shown", "demonstrate", "demonstrates", "demonstrated", "reveal", "reveals", "revealed", "see",
    "seen", "noted", "this", "that", "these", "it", "as", "by", "from", "after", "before", "than", "no",
    "not",
})
_CLAUSE_MAX = 160
# Assertions of a mention that cannot stand next to another ("near" in rules).
NEAR_REJECTED = frozenset({"negated", "template_blank", "family", "hypothetical"})


@dataclass(frozen=True)
class Mention:
    label: str
    start: int
    end: int
    text: str
    sentence: int
    section: str | None
    assertion: MentionAssertion
    categories: frozenset[str]
    metadata: dict = field(default_factory=dict, hash=False, compare=False)

    def evidence(self, discount_reason: str | None = None) -> Evidence:
        """The mention as report evidence (built without re-validation: every field comes from the
        matched span itself, so it holds by construction)."""
        return trusted_evidence({
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "label": self.label,
            "assertion": self.assertion,
            "discount_reason": discount_reason,
        })


_EVIDENCE_FIELDS = ("text", "start", "end", "section", "label", "assertion", "discount_reason")
# What Evidence.model_construct does when given every field, without its loop over the fields
# (aliases, defaults): a quarter of the report stage went into it. Only while Evidence is what this
# relies on (these fields in this order, no post-init, no extra fields); else model_construct.
_CONSTRUCT_DIRECTLY = (tuple(Evidence.model_fields) == _EVIDENCE_FIELDS and not Evidence.__pydantic_post_init__
                       and Evidence.model_config.get("extra") != "allow")
_set_attribute = object.__setattr__


def trusted_evidence(values: dict) -> Evidence:
    """``Evidence.model_construct(**values)`` for ``values`` holding every field, in field order."""
    if not _CONSTRUCT_DIRECTLY:
        return Evidence.model_construct(**values)
    evidence = Evidence.__new__(Evidence)
    _set_attribute(evidence, "__dict__", values)
    _set_attribute(evidence, "__pydantic_fields_set__", set(_EVIDENCE_FIELDS))
    _set_attribute(evidence, "__pydantic_extra__", None)
    _set_attribute(evidence, "__pydantic_private__", None)
    return evidence


@dataclass
class SectionSpan:
    category: str | None
    start: int  # char offset of the header (or body when no header)
    body_start: int
    end: int


@dataclass
class NoteView:
    """What the resolvers see of one note."""

    text: str
    mentions: list[Mention]
    sections: list[SectionSpan]
    sentence_bounds: list[tuple[int, int]]
    by_label: dict[str, list[Mention]] = field(default_factory=dict)
    by_sentence: dict[int, list[Mention]] = field(default_factory=dict)
    _starts: list[int] | None = None
    _standing: dict[int, dict[str, int]] = field(default_factory=dict)
    _sentence_starts: list[int] | None = None

    def __post_init__(self) -> None:
        by_label: dict[str, list[Mention]] = defaultdict(list)
        by_sentence: dict[int, list[Mention]] = defaultdict(list)
        for mention in self.mentions:
            by_label[mention.label].append(mention)
            by_sentence[mention.sentence].append(mention)
        self.by_label = dict(by_label)
        self.by_sentence = dict(by_sentence)

    def mentions_between(self, start: int, end: int) -> list[Mention]:
        """Mentions starting in [start, end) (``mentions`` is sorted by start)."""
        starts = [m.start for m in self.mentions] if self._starts is None else self._starts
        self._starts = starts
        return self.mentions[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]

    def labelled(self, *labels: str) -> list[Mention]:
        out: list[Mention] = []
        for label in labels:
            out.extend(self.by_label.get(label, ()))
        return sorted(out, key=lambda m: m.start)

    def quote(self, mention: Mention) -> Evidence:
        """The mention as evidence an auditor can read alone: a cue that is only function words
        ("despite", "there is", "shows") is widened to its clause ("despite six weeks of physical
        therapy and gabapentin"), within its sentence and at most ``_CLAUSE_MAX`` characters."""
        words = mention.text.lower().split()
        if not words or not all(w.strip(".,;:") in _FUNCTION_WORDS for w in words):
            return mention.evidence()
        return self.clause(mention.evidence())

    def clause(self, evidence: Evidence) -> Evidence:
        """``evidence`` widened to the clause around it (between ; . : or a line break, inside its
        sentence, at most ``_CLAUSE_MAX`` characters): a quote that reads alone."""
        if self._sentence_starts is None:
            self._sentence_starts = [b[0] for b in self.sentence_bounds]
        index = bisect.bisect_right(self._sentence_starts, evidence.start) - 1
        if not 0 <= index < len(self.sentence_bounds) or evidence.end > len(self.text):
            return evidence
        low, high = self.sentence_bounds[index]
        high = max(high, evidence.end)
        start = max(low, max(self.text.rfind(mark, low, evidence.start) for mark in ";.:\n") + 1)
        ends = [i for i in (self.text.find(mark, evidence.end, high) for mark in ";.\n") if i >= 0]
        end = max(evidence.end, min([*ends, high, evidence.start + _CLAUSE_MAX]))
        while start < evidence.start and self.text[start].isspace():
            start += 1
        while end > evidence.end and self.text[end - 1] in " \t,":
            end -= 1
        return evidence.model_copy(update={"text": self.text[start:end], "start": start, "end": end})

    def sentence_text(self, index: int) -> str:
        start, end = self.sentence_bounds[index]
        return self.text[start:end]

    def sentence_labels(self, index: int) -> list[Mention]:
        return self.by_sentence.get(index, [])

    def standing_labels(self, index: int) -> dict[str, int]:
        """How many mentions of each label in a sentence can stand next to another: not denied, a
        blank field, planned or someone else's (computed once per sentence: "near" asks it often)."""
        counts = self._standing.get(index)
        if counts is None:
            counts = {}
            for mention in self.by_sentence.get(index, ()):
                if mention.assertion not in NEAR_REJECTED:
                    counts[mention.label] = counts.get(mention.label, 0) + 1
            self._standing[index] = counts
        return counts


def assertion_of(categories: frozenset[str]) -> MentionAssertion:
    for category, assertion in _PRECEDENCE:
        if category in categories:
            return assertion
    return "affirmed"


def _sections(doc: Doc) -> list[SectionSpan]:
    out: list[SectionSpan] = []
    for section in getattr(doc._, "sections", None) or []:
        title_start, _title_end = section.title_span
        body_start, body_end = section.body_span
        if body_end <= 0 and title_start == 0 and section.category is None:
            continue
        start_char = doc[title_start].idx if title_start < len(doc) else len(doc.text)
        body_char = doc[body_start].idx if body_start < len(doc) else len(doc.text)
        end_char = doc[body_end - 1].idx + len(doc[body_end - 1]) if body_end > 0 else 0
        out.append(SectionSpan(section.category, start_char, body_char, end_char))
    return out


def _next_header(sections: list[SectionSpan], starts: list[int], position: int) -> int | None:
    """Where the first section header after ``position`` starts (None: no header follows)."""
    for section in sections[bisect.bisect_right(starts, position):]:
        if section.start < section.body_start:
            return section.start
    return None


def invisible_extent(text: str, start: int, end: int) -> int:
    """The end of a span of the normalized text in the original one: normalization took the invisible
    characters out of a word ("Omni\u200bpaque") and padded the word's end, so the original word is
    longer by as many characters as it hides."""
    if not INVISIBLE_IN_WORD.search(text, start, end):
        return end
    extended = end
    while extended < len(text) and extended - end < len(INVISIBLE_IN_WORD.findall(text, start, extended)):
        extended += 1
    return extended


def build_view(doc: Doc, original: str | None = None) -> NoteView:
    """``original`` is the text the user gave (same length as ``doc.text``, which is normalized);
    evidence quotes it, so ``original[start:end] == evidence.text`` always holds."""
    analyzed = doc_text(doc)
    text = original if original is not None and len(original) == len(analyzed) else analyzed
    sent_starts: list[int] = []
    bounds: list[tuple[int, int]] = []
    for sent in doc.sents:
        sent_starts.append(sent.start_char)
        bounds.append((sent.start_char, sent.end_char))
    sections = _sections(doc)
    section_starts = [s.start for s in sections]
    hidden = INVISIBLE_IN_WORD.search(text) is not None  # (almost never: checked once per note)
    mentions: list[Mention] = []
    spans: list[Span] = list(doc.spans[SPAN_GROUP]) if SPAN_GROUP in doc.spans else []
    for span in spans:
        underscore = span._  # (each access to span._ builds a new accessor: once per span)
        categories = frozenset(mod.category for mod in underscore.modifiers)
        sentence = max(bisect.bisect_right(sent_starts, span.start_char) - 1, 0)
        idx = bisect.bisect_right(section_starts, span.start_char) - 1
        inside = idx >= 0 and span.start_char < sections[idx].end
        section = sections[idx].category if inside else None
        rule = getattr(underscore, "target_rule", None)
        metadata = dict(rule.metadata or {}) if rule is not None else {}
        end = invisible_extent(text, span.start_char, span.end_char) if hidden else span.end_char
        assertion = assertion_of(categories)
        if span.label_ in ANSWERED_LABELS:
            row = row_answer(analyzed, span.start_char, end, _next_header(sections, section_starts, end),
                             text[span.start_char : end])
            assertion = answered(assertion, categories, row, assertion_of)
        mentions.append(
            Mention(
                label=span.label_,
                start=span.start_char,
                end=end,
                text=text[span.start_char : end],
                sentence=sentence,
                section=section,
                assertion=assertion,
                categories=categories,
                metadata=metadata,
            )
        )
    mentions.sort(key=lambda m: (m.start, m.end))
    return NoteView(text=text, mentions=mentions, sections=sections, sentence_bounds=bounds)
