"""Accuracy floors (issue 3), measured by the same code as ``docanalyzer evaluate``.

The annotated corpus (eval/corpus, gold written by reading each note) must keep macro F1 >= 0.95
with no element below 0.90, procedure status and region exact match >= 0.95, and primary code
exact match >= 0.95. On the 2,377 real MTSamples notes, sample 2257 must be found and no
other note reported as a myelogram performed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.evaluation import evaluate_corpus, performed_scan

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result(analyzer: Analyzer) -> dict:
    return evaluate_corpus(REPO / "eval" / "corpus", analyzer)


def test_corpus_is_large_enough(result: dict) -> None:
    assert result["notes"] >= 60


def test_macro_f1_floor(result: dict) -> None:
    assert result["macro_f1"] >= 0.95, result["elements"]


@pytest.mark.parametrize("element_id", [
    "injection_site", "contrast_agent", "fluoroscopic_guidance", "region_imaged", "interpretation",
    "mri_contraindication", "prior_imaging_inadequate", "symptoms", "conservative_treatment_failed",
    "prior_spine_surgery",
])
def test_every_element_f1_floor(result: dict, element_id: str) -> None:
    assert result["elements"][element_id]["f1"] >= 0.90, result["elements"][element_id]


def test_procedure_status_floor(result: dict) -> None:
    assert result["procedure_status_accuracy"] >= 0.95


def test_region_exact_match_floor(result: dict) -> None:
    assert result["region_exact_match"] >= 0.95


def test_primary_code_floor(result: dict) -> None:
    assert result["primary_code_exact_match"] >= 0.95


def test_mtsamples_specificity(shared_dir: Path, analyzer: Analyzer) -> None:
    mts = shared_dir / "corpora" / "mtsamples"
    expected = set(json.loads((mts / "labels.json").read_text())["myelogram_performed_in_note"])
    scan = performed_scan(mts / "mtsamples.jsonl", expected, analyzer)
    assert scan["notes"] == 2377
    assert scan["expected_found"] == sorted(expected), scan
    assert scan["false_positives"] == [], scan["false_positives"]
