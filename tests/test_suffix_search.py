"""The suffix search (pipeline/suffix_search.py) must give the match spaCy's suffix regex gives."""

from __future__ import annotations

import re

from conftest import REPO, read_original, sample_note_paths
from hypothesis import given, settings
from hypothesis import strategies as st

from docanalyzer.pipeline.regex_starts import last_characters
from docanalyzer.pipeline.suffix_search import SuffixSearch
from docanalyzer.pipeline.tokenizer import _ExportAwareDefaults, blank_export_aware

SEARCH = SuffixSearch(_ExportAwareDefaults.suffixes)
PIECES = [*"aAzZs05.,;:!?()[]\"'’`%°$€+-*/|^~_\n\t é²", "km", "mg", "'s", "n't", "...", "…", "a.m", "cc"]


def _span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return match.span() if match is not None else None


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_same_match_as_the_whole_expression(text: str) -> None:
    assert _span(SEARCH.search(text)) == _span(SEARCH.regex.search(text))


def test_same_match_on_every_chunk_end_of_the_notes() -> None:
    texts = [read_original(path) for path in sample_note_paths()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    ends = {chunk[start:] for text in texts for chunk in text.split() for start in range(len(chunk))}
    assert len(ends) > 10_000
    for end in ends:
        assert _span(SEARCH.search(end)) == _span(SEARCH.regex.search(end)), end


def test_the_analyzer_tokenizer_uses_it_and_still_saves_its_pattern() -> None:
    tokenizer = blank_export_aware().tokenizer
    assert isinstance(tokenizer.suffix_search.__self__, SuffixSearch)
    assert tokenizer.suffix_search.__self__.pattern == SEARCH.regex.pattern  # (what to_bytes writes)
    assert [t.text for t in tokenizer("(L4-5), 10mg... pt's")] == ["(", "L4", "-", "5", ")", ",", "10", "mg",
                                                                  "...", "pt", "'s"]


def test_last_characters_reads_the_end_of_a_match() -> None:
    assert last_characters(r"(?<=[0-9])(?:km|mg)$") == {"m", "g"}
    assert last_characters(r"\.\.+$") == {"."}
    assert last_characters(r"(?i)'s$") == {"s", "S"}
    assert last_characters(r"[\u00e9\u00b2]$") == set()  # (nothing in ASCII)
    assert last_characters(r"a?$") is None  # may match nothing
    assert last_characters(r"(a)\1$") is None  # a back-reference: not read
