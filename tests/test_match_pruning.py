"""Overlapping matches are pruned the same way whatever order the matchers return them in.

medspaCy keeps the first of two equally long overlapping matches; that order shifted when any rule
was added to a file (even one that never matches), and with it the label of the words ("blood
patch" a treatment or a procedure) and a held-out note's answer.
"""

from __future__ import annotations

import itertools

from docanalyzer import Analyzer
from docanalyzer.normalize import normalize
from docanalyzer.pipeline.build import SPAN_GROUP
from docanalyzer.pipeline.fast_matching import longest_matches

RULES = {1: (0, "A"), 2: (1, "B"), 3: (2, "A"), 4: (3, "C")}


def rule_of(match_id: int) -> tuple[int, str]:
    return RULES[match_id]


def test_longest_then_leftmost_whatever_the_input_order() -> None:
    matches = [(1, 0, 2), (2, 1, 3), (4, 1, 4), (3, 5, 6)]
    results = {tuple(longest_matches(list(order), rule_of)) for order in itertools.permutations(matches)}
    assert results == {((4, 1, 4), (3, 5, 6))}


def test_same_words_under_two_categories() -> None:
    same = [(2, 0, 2), (1, 0, 2), (3, 0, 2)]
    assert longest_matches(same, rule_of, same_span="first") == [(1, 0, 2)]
    assert longest_matches(same, rule_of, same_span="per_category") == [(1, 0, 2), (2, 0, 2)]
    assert longest_matches(same, rule_of, same_span="all") == [(1, 0, 2), (2, 0, 2), (3, 0, 2)]


def test_a_phrase_listed_under_two_categories_keeps_both(analyzer: Analyzer) -> None:
    text = normalize("An epidural blood patch was done at L2-3.")
    doc = analyzer.nlp.make_doc(text)
    analyzer.component.annotate(doc)
    labels = {span.label_ for span in doc.spans[SPAN_GROUP] if span.text == "epidural blood patch"}
    assert {"OTHER_PROCEDURE", "CONSERVATIVE_TX"} <= labels
