"""Generalization floors (issue 11), measured by the same code as ``docanalyzer evaluate``.

eval/dev and eval/heldout were written by eight writers briefed on a document style,
eval/ANNOTATION.md and the coding reference only. The rule authors tune on eval/dev and never open
eval/heldout; this test reads only its aggregate figures. The floors sit at what the analyzer
reaches today (docs/accuracy.md), so a change that loses ground on unseen notes fails here; the
issue's targets (0.97) are higher and are recorded there as not yet met.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.evaluation import evaluate_corpus, load_gold
from docanalyzer.inputs import read_note_file

EVAL = Path(__file__).resolve().parents[1] / "eval"
FLOORS = {
    "heldout": {"procedure_status_accuracy": 0.95, "macro_f1": 0.95, "region_exact_match": 0.96,
                "primary_code_exact_match": 0.96},
    "dev": {"procedure_status_accuracy": 0.97, "macro_f1": 0.96, "region_exact_match": 0.94,
            "primary_code_exact_match": 0.94},
}
INTRATHECAL = {"performed", "attempted", "injection_only"}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def split(request: pytest.FixtureRequest, analyzer: Analyzer) -> tuple[str, dict]:
    return request.param, evaluate_corpus(EVAL / request.param, analyzer)


def test_split_is_large_enough(split: tuple[str, dict]) -> None:
    assert split[1]["notes"] >= 120


@pytest.mark.parametrize("figure", ["procedure_status_accuracy", "macro_f1", "region_exact_match",
                                    "primary_code_exact_match"])
def test_floor(split: tuple[str, dict], figure: str) -> None:
    name, result = split
    # Aggregate figures only: no note names are printed for the held-out split.
    assert result[figure] >= FLOORS[name][figure], f"{name} {figure} = {result[figure]}"


@pytest.mark.parametrize("folder", ["corpus", "dev", "heldout"])
def test_no_intrathecal_procedure_is_not_documented(analyzer: Analyzer, folder: str) -> None:
    """The silent failure of issue 11: a myelogram (or its attempt or injection) that vanishes
    from the pre-bill queue as not_documented / not_applicable."""
    lost = 0
    for note, gold in load_gold(EVAL / folder):
        if gold["procedure_status"] in INTRATHECAL:
            report = analyzer.analyze_input(read_note_file(note, note.stem))
            lost += report.procedure_status == "not_documented"
    assert lost == 0, f"{lost} intrathecal procedure(s) in eval/{folder} reported not_documented"
