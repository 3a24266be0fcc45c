"""Phrase matches across runs of spaces.

spaCy keeps a single space as a token's trailing whitespace but makes every further space a token
of its own, so "cochlear  implants" (two spaces: typed, or left when a CRLF note's wrapped line is
joined) is three tokens and a phrase pattern "cochlear implants" cannot match it. Notes carry such
runs everywhere (fixed-width exports, CRLF line ends, padding before a wrapped line's break). This
module runs the phrase matcher once more over the words with those gaps left out, and maps the
matches that straddle a gap back onto the note's own tokens, so a phrase reads the same with one
space or several. A line break still ends a phrase.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

Match = tuple[int, int, int]


def _is_gap(doc: Doc, index: int) -> bool:
    """A token of spaces or tabs only, between two words on one line."""
    token = doc[index]
    if not token.is_space or "\n" in token.text or index == 0 or index + 1 >= len(doc):
        return False
    before, after = doc[index - 1].text, doc[index + 1].text
    return before[-1:].isalnum() and after[:1].isalnum()


def spaced_phrase_matches(phrase_matcher: Callable[[Doc], list[Match]], doc: Doc) -> list[Match]:
    """The phrase matches that exist only once runs of spaces between words are read as one space
    (token offsets of ``doc``); empty when the note has no such run."""
    gaps = [i for i, token in enumerate(doc) if token.is_space and _is_gap(doc, i)]
    if not gaps:
        return []
    skipped = set(gaps)
    kept = [i for i in range(len(doc)) if i not in skipped]
    words = [doc[i].text for i in kept]
    spaces = [bool(doc[i].whitespace_) or (i + 1) in skipped for i in kept]
    compact = Doc(doc.vocab, words=words, spaces=spaces)
    found: list[Match] = []
    for match_id, start, end in phrase_matcher(compact):
        first, last = kept[start], kept[end - 1]
        if last - first != end - 1 - start:  # it straddles a gap: not found on the note's own tokens
            found.append((match_id, first, last + 1))
    return found
