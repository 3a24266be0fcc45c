"""Faster drop-in internals for medspaCy's matchers (medspaCy 1.3.1).

Measured on 400 MTSamples notes, medspaCy's ``RegexMatcher`` spent most of section detection
rebuilding ``doc.text_with_ws`` once per regex pattern; and matchers with no patterns of a kind
still ran (and warned, W036) on every doc. These classes give the same matches with the text read
once per doc and empty matchers skipped. They are swapped into medspaCy's components after they
are built; if medspaCy's internals ever change shape, the stock matchers stay in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

from medspacy.common.medspacy_matcher import MedspacyMatcher
from medspacy.common.regex_matcher import RegexMatcher
from spacy.tokens import Doc

from docanalyzer.pipeline.regex_gates import Requirement, gate_of, passes
from docanalyzer.pipeline.regex_starts import Starter, spans, starter_of
from docanalyzer.pipeline.spaced_phrases import spaced_phrase_matches

TEXT_KEY = "docanalyzer_text"


def doc_text(doc: Doc) -> str:
    """``doc.text`` rebuilds the string from the tokens on every call; the analyzer stores it once
    in ``doc.user_data`` (any other caller falls back to ``doc.text``)."""
    text = doc.user_data.get(TEXT_KEY)
    return text if isinstance(text, str) else doc.text


class TextOnceRegexMatcher(RegexMatcher):
    """medspaCy ``RegexMatcher`` semantics (spans expanded to token boundaries), text read once, a
    pattern skipped on a note that holds none of the words every one of its matches contains
    (``regex_gates``), and tried only where its first character can be (``regex_starts``): both read
    from the pattern itself, so no match is lost or changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gates: dict[re.Pattern[str], Requirement | None] = {}  # each pattern's, read on first use
        self._starters: dict[re.Pattern[str], Starter | None] = {}

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self._patterns:
            return []
        text = doc_text(doc)
        folded = text.casefold()
        gates, starters = self._gates, self._starters
        matches: list[tuple[int, int, int]] = []
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
                if pattern not in gates:
                    gates[pattern] = gate_of(pattern)
                if not passes(gates[pattern], folded):
                    continue
                if pattern not in starters:  # (read when first needed: a short note needs few)
                    starters[pattern] = starter_of(pattern)
                for start, end in spans(pattern, starters[pattern], text):
                    span = doc.char_span(start, end, alignment_mode="expand")
                    if span is not None and len(span):
                        matches.append((match_id, span.start, span.end))
                        if on_match is not None:
                            on_match(self, doc, len(matches) - 1, matches)
        return matches


SameSpan = Literal["first", "per_category", "all"]


def longest_matches(matches: list[tuple[int, int, int]], rule_of: Callable[[int], tuple[int, str]], *,
                    same_span: SameSpan = "first") -> list[tuple[int, int, int]]:
    """Overlapping matches pruned to the longest (then the leftmost, then the first rule), as
    medspaCy's pruning means to, but independent of the order the matchers return them in:
    medspaCy keeps whichever of two equally long overlapping matches came first, and that order
    shifts when any rule is added. ``rule_of(match_id)`` gives (rule order, category).
    Matches of the very same words: ``first`` keeps the first rule's (section headers, where a
    specific header comes before the catch-all); ``per_category`` one per category (targets: "blood
    patch" is a treatment tried and a procedure); ``all`` every rule's (ConText: "cannot be
    excluded" looks both backward and forward)."""
    rule = {match_id: rule_of(match_id) for match_id in {m[0] for m in matches}}  # once per rule, not per use
    kept: dict[tuple[int, int, str | int], tuple[int, int, int]] = {}
    taken: set[int] = set()
    spans: set[tuple[int, int]] = set()
    for match in sorted(matches, key=lambda m: (m[1] - m[2], m[1], rule[m[0]][0])):
        _, start, end = match
        if (start, end) in spans:
            if same_span == "first":
                continue
        elif taken.intersection(range(start, end)):
            continue
        else:
            taken.update(range(start, end))
            spans.add((start, end))
        key = match[0] if same_span == "all" else rule[match[0]][1]
        kept.setdefault((start, end, key), match)
    return sorted(kept.values(), key=lambda m: (m[1], m[2], rule[m[0]][0]))


class _LongestFirstMatcher(MedspacyMatcher):
    """medspaCy's matcher with the order-independent pruning above."""

    same_span: SameSpan = "first"

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches = list(self._MedspacyMatcher__matcher(doc))
        phrases = self._MedspacyMatcher__phrase_matcher
        matches += phrases(doc)
        if len(phrases):
            matches += spaced_phrase_matches(phrases, doc, doc_text(doc))
        matches += self._MedspacyMatcher__regex_matcher(doc)
        if not self._prune:
            return matches
        strings, rules = doc.vocab.strings, self._rule_map

        def rule_of(match_id: int) -> tuple[int, str]:
            rule_id = strings[match_id]  # "CATEGORY_<n>": the n-th rule added
            return int(rule_id.rsplit("_", 1)[1]), rules[rule_id].category

        return longest_matches(matches, rule_of, same_span=self.same_span)


class _Skip:
    """Stands in for a spaCy Matcher/PhraseMatcher that has no patterns."""

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped

    def __call__(self, doc: Doc, *args: Any, **kwargs: Any) -> list:
        if len(self._wrapped):
            return self._wrapped(doc, *args, **kwargs)
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def __len__(self) -> int:
        return len(self._wrapped)


def speed_up(component: Any, *, same_span: SameSpan = "first") -> bool:
    """Swap the fast internals into a medspaCy component's matcher. Call before adding rules.

    Returns True when the swap happened (tests check it, so a medspaCy upgrade that changes the
    internals is noticed rather than silently slow)."""
    owner = next(
        (getattr(component, name) for name in vars(component) if name.endswith("__matcher")),
        None,
    )
    if owner is None or not hasattr(owner, "_MedspacyMatcher__regex_matcher"):
        return False
    stock = owner._MedspacyMatcher__regex_matcher
    fast = TextOnceRegexMatcher(stock.vocab, flags=stock.flags)
    owner._MedspacyMatcher__regex_matcher = fast
    owner._MedspacyMatcher__matcher = _Skip(owner._MedspacyMatcher__matcher)
    owner._MedspacyMatcher__phrase_matcher = _Skip(owner._MedspacyMatcher__phrase_matcher)
    if type(owner) is MedspacyMatcher:
        owner.__class__ = _LongestFirstMatcher
        owner.same_span = same_span
    return True
