"""Property and fuzz tests (hypothesis): whatever the input, analysis returns a report or a clean
per-note error and never raises; evidence offsets are always valid; readers and the resume parser
never fail with anything but their documented errors; every input yields exactly one result.

Sizes are bounded so the suite stays fast; very large inputs are covered in test_robustness.py.
"""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

import pytest
from conftest import all_evidence, read_original, sample_note_paths
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from docanalyzer import Analyzer, Report
from docanalyzer.errors import ErrorCode
from docanalyzer.inputs import NoteInput, iter_inputs, note_from_bytes, without_surrogates
from docanalyzer.partial_output import BatchError, parse_partial

CODES = {code.value for code in ErrorCode}
NOTES = [read_original(p) for p in sample_note_paths()]
FRAGMENTS = [
    "LUMBAR MYELOGRAM", "myelogram", "CT myelogram", "Omnipaque 180", "Isovue-M 200", "iohexol", "contrast",
    "L2-L3", "L4-5", "C1-2", "lumbar puncture", "fluoroscopic guidance", "under fluoroscopy", "no", "not", "denies",
    "without", "history of", "family history", "will schedule", "possible", "pacemaker", "claustrophobia",
    "MRI", "nondiagnostic", "physical therapy", "failed", "laminectomy", "stenosis", "pain", "numbness",
    "IMPRESSION:", "FINDINGS:", "TECHNIQUE:", "INDICATION:", "Contrast agent: ___", "[ ]", "[x]", ".", ":", ";",
    "62304", "-53", "\u00ae", "\u2013", "\ufeff", "\x00", "\x0c", "\u2028", "\ud800", "\udfff",
]
ALPHABET = st.one_of(st.characters(), st.characters(codec=None, categories=["Cs", "Cc", "Zl", "Zp", "Cf"]))
SEPARATORS = st.sampled_from([" ", " ", "\n", "\r\n", "\r", "\t", "", "\n\n", ". "])
PIECE = st.one_of(st.sampled_from(FRAGMENTS), st.text(ALPHABET, max_size=12))

notes_from_pieces = st.lists(st.tuples(PIECE, SEPARATORS), max_size=60).map(lambda xs: "".join(p + s for p, s in xs))
repeated = st.tuples(st.one_of(PIECE, notes_from_pieces), SEPARATORS, st.integers(1, 400)).map(
    lambda t: ((t[0] + t[1]) * t[2])[:6000])


@st.composite
def spliced_notes(draw) -> str:
    """A real note with random cuts and insertions: the full pipeline runs on damaged text."""
    text = draw(st.sampled_from(NOTES))
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 200)))
        text = text[:start] + draw(st.one_of(PIECE, st.text(ALPHABET, max_size=30))) + text[end:]
    return text


ANY_NOTE = st.one_of(st.text(ALPHABET, max_size=300), notes_from_pieces, repeated, spliced_notes())
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def unscreened() -> Analyzer:
    """Evaluates every element even without a procedure cue: random text reaches the whole pipeline."""
    return Analyzer("auto", screen=False)


def check(report: Report, text: str) -> None:
    assert isinstance(report, Report)
    assert {e.code for e in report.errors} <= CODES
    assert (report.verdict == "error") == bool(report.errors)
    assert 0 <= report.score <= 100
    assert report.input.chars == len(text)
    for where, ev in all_evidence(report):
        assert 0 <= ev.start <= ev.end <= len(text), where
        assert text[ev.start : ev.end] == ev.text, where


@FUZZ
@given(text=ANY_NOTE)
def test_any_text_gives_a_report_with_valid_offsets(analyzer: Analyzer, unscreened: Analyzer, text: str) -> None:
    clean = without_surrogates(text)  # what every reader hands over: same length, writable as UTF-8
    assert len(clean) == len(text)
    for engine in (analyzer, unscreened):
        report = engine.analyze(clean, document_id="fuzz")
        check(report, clean)
        assert json.loads(report.model_dump_json())["document_id"] == "fuzz"
        if clean != text:  # lone surrogates straight from the API: still a report, offsets still valid
            # (evidence quotes the text as analyzed: each lone surrogate read as U+FFFD, same length)
            check(engine.analyze(text), clean)


