"""Hostile input, generated here (no committed binaries): every input yields exactly one result, a
note that cannot be analyzed carries a stable error code and a message without note text, and the
evidence offsets of what is analyzed point into the text the user gave (after decoding).

Also the configuration path of the CLI: a bad checklist file exits 2 naming the file (and the
field), before any note is read.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import time
from pathlib import Path

import pytest
from conftest import REPO, all_evidence, read_original, sample_note_paths
from typer.testing import CliRunner

import docanalyzer.inputs as inputs
from docanalyzer import Analyzer, Report
from docanalyzer.cli import app
from docanalyzer.errors import ErrorCode, RuleFileError
from docanalyzer.inputs import MAX_CHARS, iter_inputs, note_from_bytes, read_note_file

NOTE = read_original(sample_note_paths()[0])  # a complete lumbar myelogram, ASCII, LF line ends
MARKER = "Omnipaque"  # note text that must never show up in an error message
CODES = {code.value for code in ErrorCode}


def codes(report: Report) -> list[str]:
    return [e.code for e in report.errors]


def assert_offsets(report: Report, text: str) -> None:
    spans = list(all_evidence(report))
    for where, ev in spans:
        assert 0 <= ev.start <= ev.end <= len(text), where
        assert text[ev.start : ev.end] == ev.text, where


def assert_clean_error(report: Report, code: ErrorCode) -> None:
    assert codes(report) == [code.value]
    assert report.verdict == "error"
    for error in report.errors:
        assert MARKER not in error.message
        assert error.message.strip()


def statuses(report: Report) -> dict[str, str]:
    return {e.id: e.status for e in report.elements}


@pytest.fixture(scope="module")
def reference(analyzer: Analyzer) -> Report:
    report = analyzer.analyze(NOTE)
    assert report.errors == [] and report.procedure_status == "performed"
    return report


# --- line endings, NUL and control characters, long lines (API) -------------------------------

@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_line_endings_give_the_same_review_and_offsets_into_the_given_text(
        analyzer: Analyzer, reference: Report, newline: str) -> None:
    text = NOTE.replace("\n", newline)
    report = analyzer.analyze(text)
    assert report.errors == []
    assert statuses(report) == statuses(reference)
    assert report.input.chars == len(text)
    assert_offsets(report, text)


def test_nul_and_control_characters_are_analyzed_with_valid_offsets(analyzer: Analyzer, reference: Report) -> None:
    rng = random.Random(5)
    chars = list(NOTE)
    for _ in range(40):  # sprinkle NUL, BEL, ESC, DEL, C1 controls, zero-width and BOM characters
        chars.insert(rng.randrange(len(chars)), rng.choice("\x00\x07\x1b\x7f\x85\x9b\u200b\ufeff\x0b\x0c"))
    text = "".join(chars)
    report = analyzer.analyze(text)
    assert report.errors == []
    assert report.procedure_status == "performed"
    assert_offsets(report, text)


def test_very_long_line(analyzer: Analyzer) -> None:
    one_line = NOTE.replace("\n", " ")
    text = " ".join([one_line] * 40)  # ~60,000 characters without a line break
    started = time.monotonic()
    report = analyzer.analyze(text)
    assert time.monotonic() - started < 20
    assert report.errors == []
    assert "\n" not in text
    assert_offsets(report, text)


def test_text_over_the_size_limit_is_a_clean_error_not_a_hang(analyzer: Analyzer) -> None:
    text = (NOTE * (5_000_000 // len(NOTE) + 1))[:5_000_000]  # a 5 MB note
    started = time.monotonic()
    report = analyzer.analyze(text, document_id="huge")
    assert time.monotonic() - started < 5
    assert_clean_error(report, ErrorCode.TOO_LARGE)
    assert str(MAX_CHARS) in report.errors[0].message
    assert report.document_id == "huge" and report.input.chars == 5_000_000


# --- files: encodings -------------------------------------------------------------------------

ACCENTED = NOTE.replace("Omnipaque 180", "Omnipaque\u00ae 180").replace(
    "approximately five months", "\u201capproximately\u201d five months \u2013 caf\u00e9")


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (NOTE.encode("utf-8"), NOTE, "utf-8"),
        (codecs.BOM_UTF8 + ACCENTED.encode("utf-8"), ACCENTED, "utf-8-sig"),
        (codecs.BOM_UTF16_LE + ACCENTED.encode("utf-16-le"), ACCENTED, "utf-16-le"),
        (codecs.BOM_UTF16_BE + ACCENTED.encode("utf-16-be"), ACCENTED, "utf-16-be"),
        (ACCENTED.encode("utf-16-le"), ACCENTED, "utf-16-le"),
        (ACCENTED.encode("utf-16-be"), ACCENTED, "utf-16-be"),
        (codecs.BOM_UTF32_LE + ACCENTED.encode("utf-32-le"), ACCENTED, "utf-32-le"),
        (ACCENTED.encode("cp1252"), ACCENTED, "cp1252"),
        (NOTE.replace("five", "f\u00efve").encode("latin-1") + b"\x81", NOTE.replace("five", "f\u00efve") + "\x81",
         "latin-1"),
        (NOTE.replace("\n", "\r\n").encode("cp1252"), NOTE.replace("\n", "\r\n"), "utf-8"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le-no-bom", "utf-16-be-no-bom",
         "utf-32-bom", "cp1252", "latin-1", "crlf"],
)
def test_encodings_decode_record_the_encoding_and_keep_offsets(
        analyzer: Analyzer, reference: Report, tmp_path: Path, data: bytes, text: str, encoding: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(data)
    item = read_note_file(path)
    assert item.error_code is None, item.error_message
    assert (item.text, item.encoding) == (text, encoding)
    report = analyzer.analyze_input(item)
    assert report.errors == []
    assert report.input.encoding == encoding
    assert statuses(report) == statuses(reference)
    assert_offsets(report, item.text)  # offsets count characters of the decoded text (the BOM is not text)


def test_a_few_nul_bytes_in_a_file_are_text(analyzer: Analyzer, tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(NOTE.encode("utf-8").replace(b"\n\n", b"\n\x00\n", 3))
    item = read_note_file(path)
    assert item.encoding == "utf-8"
    report = analyzer.analyze_input(item)
    assert report.errors == []
    assert_offsets(report, item.text or "")


# --- files: what is rejected --------------------------------------------------------------------

def random_bytes(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


BINARY_SAMPLES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + NOTE.encode(),
    "docx": b"PK\x03\x04\x14\x00\x06\x00" + NOTE.encode(),
    "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)),
    "tiff": b"II*\x00" + bytes(range(256)),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(range(256)),
    "dicom": b"\x00" * 128 + b"DICM" + NOTE.encode(),
    "random": random_bytes(7, 5000),
    "nul-padded": NOTE.encode() + b"\x00" * 2000,
    "text-then-binary": NOTE.encode() * 20 + random_bytes(8, 9000),
}


@pytest.mark.parametrize("name", sorted(BINARY_SAMPLES))
def test_binary_files_are_rejected(analyzer: Analyzer, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_bytes(BINARY_SAMPLES[name])
    item = read_note_file(path)
    assert item.text is None and item.error_code is ErrorCode.BINARY_INPUT
    assert str(len(BINARY_SAMPLES[name])) in (item.error_message or "")
    assert_clean_error(analyzer.analyze_input(item), ErrorCode.BINARY_INPUT)


RTF = b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 LUMBAR MYELOGRAM\\par Omnipaque 180\\par }"


@pytest.mark.parametrize(
    "data",
    [RTF, b"\r\n  " + RTF, codecs.BOM_UTF8 + RTF, codecs.BOM_UTF16_LE + RTF.decode().encode("utf-16-le")],
    ids=["rtf", "rtf-after-blank-lines", "rtf-utf8-bom", "rtf-utf16"],
)
def test_rtf_exports_are_rejected_clearly(analyzer: Analyzer, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(data)
    item = read_note_file(path)
    assert item.error_code is ErrorCode.UNSUPPORTED_FORMAT
    assert "plain text" in (item.error_message or "")
    assert_clean_error(analyzer.analyze_input(item), ErrorCode.UNSUPPORTED_FORMAT)


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"\xa0\xa0\r\n"],
                         ids=["empty", "whitespace", "utf8-bom-only", "utf16-bom-only", "nbsp-cp1252"])
def test_empty_and_whitespace_only_files(analyzer: Analyzer, tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(data)
    assert_clean_error(analyzer.analyze_input(read_note_file(path)), ErrorCode.EMPTY_INPUT)


def test_a_5_mb_file_gets_too_large(analyzer: Analyzer, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(NOTE.encode() * (5_000_000 // len(NOTE) + 1))
    started = time.monotonic()
    report = analyzer.analyze_input(read_note_file(path))
    assert time.monotonic() - started < 5
    assert_clean_error(report, ErrorCode.TOO_LARGE)
    assert "characters" in report.errors[0].message


def test_files_over_the_byte_limit_are_not_read(analyzer: Analyzer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_bytes(NOTE.encode())

    def no_read(*args, **kwargs):
        raise AssertionError("an oversized file must not be read")

    monkeypatch.setattr(Path, "open", no_read)
    item = read_note_file(path)
    assert item.error_code is ErrorCode.TOO_LARGE
    assert "1000 bytes" in (item.error_message or "")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_given_as_a_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # a device is read only as stdin ('-'), where the reading is bounded (issue 13)
    (item,) = list(iter_inputs(["/dev/zero"]))  # stat says 0 bytes; reading never ends
    assert item.error_code is ErrorCode.UNREADABLE and "character device" in (item.error_message or "")


def test_permission_denied(analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(NOTE, encoding="utf-8")
    real_open = Path.open

    def denied(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    (item,) = list(iter_inputs([str(path)]))
    assert item.error_code is ErrorCode.UNREADABLE
    assert item.error_message == "cannot read file (Permission denied)"
    assert_clean_error(analyzer.analyze_input(item), ErrorCode.UNREADABLE)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = tmp_path / "locked.txt"
    path.write_text(NOTE, encoding="utf-8")
    path.chmod(0)
    try:
        (item,) = list(iter_inputs([str(path)]))
    finally:
        path.chmod(0o600)
    assert item.error_code is ErrorCode.UNREADABLE


def test_unreadable_folders_are_reported_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = tmp_path / "notes"
    locked = top / "b_locked"
    locked.mkdir(parents=True)
    (top / "a.txt").write_text(NOTE, encoding="utf-8")
    (locked / "hidden.txt").write_text(NOTE, encoding="utf-8")
    (top / "c.txt").write_text(NOTE, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(iter_inputs([str(top)]))
    assert [i.document_id for i in items] == [str(top / "a.txt"), str(top / "c.txt"), str(locked)]
    assert items[2].error_code is ErrorCode.UNREADABLE
    assert items[2].error_message == "cannot read folder (Permission denied)"


def test_unreadable_top_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = tmp_path / "notes"
    top.mkdir()
    (top / "a.txt").write_text(NOTE, encoding="utf-8")
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": (_ for _ in ()).throw(
        PermissionError(13, "Permission denied", str(path))) if Path(path) == top else real_scandir(path))
    (item,) = list(iter_inputs([str(top)]))
    assert (item.document_id, item.error_code) == (str(top), ErrorCode.UNREADABLE)
    assert "Permission denied" in (item.error_message or "")


def test_broken_symlinks_and_folders_without_notes(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTE, encoding="utf-8")
    (folder / "b.txt").symlink_to(tmp_path / "gone.txt")
    top_link = tmp_path / "top.txt"
    top_link.symlink_to(tmp_path / "also_gone.txt")
    no_notes = tmp_path / "scans"
    no_notes.mkdir()
    (no_notes / "scan.pdf").write_bytes(BINARY_SAMPLES["pdf"])
    (no_notes / "letter.docx").write_bytes(BINARY_SAMPLES["docx"])
    items = list(iter_inputs([str(folder), str(top_link), str(no_notes), str(tmp_path / "missing")]))
    assert [(i.document_id, i.error_code, i.error_message) for i in items] == [
        (str(folder / "a.txt"), None, None),
        (str(folder / "b.txt"), ErrorCode.UNREADABLE, "broken symbolic link"),
        (str(top_link), ErrorCode.UNREADABLE, "broken symbolic link"),
        (str(no_notes), ErrorCode.UNREADABLE, "folder contains no *.txt notes"),
        (str(tmp_path / "missing"), ErrorCode.UNREADABLE, "no such file or folder"),
    ]


# --- JSONL input ------------------------------------------------------------------------------

def test_jsonl_hostile_lines_each_yield_one_item(analyzer: Analyzer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_FILE_BYTES", 20_000)
    good = json.dumps({"document_id": "good", "text": NOTE}).encode()
    lines = [
        good,
        b"not json",
        b"[1, 2, 3]",
        json.dumps({"document_id": "no-text"}).encode(),
        json.dumps({"document_id": "int-text", "text": 42}).encode(),
        b"[" * 15_000,  # nesting deep enough for RecursionError
        json.dumps({"document_id": "long", "text": "x" * 30_000}).encode(),  # over the (patched) line limit
        json.dumps({"document_id": "caf\u00e9", "text": NOTE}, ensure_ascii=False).encode("cp1252"),
        b'{"document_id": "bad-bytes", "text": "\x81\x8d"}',
        json.dumps({"document_id": "rtf", "text": RTF.decode()}).encode(),
        b"",
        b"   ",
        json.dumps({"document_id": "blank", "text": "  "}).encode(),
        good,  # a duplicate id: still its own result
    ]
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(iter_inputs([str(path)]))
    reports = [analyzer.analyze_input(item) for item in items]
    got = [(r.document_id, codes(r)) for r in reports]
    assert got == [
        ("good", []),
        (f"{path}:2", [ErrorCode.NOT_TEXT.value]),
        (f"{path}:3", [ErrorCode.NOT_TEXT.value]),
        (f"{path}:4", [ErrorCode.NOT_TEXT.value]),
        (f"{path}:5", [ErrorCode.NOT_TEXT.value]),
        (f"{path}:6", [ErrorCode.NOT_TEXT.value]),
        (f"{path}:7", [ErrorCode.TOO_LARGE.value]),
        ("caf\u00e9", []),
        (f"{path}:9", [ErrorCode.DECODE_FAILED.value]),
        ("rtf", [ErrorCode.UNSUPPORTED_FORMAT.value]),
        ("blank", [ErrorCode.EMPTY_INPUT.value]),
        ("good", []),
    ]
    assert items[7].encoding == "cp1252"
    for report in reports:
        for error in report.errors:
            assert MARKER not in error.message


def test_jsonl_written_by_powershell_utf16(analyzer: Analyzer, tmp_path: Path) -> None:
    records = [{"document_id": f"n{i}", "text": ACCENTED} for i in range(3)]
    path = tmp_path / "export.jsonl"
    path.write_bytes(codecs.BOM_UTF16_LE + "\r\n".join(json.dumps(r) for r in records).encode("utf-16-le"))
    items = list(iter_inputs([str(path)]))
    assert [(i.document_id, i.text, i.encoding) for i in items] == [
        (f"n{i}", ACCENTED, "utf-16-le") for i in range(3)
    ]


def test_jsonl_surrogates_become_replacement_characters(analyzer: Analyzer, tmp_path: Path) -> None:
    text = NOTE.replace("FINDINGS:", "FINDINGS: \udc00 \ud800 \U0001f600")  # two lone, one astral
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"document_id": "s\udfff", "text": text}) + "\n", encoding="ascii")
    (item,) = list(iter_inputs([str(path)]))
    assert item.text is not None and len(item.text) == len(text)
    assert "\ufffd" in item.text and item.document_id == "s\ufffd"
    report = analyzer.analyze_input(item)
    assert report.errors == []
    assert_offsets(report, item.text)
    json.loads(report.model_dump_json())  # writable as UTF-8


def test_empty_jsonl_still_yields_one_item(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    (item,) = list(iter_inputs([str(path)]))
    assert item.error_code is ErrorCode.UNREADABLE
    assert item.error_message == "JSONL file contains no records"


def test_note_from_bytes_reports_the_kind_of_binary() -> None:
    item = note_from_bytes(BINARY_SAMPLES["pdf"], "scan", None)
    assert item.error_message and item.error_message.startswith("PDF document")


# --- the CLI over hostile input -----------------------------------------------------------------



def hostile_folder(tmp_path: Path) -> tuple[list[str], list[list[str]]]:
    """A folder of notes good and bad, the CLI paths, and the error codes expected per result."""
    folder = tmp_path / "in"
    folder.mkdir()
    files = {
        "01_good.txt": NOTE.encode(),
        "02_binary.txt": BINARY_SAMPLES["random"],
        "03_rtf.txt": RTF,
        "04_empty.txt": b"",
        "05_cp1252.txt": ACCENTED.encode("cp1252"),
        "06_utf16.txt": codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"),
        "07_pdf.txt": BINARY_SAMPLES["pdf"],
        "08_crlf.txt": NOTE.replace("\n", "\r\n").encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "09_broken.txt").symlink_to(tmp_path / "nowhere.txt")
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    paths = [str(folder), str(empty), str(tmp_path / "absent.txt")]
    expected = [[], ["E002_BINARY_INPUT"], ["E006_UNSUPPORTED_FORMAT"], ["E001_EMPTY_INPUT"], [], [],
                ["E002_BINARY_INPUT"], [], ["E005_UNREADABLE"], ["E005_UNREADABLE"], ["E005_UNREADABLE"]]
    return paths, expected


@pytest.mark.parametrize("workers", [1, 2])
def test_cli_every_input_one_result_in_order_summary_and_exit_3(runner: CliRunner, tmp_path: Path,
                                                               workers: int) -> None:
    paths, expected = hostile_folder(tmp_path)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", *paths, "-f", "jsonl", "-o", str(out), "--workers", str(workers)],
                           catch_exceptions=False)
    assert result.exit_code == 3, result.stderr
    objects = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [[e["code"] for e in o["errors"]] for o in objects] == expected
    ids = [o["document_id"] for o in objects]
    assert ids[:9] == sorted(ids[:9]) and ids[9:] == paths[1:]
    for obj in objects:
        for error in obj["errors"]:
            assert set(error) >= {"code", "message"} and error["code"] in CODES
            assert MARKER not in error["message"]
    failed = sum(1 for e in expected if e)
    assert result.stderr.splitlines()[-1] == f"docanalyzer: {len(expected) - failed} analyzed, {failed} failed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty_dir", "in", "out.jsonl"]


def test_cli_csv_has_one_row_per_input(runner: CliRunner, tmp_path: Path) -> None:
    import csv
    import io

    paths, expected = hostile_folder(tmp_path)
    result = runner.invoke(app, ["analyze", *paths, "-f", "csv"], catch_exceptions=False)
    assert result.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["errors"].split(";") if r["errors"] else [] for r in rows] == expected


def test_cli_exit_codes_0_and_1(runner: CliRunner) -> None:
    path = str(sample_note_paths()[0])
    ok = runner.invoke(app, ["analyze", path, "-f", "jsonl", "--fail-under", "50"], catch_exceptions=False)
    assert ok.exit_code == 0
    below = runner.invoke(app, ["analyze", path, str(sample_note_paths()[1]), "-f", "jsonl", "--fail-under", "100"],
                          catch_exceptions=False)
    assert below.exit_code == 1
    assert "below 100" in below.stderr.splitlines()[-1]


# --- checklist and pattern files: exit 2, naming the file and the field -------------------------

BUILTIN_CHECKLIST = read_original(REPO / "patterns" / "checklists" / "62304.yaml")


@pytest.mark.parametrize(
    ("name", "content", "field"),
    [
        ("syntax.yaml", "id: payer\nversion: '1'\nelements: [\n", None),
        ("empty.yaml", "   \n", None),
        ("malformed.json", '{"id": "payer", "elements": [}', None),
        ("list.yaml", "- just\n- a list\n", "<root>"),
        ("unknown_field.yaml", BUILTIN_CHECKLIST.replace("\nelements:", "\ncolour: blue\nelements:", 1), "colour"),
        ("bad_weight.yaml", BUILTIN_CHECKLIST.replace("weight: 15", "weight: -15", 1), "elements.0.weight"),
        ("binary.yaml", "\x00\x01\x02", None),
    ],
    ids=["yaml-syntax", "empty", "json-syntax", "not-a-mapping", "unknown-field", "bad-value", "binary"],
)
def test_bad_checklist_file_exits_2_naming_the_file(runner: CliRunner, tmp_path: Path, name: str, content: str,
                                                    field: str | None) -> None:
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(sample_note_paths()[0]), "--checklist", str(bad), "-f", "jsonl",
                                 "-o", str(out)])
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert str(bad) in result.stderr
    if field is not None:
        assert f"field '{field}'" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "nothing is written before the checklist is valid"


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{"literal": "x", "category": "X", "pattern": "(unclosed"}], "rules.0.pattern"),
        ([{"literal": "x", "category": "X", "pattern": []}], "rules.0.pattern"),
        ([{"literal": "x", "category": "X", "pattern": [{"LOWER": "x", "NOT_AN_ATTR": 1}]}], "rules.0.pattern"),
        ([{"literal": "x", "category": "X", "colour": "blue"}], "rules.0.colour"),
        ([{"literal": "x", "category": "lower_case"}], "rules.0.category"),
        ([], "rules"),
    ],
    ids=["bad-regex", "empty-token-pattern", "bad-token-pattern", "unknown-field", "bad-label", "no-rules"],
)
def test_bad_target_rule_files_name_the_file_and_field(tmp_path: Path, rules: list, field: str) -> None:
    from spacy.vocab import Vocab

    from docanalyzer.rule_files import _check_token_patterns, parse_data, validate
    from docanalyzer.schemas import TargetRuleFile

    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"version": "1", "description": "test", "rules": rules}), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        parsed = validate(TargetRuleFile, parse_data(path), str(path))
        _check_token_patterns(list(parsed.rules), str(path), Vocab())
    assert caught.value.path == str(path)
    assert caught.value.field == field
    assert str(path) in caught.value.message


@pytest.mark.parametrize("content", ["", "{not json", "\ufeff{}"], ids=["empty", "malformed", "bom"])
def test_unparsable_rule_files_name_the_file(tmp_path: Path, content: str) -> None:
    from docanalyzer.rule_files import parse_data, validate
    from docanalyzer.schemas import TargetRuleFile

    path = tmp_path / "targets.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        validate(TargetRuleFile, parse_data(path), str(path))
    assert caught.value.path == str(path)
