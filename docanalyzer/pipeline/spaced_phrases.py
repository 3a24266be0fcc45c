"""Phrase matches across runs of spaces.

spaCy keeps a single space as a token's trailing whitespace but makes every further space a token
of its own, so "cochlear  implants" (two spaces: typed, or left when a CRLF note's wrapped line is
joined) is three tokens and a phrase pattern "cochlear implants" cannot match it. Notes carry such
runs everywhere (fixed-width exports, CRLF line ends, padding before a wrapped line's break). This
module runs the phrase matcher once more over the words around those gaps, with the gaps left out,
and maps the matches that straddle a gap back onto the note's own tokens, so a phrase reads the same
with one space or several. A line break still ends a phrase.

Only the words near a gap are matched again (a phrase is at most ``REACH`` tokens on either side),
in one small doc per note shared by every matcher of the pipeline, so the cost follows the number
of gaps, not the length of the note.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from spacy.attrs import IDX
from spacy.tokens import Doc

Match = tuple[int, int, int]
REACH = 8
"""Tokens looked at on each side of a gap: longer than any phrase rule's words."""
_CACHE_KEY = "docanalyzer_spaced_windows"
# a run of spaces (or a tab) between two word characters: the run after the first space is a token
_GAP = re.compile(r"(?<=[^\W_])(?:[ \t]{2,}|\t)(?=[^\W_])")


def _gap_tokens(doc: Doc, text: str) -> list[int]:
    """Indices of the tokens that are runs of spaces between two words on one line."""
    gaps: list[int] = []
    starts = None
    for found in _GAP.finditer(text):
        if starts is None:
            starts = doc.to_array(IDX).tolist()
        # the first space is the word's own trailing space; the token holding the rest starts after it
        position = found.start() + (1 if text[found.start()] == " " else 0)
        index = bisect.bisect_left(starts, position)
        if index < len(starts) and starts[index] == position and doc[index].is_space:
            gaps.append(index)
    return gaps


def _windows(doc: Doc, text: str) -> tuple[Doc, list[int]] | None:
    """The words around the note's gaps as one doc (windows apart by a line break, gaps left out)
    and, for each of its tokens, the note's token index (-1 for a separator); None without gaps."""
    cached = doc.user_data.get(_CACHE_KEY)
    if cached is not None:
        return cached or None
    gaps = _gap_tokens(doc, text)
    if not gaps:
        doc.user_data[_CACHE_KEY] = ()
        return None
    skipped = set(gaps)
    spans: list[list[int]] = []
    for gap in gaps:
        low, high = max(0, gap - REACH), min(len(doc), gap + REACH + 1)
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    words: list[str] = []
    spaces: list[bool] = []
    origin: list[int] = []
    for low, high in spans:
        if origin:
            words.append("\n")
            spaces.append(False)
            origin.append(-1)
        for index in range(low, high):
            if index not in skipped:
                words.append(doc[index].text)
                spaces.append(bool(doc[index].whitespace_) or (index + 1) in skipped)
                origin.append(index)
    windows = (Doc(doc.vocab, words=words, spaces=spaces), origin)
    doc.user_data[_CACHE_KEY] = windows
    return windows


def spaced_phrase_matches(phrase_matcher: Callable[[Doc], list[Match]], doc: Doc, text: str) -> list[Match]:
    """The phrase matches that exist only once runs of spaces between words are read as one space
    (token offsets of ``doc``, whose text is ``text``); empty when the note has no such run."""
    windows = _windows(doc, text)
    if windows is None:
        return []
    compact, origin = windows
    found: list[Match] = []
    for match_id, start, end in phrase_matcher(compact):
        first, last = origin[start], origin[end - 1]
        if first < 0 or last < 0:
            continue
        if last - first != end - 1 - start:  # it straddles a gap: not found on the note's own tokens
            found.append((match_id, first, last + 1))
    return found
