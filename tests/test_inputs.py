"""Bad input never raises and never disappears: every input yields exactly one report, with
``errors`` (stable code, no note text) when it could not be analyzed."""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest
from conftest import read_original, sample_note_paths

from docanalyzer import Analyzer, Report
from docanalyzer.errors import ErrorCode
from docanalyzer.inputs import decode_bytes, iter_inputs, note_from_bytes, read_note_file

NOTE = read_original(sample_note_paths()[0])
SECRET = "Omnipaque"  # note text must never leak into error messages


def error_codes(report: Report) -> list[str]:
    return [e.code for e in report.errors]


def assert_error_report(report: Report, code: ErrorCode) -> None:
    assert error_codes(report) == [code.value]
    assert report.verdict == "error"
    assert report.elements == []
    assert report.code_review.suggested_codes == []
    for error in report.errors:
        assert SECRET not in error.message


# --- text given to the API ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", " ", "\n\n\t  \r\n", "\u00a0\u2003\n"],
                         ids=["empty", "space", "whitespace-lines", "unicode-spaces"])
def test_empty_and_whitespace_only(analyzer: Analyzer, text: str) -> None:
    report = analyzer.analyze(text, document_id="blank")
    assert report.document_id == "blank"
    assert_error_report(report, ErrorCode.EMPTY_INPUT)


@pytest.mark.parametrize("value", [None, 42, b"LUMBAR MYELOGRAM", ["a", "b"]],
                         ids=["none", "int", "bytes", "list"])
def test_non_str_is_an_error_not_an_exception(analyzer: Analyzer, value: object) -> None:
    report = analyzer.analyze(value, document_id="odd")  # type: ignore[arg-type]
    assert_error_report(report, ErrorCode.NOT_TEXT)
    assert report.document_id == "odd"


def test_oversized_text(analyzer: Analyzer) -> None:
    small = Analyzer(max_chars=1000)
    assert len(NOTE) > 1000
    report = small.analyze(NOTE, document_id="big")
    assert_error_report(report, ErrorCode.TOO_LARGE)
    assert "1000" in report.errors[0].message
    # at the limit it is still analyzed
    assert small.analyze(NOTE[:1000]).errors == []
    # the default analyzer takes the same note
    assert analyzer.analyze(NOTE).errors == []


def test_null_bytes_in_text_are_analyzed(analyzer: Analyzer) -> None:
    text = NOTE.replace("\n\n", "\n\x00\n", 1)
    report = analyzer.analyze(text)
    assert report.errors == []
    assert len(text) == report.input.chars


# --- files ------------------------------------------------------------------------------------

def test_cp1252_file_decodes_and_records_encoding(analyzer: Analyzer, tmp_path: Path) -> None:
    text = NOTE.replace("Omnipaque 180", "Omnipaque\u00ae 180").replace(
        "approximately", "\u201capproximately\u201d")
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    item = read_note_file(path)
    assert item.text == text
    assert item.encoding == "cp1252"
    report = analyzer.analyze_input(item)
    assert report.errors == []
    assert report.input.encoding == "cp1252"
    assert report.element("contrast_agent").status == "documented"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
    ids=["utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_bom_files_decode(analyzer: Analyzer, tmp_path: Path, bom: bytes, encoding: str) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(bom + NOTE.encode(encoding))
    item = read_note_file(path)
    assert item.error_code is None
    assert item.encoding is not None
    assert item.text is not None
    assert item.text.lstrip("\ufeff") == NOTE
    report = analyzer.analyze_input(item)
    assert report.errors == []
    assert report.procedure_status == "performed"
    assert report.input.encoding == item.encoding
    for element in report.elements:
        for ev in element.evidence:
            assert item.text[ev.start : ev.end] == ev.text


def test_binary_file(analyzer: Analyzer, tmp_path: Path) -> None:
    rng = random.Random(1234)
    data = bytes(rng.randrange(256) for _ in range(4096)) + b"\x00" * 64
    path = tmp_path / "scan.txt"
    path.write_bytes(data)
    item = read_note_file(path)
    assert item.text is None
    assert item.error_code is ErrorCode.BINARY_INPUT
    assert_error_report(analyzer.analyze_input(item), ErrorCode.BINARY_INPUT)


def test_decode_bytes_rejects_binary() -> None:
    with pytest.raises(ValueError):
        decode_bytes(b"\x00\x01\x02\x03" * 100)


def test_rtf_file(analyzer: Analyzer, tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 LUMBAR MYELOGRAM\\par }")
    item = read_note_file(path)
    assert item.error_code is ErrorCode.UNSUPPORTED_FORMAT
    assert_error_report(analyzer.analyze_input(item), ErrorCode.UNSUPPORTED_FORMAT)


def test_empty_file(analyzer: Analyzer, tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert_error_report(analyzer.analyze_input(read_note_file(path)), ErrorCode.EMPTY_INPUT)


def test_unreadable_path(analyzer: Analyzer, tmp_path: Path) -> None:
    item = read_note_file(tmp_path / "missing.txt")
    assert item.error_code is ErrorCode.UNREADABLE
    assert_error_report(analyzer.analyze_input(item), ErrorCode.UNREADABLE)


def test_note_from_bytes_plain_utf8() -> None:
    item = note_from_bytes(NOTE.encode("utf-8"), "x", None)
    assert (item.text, item.encoding) == (NOTE, "utf-8")


# --- one report per input ---------------------------------------------------------------------

def test_every_input_yields_exactly_one_report(analyzer: Analyzer, tmp_path: Path) -> None:
    good = tmp_path / "a_good.txt"
    good.write_text(NOTE, encoding="utf-8")
    binary = tmp_path / "b_binary.txt"
    binary.write_bytes(b"\x00\xff\x10" * 500)
    rtf = tmp_path / "c_note.txt"
    rtf.write_bytes(b"{\\rtf1 hello}")
    empty = tmp_path / "d_empty.txt"
    empty.write_bytes(b"")
    empty_dir = tmp_path / "e_empty_dir"
    empty_dir.mkdir()
    missing = tmp_path / "f_missing.txt"
    paths = [str(good), str(binary), str(rtf), str(empty), str(empty_dir), str(missing), str(good)]
    reports = [analyzer.analyze_input(item) for item in iter_inputs(paths)]
    assert [r.document_id for r in reports] == paths
    assert [error_codes(r) for r in reports] == [
        [],
        [ErrorCode.BINARY_INPUT.value],
        [ErrorCode.UNSUPPORTED_FORMAT.value],
        [ErrorCode.EMPTY_INPUT.value],
        [ErrorCode.UNREADABLE.value],
        [ErrorCode.UNREADABLE.value],
        [],
    ]


def test_analyze_many_keeps_order_and_count(analyzer: Analyzer) -> None:
    items = [NOTE, "", None, "   ", NOTE]
    reports = list(analyzer.analyze_many(items))  # type: ignore[arg-type]
    assert [r.document_id for r in reports] == [f"doc-{i}" for i in range(1, 6)]
    assert [error_codes(r) for r in reports] == [
        [], ["E001_EMPTY_INPUT"], ["E007_NOT_TEXT"], ["E001_EMPTY_INPUT"], [],
    ]
