"""The affix searches (pipeline/affix_search.py) must give the matches spaCy's affix regexes give."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, read_original, sample_note_paths
from hypothesis import given, settings
from hypothesis import strategies as st

from docanalyzer.pipeline.affix_search import InfixFinditer, PrefixSearch, SuffixSearch
from docanalyzer.pipeline.regex_starts import edge_characters
from docanalyzer.pipeline.tokenizer import _FIELD_MARKS, _WORD_SEMICOLON, _ExportAwareDefaults, blank_export_aware

SUFFIX = SuffixSearch(_ExportAwareDefaults.suffixes)
PREFIX = PrefixSearch(_ExportAwareDefaults.prefixes)
INFIX = InfixFinditer(_ExportAwareDefaults.infixes)
PIECES = [*"aAzZsCU05.,;:!?()[]\"'’`%°$€+-*/|^~_<>=\n\t é²…—", "km", "mg", "'s", "n't", "...", "a.m", "cc", "US$"]


def _spans(string: str) -> tuple:
    """What the three fast searches give on ``string``, and what spaCy's expressions give."""
    def span(match: re.Match[str] | None) -> tuple[int, int] | None:
        return match.span() if match is not None else None
    fast = (span(SUFFIX.search(string)), span(PREFIX.search(string)), [m.span() for m in INFIX.finditer(string)])
    stock = (span(SUFFIX.regex.search(string)), span(PREFIX.regex.search(string)),
             [m.span() for m in INFIX.regex.finditer(string)])
    return fast, stock


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_same_matches_as_the_whole_expressions(text: str) -> None:
    fast, stock = _spans(text)
    assert fast == stock


def test_same_matches_on_every_chunk_end_and_start_of_the_notes() -> None:
    texts = [read_original(path) for path in sample_note_paths()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    pieces = {chunk[start:] for text in texts for chunk in text.split() for start in range(len(chunk))}
    pieces |= {chunk[:end] for text in texts for chunk in text.split() for end in range(1, len(chunk))}
    assert len(pieces) > 10_000
    for piece in pieces:
        fast, stock = _spans(piece)
        assert fast == stock, piece


def test_the_analyzer_tokenizer_uses_them_and_still_saves_spacys_patterns() -> None:
    tokenizer = blank_export_aware().tokenizer
    for search, kind in ((tokenizer.prefix_search, PrefixSearch), (tokenizer.suffix_search, SuffixSearch),
                         (tokenizer.infix_finditer, InfixFinditer)):
        assert isinstance(search.__self__, kind)
    assert tokenizer.suffix_search.__self__.pattern == SUFFIX.regex.pattern  # (what to_bytes writes)
    assert [t.text for t in tokenizer("(L4-5), 10mg... pt's")] == ["(", "L4", "-", "5", ")", ",", "10", "mg",
                                                                  "...", "pt", "'s"]


def test_export_field_marks_are_read_too() -> None:
    infix = InfixFinditer([*_ExportAwareDefaults.infixes, _FIELD_MARKS, _WORD_SEMICOLON])
    assert [m.group() for m in infix.finditer("L3-L4;Needle")] == [m.group() for m in
                                                                  infix.regex.finditer("L3-L4;Needle")] != []


@pytest.mark.parametrize(("source", "last", "expected"), [
    (r"(?<=[0-9])(?:km|mg)$", True, {"m", "g"}),
    (r"\.\.+$", True, {"."}),
    (r"(?i)'s$", True, {"s", "S"}),
    (r"^(?:US|C)\$", False, {"U", "C"}),
    (r"[\u00e9\u00b2]$", True, set()),  # (nothing in ASCII)
    (r"a?$", True, None),  # may match nothing
    (r"(a)\1$", True, None),  # a back-reference: not read
])
def test_edge_characters_reads_where_a_match_begins_or_ends(source: str, last: bool, expected: set | None) -> None:
    assert edge_characters(source, last=last) == expected
