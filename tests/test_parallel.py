"""Multi-core batches (issue 4): same reports as one process, in input order."""

from __future__ import annotations

from pathlib import Path

from docanalyzer import Analyzer

REPO = Path(__file__).resolve().parents[1]


def test_two_workers_give_the_same_reports_in_input_order(analyzer: Analyzer) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    texts += ["", "   ", "no cue at all in this short note"]  # errors and screened-out notes too
    single = [r.model_dump() for r in analyzer.analyze_many(texts)]
    parallel = [r.model_dump() for r in analyzer.analyze_many(texts, n_process=2)]
    assert [r["document_id"] for r in parallel] == [f"doc-{i}" for i in range(1, len(texts) + 1)]
    assert parallel == single
