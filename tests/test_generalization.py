"""Generalization floors (issue 11), measured by the same code as ``docanalyzer evaluate``.

eval/dev and eval/heldout were written by writers briefed on a document style,
eval/ANNOTATION.md and the coding reference only. The rule authors tune on eval/dev and never open
eval/heldout; this test reads only its aggregate figures. The floors sit at what the analyzer
reaches today (docs/accuracy.md), so a change that loses ground on unseen notes fails here; where
the issue's targets (0.97) are higher, docs/accuracy.md records them as not yet met.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.evaluation import ELEMENT_IDS, evaluate_corpus, load_gold
from docanalyzer.inputs import read_note_file

EVAL = Path(__file__).resolve().parents[1] / "eval"
FLOORS = {
    "heldout": {"procedure_status_accuracy": 0.97, "macro_f1": 0.969, "region_exact_match": 0.97,
                "primary_code_exact_match": 0.98},
    "dev": {"procedure_status_accuracy": 0.97, "macro_f1": 0.96, "region_exact_match": 0.94,
            "primary_code_exact_match": 0.935},
}
# Suggested ICD-10-CM codes against the annotators' expected_dx (issue 17: targets P 0.90, R 0.85 on
# the held-out split; both are met, and held here).
DX_FLOORS = {"heldout": {"precision": 0.90, "recall": 0.92}, "dev": {"precision": 0.96, "recall": 0.96}}
INTRATHECAL = {"performed", "attempted", "injection_only"}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def split(request: pytest.FixtureRequest) -> tuple[str, dict]:
    # (the evaluation's own analyzer: it reviews diagnoses on every note, as `docanalyzer evaluate` does)
    return request.param, evaluate_corpus(EVAL / request.param, anonymous=request.param == "heldout")


def test_split_is_large_enough(split: tuple[str, dict]) -> None:
    assert split[1]["notes"] >= 120


@pytest.mark.parametrize("figure", ["procedure_status_accuracy", "macro_f1", "region_exact_match",
                                    "primary_code_exact_match"])
def test_floor(split: tuple[str, dict], figure: str) -> None:
    name, result = split
    # Aggregate figures only: no note names are printed for the held-out split.
    assert result[figure] >= FLOORS[name][figure], f"{name} {figure} = {result[figure]}"


@pytest.mark.parametrize("figure", ["precision", "recall"])
def test_diagnosis_floor(split: tuple[str, dict], figure: str) -> None:
    name, result = split
    dx = result["diagnoses"]
    assert dx["notes"] >= 80, "expected_dx must be annotated on at least 80 notes of the split"
    assert dx[figure] >= DX_FLOORS[name][figure], f"{name} suggested-dx {figure} = {dx[figure]}"


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


def test_aggregate_evaluation_never_names_a_note(runner, tmp_path, caplog, monkeypatch) -> None:
    """Whoever edits the rules reads the held-out figures only: not even the log line of a note that
    failed may name it."""
    import docanalyzer.analyzer as analyzer_module
    from docanalyzer.cli import app

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(analyzer_module, "build_report", fail)
    (tmp_path / "secret_scenario_name.txt").write_text("LUMBAR MYELOGRAM. Omnipaque 180 at L2-3.", encoding="utf-8")
    gold = {"id": "x", "style": "narrative", "variation": "x", "procedure_status": "not_documented", "regions": [],
            "elements": dict.fromkeys(ELEMENT_IDS, "missing"), "findings": [], "expected_codes": [],
            "expected_modifiers": [], "billed_code": None}
    (tmp_path / "secret_scenario_name.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    for aggregate, named in ((False, True), (True, False)):
        caplog.clear()
        result = runner.invoke(app, ["evaluate", str(tmp_path)] + (["--aggregate"] if aggregate else []))
        assert result.exit_code == 0, result.output
        assert ("secret_scenario_name" in result.output + caplog.text) is named
