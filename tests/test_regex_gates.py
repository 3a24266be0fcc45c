"""The regex gates (pipeline/regex_gates.py) may only skip a pattern that cannot match."""

from __future__ import annotations

import re

from conftest import REPO, read_original, sample_note_paths
from hypothesis import given, settings
from hypothesis import strategies as st

from docanalyzer.pipeline.regex_gates import gate_of, passes

PATTERNS = [
    r"\b(?:without|w/o|no|not)\s+(?:\w+\s+){0,3}(?:relief|improvement|benefit)",
    r"(?i)\bfluoro(?:scopy)?\s+time\s*[:=]?\s*\d+",
    r"(?:abc|de)+xyz?",
    r"\b[TL][1-5]\s(?:[1-5]|S1)\b",
    r"(?=relief)\w+",
    r"(?-i:IT)\b",
    r"(?i)st(?:é|e)nosis",
]


def test_what_every_match_contains() -> None:
    assert gate_of(re.compile(PATTERNS[0], re.IGNORECASE)) == {"relief", "improvement", "benefit"}
    assert gate_of(re.compile(PATTERNS[1])) == {"fluoro"}
    assert gate_of(re.compile(PATTERNS[3])) is None  # no literal of three letters: always run
    assert gate_of(re.compile(r"(?:relief|)x")) is None  # a way through with no literal
    assert gate_of(re.compile(r"no\s+pain")) == {"pain"}


def test_a_gate_reads_the_note_case_folded() -> None:
    gate = gate_of(re.compile(PATTERNS[0], re.IGNORECASE))
    assert passes(gate, "NO MEANINGFUL RELIEF".casefold())
    assert not passes(gate, "no meaningful change")
    assert passes(None, "anything")


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abcdexyzITLS12345 \nreliefnotwhoumpvbfsyé/")), max_size=60),
       index=st.integers(min_value=0, max_value=len(PATTERNS) - 1))
def test_a_closed_gate_never_hides_a_match(text: str, index: int) -> None:
    pattern = re.compile(PATTERNS[index], re.IGNORECASE)
    if pattern.search(text):
        assert passes(gate_of(pattern), text.casefold())



def test_most_shipped_patterns_get_a_gate(shipped_patterns: list[re.Pattern[str]]) -> None:
    """(A Python whose regex parser changed shape would leave every pattern ungated: noticed here.)"""
    gated = [p for p in shipped_patterns if gate_of(p) is not None]
    assert len(gated) >= len(shipped_patterns) // 2


def test_no_shipped_pattern_matches_a_note_its_gate_would_skip(shipped_patterns) -> None:
    """On the sample notes and the annotated corpus (bench/answers.py checks every corpus's reports)."""
    texts = [read_original(path) for path in sample_note_paths()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    for text in texts:
        folded = text.casefold()
        for pattern in shipped_patterns:
            if not passes(gate_of(pattern), folded):
                assert pattern.search(text) is None, pattern.pattern


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(["dural sac", "dura", "L.P", "lp", "c1-2", "csf", "dye", "gadobutrol",
                                      "discogram", "nerve root block", "spinal tap", "headache", "pain", " ",
                                      "\n", "x", "durable", "dyes", "c1 - c2"]), max_size=8).map("".join))
def test_screening_in_one_pass_answers_as_each_cue_would(text: str) -> None:
    from docanalyzer.rule_files import load_rules

    screening = load_rules().screening
    lowered = text.lower()
    one_by_one = any(c in lowered for c in screening.substrings) or any(r.search(lowered) for r in screening.regexes)
    assert screening.search(text) == one_by_one
