"""The code-review cases of issue 12 as annotated notes (eval/coding, written by a writer who saw
only eval/ANNOTATION.md and the coding reference): codes, modifiers on the note's claim type, what the
auditor is told about the billed code, and which queries are not drafted."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.inputs import read_note_file
from docanalyzer.report import Report

CASES = Path(__file__).resolve().parents[1] / "eval" / "coding"
GOLD = sorted(CASES.glob("*.gold.json")) if CASES.is_dir() else []

_BY_RULE = {
    "CR002_NO_MYELOGRAM": "over_coded",
    "CR011_DISCONTINUED_WITHOUT_53": "modifier_53_missing",
    "CR012_53_WITHOUT_DISCONTINUATION": "discontinued_without_documentation",
    "CR013_22_WITHOUT_INCREASED_WORK": "modifier_22_unsupported",
    "CR015_MODIFIER_FOR_CLAIM_TYPE": "modifier_not_for_claim_type",
    "PL001_IONIC_OR_NOT_INTRATHECAL": "contrast_not_intrathecal",
    "PL006_CONTRAST_FORMULATION_UNSTATED": "contrast_formulation_unstated",
    "CR016_52_WITHOUT_REDUCTION": "modifier_52_unsupported",
    "PL003_IOHEXOL_DOSE": "contrast_dose_over_limit",
    "PL007_PEDIATRIC_IOHEXOL": "contrast_dose_over_limit",
}


def categories(report: Report) -> set[str]:
    """What the auditor is told about the billed code, in the annotation guide's categories."""
    found = {_BY_RULE[f.rule_id] for f in report.code_review.findings if f.rule_id in _BY_RULE}
    for finding in report.code_review.findings:
        if finding.rule_id == "CR014_BILLED_VS_SUPPORTED":
            if "documented but not billed" in finding.message:
                found.add("under_coded")
            if "billed but not supported" in finding.message:
                found.add("over_coded")
    return found


def analyze(analyzer: Analyzer, gold_path: Path) -> tuple[dict, Report]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    item = read_note_file(gold_path.with_name(gold_path.name.replace(".gold.json", ".txt")), gold["id"])
    item = dataclasses.replace(item, claim_type=gold.get("claim_type") or "professional")
    return gold, analyzer.analyze_input(item, billed_code=gold.get("billed_code"))


@pytest.mark.skipif(not GOLD, reason=f"no annotated code-review cases in {CASES}")
@pytest.mark.parametrize("gold_path", GOLD, ids=[p.name.removesuffix(".gold.json") for p in GOLD])
def test_code_review_case(analyzer: Analyzer, gold_path: Path) -> None:
    gold, report = analyze(analyzer, gold_path)
    assert report.procedure_status == gold["procedure_status"]
    assert [c.code for c in report.code_review.suggested_codes] == gold["expected_codes"]
    assert sorted(m.code for m in report.code_review.modifiers) == sorted(gold["expected_modifiers"])
    assert categories(report) == set(gold.get("expected_findings", []))
    assert not {q.element_id for q in report.queries} & set(gold.get("no_query_for", []))
