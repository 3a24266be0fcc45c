"""Evidence offsets point into the ORIGINAL input: ``text[start:end] == evidence.text``.

Checked for every evidence span anywhere in the report (elements' evidence and discounted
mentions, findings, procedure evidence, code review evidence), on the file text exactly as
stored, on a CRLF copy of it, and on text with other line breaks and odd spaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import all_evidence, eval_note_paths, read_original, sample_note_paths

from docanalyzer import Analyzer

NOTE_PATHS = sample_note_paths() + eval_note_paths()
NOTE_IDS = [f"{p.parent.name}/{p.stem}" for p in NOTE_PATHS]


def assert_offsets_valid(analyzer: Analyzer, text: str, document_id: str) -> int:
    report = analyzer.analyze(text, document_id=document_id)
    assert report.errors == [], f"{document_id}: {report.errors}"
    bad = []
    count = 0
    for where, ev in all_evidence(report):
        count += 1
        if not (0 <= ev.start <= ev.end <= len(text)) or text[ev.start : ev.end] != ev.text:
            bad.append(f"{where}: {ev.text!r} @{ev.start}-{ev.end} but text has "
                       f"{text[ev.start : ev.end]!r}")
    summary = f"{document_id}: {len(bad)} of {count} spans do not match:\n"
    assert not bad, summary + "\n".join(bad[:10])
    return count


def test_corpora_are_present() -> None:
    assert len(sample_note_paths()) >= 10
    assert len(eval_note_paths()) >= 10


@pytest.mark.parametrize("path", NOTE_PATHS, ids=NOTE_IDS)
def test_offsets_on_original_text(analyzer: Analyzer, path: Path) -> None:
    text = read_original(path)
    count = assert_offsets_valid(analyzer, text, path.stem)
    assert count > 0, "a note about myelography should produce some evidence"


@pytest.mark.parametrize("path", NOTE_PATHS, ids=NOTE_IDS)
def test_offsets_on_crlf_text(analyzer: Analyzer, path: Path) -> None:
    text = read_original(path).replace("\r\n", "\n").replace("\n", "\r\n")
    assert "\r\n" in text
    assert_offsets_valid(analyzer, text, f"{path.stem}-crlf")


@pytest.mark.parametrize("path", NOTE_PATHS[:1], ids=NOTE_IDS[:1])
def test_crlf_gives_the_same_analysis(analyzer: Analyzer, path: Path) -> None:
    lf = read_original(path)
    crlf = lf.replace("\n", "\r\n")
    a = analyzer.analyze(lf)
    b = analyzer.analyze(crlf)
    assert b.procedure_status == a.procedure_status
    assert b.regions == a.regions
    assert [(e.id, e.status) for e in b.elements] == [(e.id, e.status) for e in a.elements]


SAMPLE = sample_note_paths()[0]


@pytest.mark.parametrize(
    ("name", "transform"),
    [
        ("lone-cr", lambda t: t.replace("\n", "\r")),
        ("nbsp", lambda t: t.replace("Omnipaque 180", "Omnipaque\u00a0180")
                           .replace(" of ", "\u00a0of ")),
        ("form-feed", lambda t: t.replace("\n\nFINDINGS", "\n\fFINDINGS")),
        ("unicode-line-separator", lambda t: t.replace(".\n", ".\u2028")),
        ("bom-and-tabs", lambda t: "\ufeff" + t.replace("  ", "\t")),
    ],
)
def test_offsets_survive_odd_whitespace(analyzer: Analyzer, name: str, transform) -> None:
    original = read_original(SAMPLE)
    text = transform(original)
    assert text != original, f"transform {name} changed nothing"
    assert_offsets_valid(analyzer, text, f"{SAMPLE.stem}-{name}")