@FUZZ
@given(values=st.lists(st.one_of(ANY_NOTE, st.none(), st.integers(), st.binary(max_size=20)), max_size=8))
def test_analyze_many_yields_one_report_per_input_in_order(analyzer: Analyzer, values: list) -> None:
    reports = list(analyzer.analyze_many(values))
    assert [r.document_id for r in reports] == [f"doc-{i}" for i in range(1, len(values) + 1)]
    for value, report in zip(values, reports, strict=True):
        if not isinstance(value, str):
            assert [e.code for e in report.errors] == [ErrorCode.NOT_TEXT.value]


@FUZZ
@given(data=st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda t, enc: t.encode(enc, errors="replace"), ANY_NOTE,
              st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "utf-8-sig"])),
    st.builds(lambda prefix, body: prefix + body, st.sampled_from([b"{\\rtf1", b"%PDF-", b"\xff\xfe", b"\xef\xbb\xbf"]),
              st.binary(max_size=300)),
))
def test_any_bytes_decode_or_fail_cleanly(analyzer: Analyzer, data: bytes) -> None:
    item = note_from_bytes(data, "fuzz", "fuzz.txt")
    assert (item.text is None) == (item.error_code is not None)
    if item.text is not None:
        assert item.encoding
        try:
            plain = data.decode("utf-8")
        except UnicodeDecodeError:
            plain = None
        if plain is not None and item.encoding == "utf-8":
            assert item.text == plain
    report = analyzer.analyze_input(item)
    if item.text is not None:
        check(report, item.text)
    else:
        assert [e.code for e in report.errors] == [item.error_code.value]
    json.loads(report.model_dump_json())


@FUZZ
@given(lines=st.lists(st.one_of(
    st.binary(max_size=80),
    st.builds(lambda d, t: json.dumps({"document_id": d, "text": t}).encode(), st.text(ALPHABET, max_size=8), ANY_NOTE),
    st.builds(lambda v: json.dumps(v).encode(), st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                                                             lambda c: st.lists(c) | st.dictionaries(st.text(), c))),
), max_size=10))
def test_jsonl_every_record_line_yields_exactly_one_item(tmp_path_factory: pytest.TempPathFactory,
                                                         lines: list[bytes]) -> None:
    lines = [line.replace(b"\n", b" ") for line in lines]
    assume(not (lines and lines[0].startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))))
    path = tmp_path_factory.mktemp("jsonl") / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(iter_inputs([str(path)]))

    def blank(line: bytes, first: bool) -> bool:  # blank once decoded, as the reader decodes it
        line = line.removeprefix(codecs.BOM_UTF8) if first else line
        for encoding in ("utf-8", "cp1252"):
            try:
                return not line.decode(encoding).strip()
            except UnicodeDecodeError:
                continue
        return False

    records = [line for number, line in enumerate(lines) if not blank(line, number == 0)]
    assert len(items) == max(len(records), 1)
    assert all(isinstance(i, NoteInput) for i in items)
    for item in items:
        assert (item.text is None) == (item.error_code is not None)
        if item.text is not None:
            assert without_surrogates(item.text) == item.text
            assert without_surrogates(item.document_id) == item.document_id


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), st.text(ALPHABET, max_size=200).map(
    lambda t: t.encode("utf-8", errors="surrogatepass"))), fmt=st.sampled_from(["jsonl", "csv", "json"]))
def test_partial_file_parser_never_fails_unexpectedly(data: bytes, fmt: str) -> None:
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    try:
        found = parse_partial(lines, fmt)
    except BatchError as exc:
        assert exc.message.startswith("cannot resume")
        return
    assert 0 <= found.keep_bytes <= len(data)


def test_file_names_that_are_not_utf8(tmp_path: Path, analyzer: Analyzer) -> None:
    """A file name with Latin-1 bytes (surrogate-escaped by Python) is read, and its id can be written."""
    raw_name = os.path.join(os.fsencode(tmp_path), b"caf\xe9 note.txt")
    with open(raw_name, "wb") as handle:
        handle.write(NOTES[0].encode())
    (item,) = list(iter_inputs([str(tmp_path)]))
    assert item.document_id == f"{tmp_path}/caf\\xe9 note.txt" and item.text == NOTES[0]
    report = analyzer.analyze_input(item)
    check(report, NOTES[0])
    assert json.loads(report.model_dump_json())["input"]["source"] == item.document_id
