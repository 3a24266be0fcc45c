"""The regex starters (pipeline/regex_starts.py) must find exactly the matches ``finditer`` finds."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, read_original, sample_note_paths
from hypothesis import given, settings
from hypothesis import strategies as st

from docanalyzer.pipeline.regex_starts import spans, starter_of

PATTERNS = [
    (r"\b(?:without|w/o|no|not)\s+(?:\w+\s+){0,3}(?:relief|improvement|benefit)", re.IGNORECASE),
    (r"(?i)(?<![\w.])\d{2,3}\s*(?:minutes|mins?)\b", 0),
    (r"(?<=(?:cc|mL) )(?-i:IT)\b", re.IGNORECASE),
    (r"\b[TL][1-5]\s(?:[1-5]|S1)\b", re.IGNORECASE),
    (r"(?i)(?:p(?<![a-z_]p)\.?t\.?(?![a-z_]))", 0),
    (r"(?i)st(?:é|e)nosis|\bk\w+", 0),  # (a Kelvin sign or a long s matches "k" and "s" under IGNORECASE)
    (r"x?\b(?:ab|c)+", 0),
    (r"(?<![A-Za-z])[Dd](?:ear|EAR) [A-Z][a-z]+,", 0),
    (r"(?im)^[ \t]*(?:[-*]+[ \t]*)?(?:impressions?|ab)[ \t]*(?::|$)", 0),  # (a line start: after each "\n")
    (r"(?m)^(?:x|\n)+", re.IGNORECASE),
]
PIECES = [*"abcdeikmnopstwxyzITLSKDE12345 \n\n\t:*.,_/-é\u212a\u017f\u2013", "impression", "relief"]


@pytest.mark.parametrize(("source", "flags"), PATTERNS)
def test_each_pattern_gets_a_starter(source: str, flags: int) -> None:
    assert starter_of(re.compile(source, flags)) is not None


def test_no_starter_where_it_would_change_or_skip_nothing() -> None:
    assert starter_of(re.compile(r"\b(?:a|)")) is None  # may match empty
    assert starter_of(re.compile(r"(a)\b\1")) is None  # a back-reference (wrapping renumbers groups)
    assert starter_of(re.compile(r"\[\s*\]")) is None  # re skips to "[" by itself
    assert starter_of(re.compile(r"[ \t]*x")) is None  # a space may start it: nearly every position


@settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
       index=st.integers(min_value=0, max_value=len(PATTERNS) - 1))
def test_starter_finds_what_finditer_finds(text: str, index: int) -> None:
    pattern = re.compile(*PATTERNS[index])
    assert list(spans(pattern, starter_of(pattern), text)) == [m.span() for m in pattern.finditer(text)]



def test_shipped_target_patterns_get_a_starter(shipped_patterns: list[re.Pattern[str]]) -> None:
    """(A Python whose regex parser changed shape would leave every pattern without one: noticed here.)"""
    assert sum(starter_of(p) is not None for p in shipped_patterns) >= 20


def test_shipped_patterns_find_the_same_matches_on_the_notes(shipped_patterns) -> None:
    """On the sample notes and the annotated corpus (bench/answers.py checks every corpus's reports)."""
    texts = [read_original(path) for path in sample_note_paths()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    for pattern in shipped_patterns:
        starter = starter_of(pattern)
        for text in texts:
            assert list(spans(pattern, starter, text)) == [m.span() for m in pattern.finditer(text)], pattern.pattern
