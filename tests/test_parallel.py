"""Multi-core batches (issue 4): same reports as one process, in input order."""

from __future__ import annotations

from pathlib import Path

import pytest

from docanalyzer import Analyzer

REPO = Path(__file__).resolve().parents[1]


def test_two_workers_give_the_same_reports_in_input_order(analyzer: Analyzer) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "eval" / "corpus").glob("*.txt"))]
    texts += ["", "   ", "no cue at all in this short note"]  # errors and screened-out notes too
    single = [r.model_dump() for r in analyzer.analyze_many(texts)]
    parallel = [r.model_dump() for r in analyzer.analyze_many(texts, n_process=2)]
    assert [r["document_id"] for r in parallel] == [f"doc-{i}" for i in range(1, len(texts) + 1)]
    assert parallel == single


class _DyingAnalyzer:
    """Wraps a real analyzer (inherited by forked workers); kills its own worker process on cue:
    'POISON' every time, 'ONCE' only the first time (a marker file remembers it across processes)."""

    def __init__(self, real: Analyzer, marker: Path) -> None:
        self.real, self.marker = real, marker

    def analyze(self, text: str, **options):
        import os
        import signal

        if text.startswith("POISON") or (text.startswith("ONCE") and not self.marker.exists()):
            self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.real.analyze(text, **options)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="the dying analyzer is handed to the workers by fork")
def test_a_dead_worker_neither_hangs_the_run_nor_loses_a_note(analyzer: Analyzer, tmp_path: Path) -> None:
    from docanalyzer.parallel import analyze_parallel

    note = (REPO / "sample_notes").glob("*.txt").__next__().read_text(encoding="utf-8")
    texts = [note] * 40 + ["ONCE " + note] + [note] * 20 + ["POISON"] + [note] * 30
    reports = list(analyze_parallel(texts, workers=2, chunksize=4, analyzer=_DyingAnalyzer(analyzer, tmp_path / "m")))
    assert [r.document_id for r in reports] == [f"doc-{i}" for i in range(1, len(texts) + 1)]
    codes = {r.document_id: [e.code for e in r.errors] for r in reports}
    assert codes["doc-62"] == ["E008_WORKER_DIED"]  # died twice: reported, not retried forever
    assert codes["doc-41"] == []  # died once: analyzed again, alone
    assert sum(bool(c) for c in codes.values()) == 1
    assert reports[40].procedure_status == reports[0].procedure_status


class _Unserializable:
    """Stands in for a report whose JSON is not a report (what a torn or corrupted result would give)."""

    class __pydantic_serializer__:  # (the attribute the worker calls)
        @staticmethod
        def to_json(_report: object) -> bytes:
            return b'{"not": "a report"}'


class _GarblingAnalyzer:
    """Wraps a real analyzer (inherited by forked workers); the note starting with 'GARBLE' gets a
    result the parent cannot read."""

    def __init__(self, real: Analyzer) -> None:
        self.real = real

    def analyze(self, text: str, **options):
        return _Unserializable() if text.startswith("GARBLE") else self.real.analyze(text, **options)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="the garbling analyzer is handed to the workers by fork")
def test_an_unreadable_result_gives_that_note_one_error_and_loses_no_other(analyzer: Analyzer) -> None:
    from docanalyzer.parallel import analyze_parallel

    notes = [p.read_text(encoding="utf-8") for p in sorted((REPO / "sample_notes").glob("*.txt"))][:6]
    texts = [*notes, "GARBLE " + notes[0], *notes]
    reports = list(analyze_parallel(texts, workers=2, chunksize=3, analyzer=_GarblingAnalyzer(analyzer)))
    assert [r.document_id for r in reports] == [f"doc-{i}" for i in range(1, len(texts) + 1)]
    assert [e.code for e in reports[6].errors] == ["E099_INTERNAL"] and reports[6].verdict == "error"
    others = [r.model_dump() for i, r in enumerate(reports) if i != 6]
    single = [r.model_dump() for i, r in enumerate(analyzer.analyze_many(texts)) if i != 6]
    assert others == single


def test_a_torn_payload_gives_each_note_of_its_chunk_one_error() -> None:
    import zlib

    from docanalyzer.parallel import _reports

    chunk = [(7, "first note"), (8, "second note"), (9, "third note")]
    for payload in (b"not compressed at all", zlib.compress(b'{"a": 1}\n{"b": 2}')):  # torn; one line short
        reports = list(_reports(payload, chunk, "auto", None, "professional"))
        assert [r.document_id for r in reports] == ["doc-7", "doc-8", "doc-9"]
        assert all([e.code for e in r.errors] == ["E099_INTERNAL"] for r in reports)
