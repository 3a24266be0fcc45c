"""Golden tests: every sample note against its hand-written expectation in tests/expected/.

The expectation format is the gold format of eval/ANNOTATION.md. Each aspect is its own test so
a failure report says exactly what disagrees (status, regions, one element, a finding, codes).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ELEMENT_IDS, EXPECTED, SAMPLE_NOTES, read_original

from docanalyzer import Analyzer, Report

STEMS = sorted(p.stem for p in SAMPLE_NOTES.glob("*.txt") if (EXPECTED / f"{p.stem}.json").exists())


def load_expected(stem: str) -> dict[str, Any]:
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


@cache
def _report(analyzer: Analyzer, stem: str) -> Report:
    expected = load_expected(stem)
    path: Path = SAMPLE_NOTES / f"{stem}.txt"
    return analyzer.analyze(read_original(path), document_id=stem,
                            billed_code=expected.get("billed_code"))


@pytest.fixture
def report_for(analyzer: Analyzer):
    return lambda stem: _report(analyzer, stem)


def test_every_sample_note_has_an_expectation() -> None:
    notes = sorted(p.stem for p in SAMPLE_NOTES.glob("*.txt"))
    assert notes, "no sample notes found"
    without = sorted(set(notes) - set(STEMS))
    assert notes == STEMS, f"sample notes without tests/expected/*.json: {without}"


@pytest.mark.parametrize("stem", STEMS)
def test_expectation_file_is_complete(stem: str) -> None:
    expected = load_expected(stem)
    assert expected["id"] == stem
    assert set(expected["elements"]) == set(ELEMENT_IDS)


@pytest.mark.parametrize("stem", STEMS)
def test_analyzed_without_errors(report_for, stem: str) -> None:
    assert report_for(stem).errors == []


@pytest.mark.parametrize("stem", STEMS)
def test_procedure_status(report_for, stem: str) -> None:
    assert report_for(stem).procedure_status == load_expected(stem)["procedure_status"]


@pytest.mark.parametrize("stem", STEMS)
def test_regions(report_for, stem: str) -> None:
    assert report_for(stem).regions == load_expected(stem)["regions"]


@pytest.mark.parametrize(
    ("stem", "element_id"),
    [pytest.param(stem, element_id, id=f"{stem}-{element_id}")
     for stem in STEMS for element_id in ELEMENT_IDS],
)
def test_element_status(report_for, stem: str, element_id: str) -> None:
    element = report_for(stem).element(element_id)
    expected = load_expected(stem)["elements"][element_id]
    assert element.status == expected, (
        f"{stem} {element_id}: expected {expected}, got {element.status} ({element.reason}); "
        f"evidence={[e.text for e in element.evidence][:3]} "
        f"discounted={[(e.text, e.assertion) for e in element.discounted][:3]}"
    )


@pytest.mark.parametrize("stem", STEMS)
def test_findings(report_for, stem: str) -> None:
    got = {f.concept: f.assertion for f in report_for(stem).findings}
    expected = {f["concept"]: f["assertion"] for f in load_expected(stem)["findings"]}
    assert {concept: got.get(concept, "absent") for concept in expected} == expected


@pytest.mark.parametrize("stem", STEMS)
def test_expected_codes_primary_first(report_for, stem: str) -> None:
    codes = [c.code for c in report_for(stem).code_review.suggested_codes]
    assert codes == load_expected(stem)["expected_codes"]


@pytest.mark.parametrize("stem", STEMS)
def test_expected_modifiers(report_for, stem: str) -> None:
    modifiers = sorted(m.code for m in report_for(stem).code_review.modifiers)
    assert modifiers == sorted(load_expected(stem).get("expected_modifiers", []))
