"""Specificity on real transcriptions: MTSamples spine notes (../shared/corpora/mtsamples/spine/).

Of these 22 notes (consults, lumbar punctures, epidurals, discograms, laminectomies...) only
mts_2257 documents a myelogram performed in the encounter; every other note must come out
``not_documented``. The corpus sits beside the checkout, so these tests skip without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_original

from docanalyzer import Analyzer, Report

SPINE = ("corpora", "mtsamples", "spine")
PERFORMED_PREFIX = "mts_2257_"


@pytest.fixture(scope="module")
def spine_reports(shared_dir: Path, analyzer: Analyzer) -> dict[str, Report]:
    folder = shared_dir.joinpath(*SPINE)
    paths = sorted(folder.glob("*.txt"))
    return {p.stem: analyzer.analyze(read_original(p), document_id=p.stem) for p in paths}


def test_all_22_notes_present(spine_reports: dict[str, Report]) -> None:
    assert len(spine_reports) == 22
    assert sum(stem.startswith(PERFORMED_PREFIX) for stem in spine_reports) == 1


def test_all_notes_analyzed_without_errors(spine_reports: dict[str, Report]) -> None:
    failed = {stem: [e.code for e in r.errors] for stem, r in spine_reports.items() if r.errors}
    assert failed == {}
    for report in spine_reports.values():
        assert report.verdict != "error"
        assert len(report.elements) == 10


def test_only_2257_is_a_myelogram(spine_reports: dict[str, Report]) -> None:
    not_not_documented = {
        stem: r.procedure_status
        for stem, r in spine_reports.items()
        if r.procedure_status != "not_documented"
    }
    assert sorted(not_not_documented) == [
        stem for stem in sorted(spine_reports) if stem.startswith(PERFORMED_PREFIX)
    ], f"procedure status other than not_documented: {not_not_documented}"


def test_2257_is_a_performed_lumbosacral_62304(spine_reports: dict[str, Report]) -> None:
    (stem,) = [s for s in spine_reports if s.startswith(PERFORMED_PREFIX)]
    report = spine_reports[stem]
    assert report.procedure_status == "performed"
    assert report.regions == ["lumbosacral"]
    assert [c.code for c in report.code_review.suggested_codes][:1] == ["62304"]


def test_not_documented_notes_suggest_no_codes(spine_reports: dict[str, Report]) -> None:
    offenders = {
        stem: [c.code for c in r.code_review.suggested_codes]
        for stem, r in spine_reports.items()
        if not stem.startswith(PERFORMED_PREFIX) and r.code_review.suggested_codes
    }
    assert offenders == {}
