"""Faster drop-in internals for medspaCy's matchers (medspaCy 1.3.1).

Measured on 400 MTSamples notes, medspaCy's ``RegexMatcher`` spent most of section detection
rebuilding ``doc.text_with_ws`` once per regex pattern; and matchers with no patterns of a kind
still ran (and warned, W036) on every doc. These classes give the same matches with the text read
once per doc and empty matchers skipped. They are swapped into medspaCy's components after they
are built; if medspaCy's internals ever change shape, the stock matchers stay in place.
"""

from __future__ import annotations

from typing import Any

from medspacy.common.regex_matcher import RegexMatcher
from spacy.tokens import Doc

TEXT_KEY = "docanalyzer_text"


def doc_text(doc: Doc) -> str:
    """``doc.text`` rebuilds the string from the tokens on every call; the analyzer stores it once
    in ``doc.user_data`` (any other caller falls back to ``doc.text``)."""
    text = doc.user_data.get(TEXT_KEY)
    return text if isinstance(text, str) else doc.text


class TextOnceRegexMatcher(RegexMatcher):
    """medspaCy ``RegexMatcher`` semantics (spans expanded to token boundaries), text read once."""

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self._patterns:
            return []
        text = doc_text(doc)
        matches: list[tuple[int, int, int]] = []
        for match_id, patterns in self._patterns.items():
            on_match = self._callbacks[match_id]
            for pattern in patterns:
                for found in pattern.finditer(text):
                    span = doc.char_span(found.start(), found.end(), alignment_mode="expand")
                    if span is not None and len(span):
                        matches.append((match_id, span.start, span.end))
                        if on_match is not None:
                            on_match(self, doc, len(matches) - 1, matches)
        return matches


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


def speed_up(component: Any) -> bool:
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
    return True
