"""PHI safety: no network, no note text in logs, errors or the CLI's stderr, and output/temp files
that only their owner can read and that do not outlive the run."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_original, sample_note_paths
from typer.testing import CliRunner

import docanalyzer.analyzer
from docanalyzer import Analyzer
from docanalyzer.cli import app
from docanalyzer.inputs import iter_inputs

SAMPLES = sample_note_paths()
# Identifiers that only the note text contains; none may show up anywhere but the report itself.
PATIENT = "Zebediah Quortleman"
MRN = "MRN 4417-99821"
SECRETS = (PATIENT, MRN, "Quortleman", "4417-99821")


def with_phi(text: str) -> str:
    return f"Patient: {PATIENT}  {MRN}\n" + text + f"\nSigned for {PATIENT}.\n"


def assert_no_phi(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


class NetworkUsed(AssertionError):
    pass


def _no_network(*args, **kwargs):
    raise NetworkUsed("network access attempted")


class _RefusedSocket(socket.socket):
    __init__ = _no_network


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _RefusedSocket)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "create_server"):
        monkeypatch.setattr(socket, name, _no_network)


# --- no network ---------------------------------------------------------------------------------

def test_builds_and_analyzes_with_sockets_disabled(no_network: None, tmp_path: Path) -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("example.org", 443))
    with pytest.raises(NetworkUsed):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for checklist in ("auto", "62304"):
        analyzer = Analyzer(checklist)
        reports = list(analyzer.analyze_many(iter_inputs([str(p) for p in SAMPLES])))
        assert len(reports) == len(SAMPLES)
        assert all(r.errors == [] for r in reports)
        assert any(r.procedure_status == "performed" for r in reports)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["analyze", *map(str, SAMPLES[:2]), "-f", "jsonl", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_import_and_run_in_a_process_without_network(tmp_path: Path) -> None:
    """Sockets are disabled before docanalyzer (and spaCy, medspaCy) are even imported."""
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network access attempted')\n"
        "class Refused(socket.socket):\n"  # a class: ssl subclasses socket.socket at import
        "    __init__ = refuse\n"
        "socket.socket = Refused\n"
        "for name in ('create_connection', 'getaddrinfo', 'gethostbyname', 'create_server'):\n"
        "    setattr(socket, name, refuse)\n"
        "from docanalyzer import Analyzer\n"
        "report = Analyzer().analyze(open(sys.argv[1], encoding='utf-8').read())\n"
        "print(report.procedure_status, report.verdict, len(report.errors))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_PROXY", "_proxy"))}
    proc = subprocess.run([sys.executable, "-c", code, str(SAMPLES[0])], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["performed", "complete", "0"]


# --- no note text in logs, error messages, stderr ---------------------------------------------------

def test_no_note_text_in_logs_or_errors_even_when_analysis_fails(analyzer: Analyzer, caplog: pytest.LogCaptureFixture,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    text = with_phi(read_original(SAMPLES[0]))
    good = analyzer.analyze(text, document_id="n1")
    assert good.errors == [] and PATIENT in text

    def explode(doc):  # an internal error whose message carries note text
        raise ValueError(f"could not handle {doc.text[:200]!r}")

    monkeypatch.setattr(analyzer.component, "annotate", explode)
    failed = analyzer.analyze(text, document_id="n2")
    assert [e.code for e in failed.errors] == ["E099_INTERNAL"]
    assert failed.errors[0].message == "internal error while analyzing (ValueError)"
    assert_no_phi(caplog.text, *(r.getMessage() for r in caplog.records), failed.model_dump_json())
    assert any("n2" in r.getMessage() for r in caplog.records), "the log names the document, not its text"


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_bytes(b"\x00\x01" * 3000 + with_phi("x").encode()),
        lambda p: p.write_bytes(b"{\\rtf1 " + with_phi("x").encode() + b"}"),
        lambda p: p.write_bytes(b"%PDF-1.4 " + with_phi("x").encode()),
        lambda p: p.write_bytes(("   " * 10).encode()),
        lambda p: p.with_suffix(".jsonl").write_text(
            "not json " + with_phi("x").replace("\n", " ") + "\n" + json.dumps({"document_id": "j", "text": 7}) + "\n"),
    ],
    ids=["binary", "rtf", "pdf", "blank", "jsonl"],
)
def test_input_errors_carry_no_note_text(tmp_path: Path, make, caplog: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch, analyzer: Analyzer) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "note.txt"
    make(path)
    target = path if path.exists() else path.with_suffix(".jsonl")
    reports = [analyzer.analyze_input(item) for item in iter_inputs([str(target)])]
    assert reports and all(r.errors for r in reports)
    assert_no_phi(caplog.text, *(r.model_dump_json() for r in reports))


def test_cli_stderr_and_error_results_hold_no_note_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        analyzer: Analyzer) -> None:
    monkeypatch.setattr(docanalyzer.analyzer, "Analyzer", lambda *a, **k: analyzer)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text(with_phi(read_original(SAMPLES[0])), encoding="utf-8")
    (notes / "b.txt").write_bytes(b"{\\rtf1 " + with_phi("x").encode() + b"}")
    (notes / "c.txt").write_bytes(b"\x00\xff" * 2000 + with_phi("x").encode())

    def explode(doc):
        raise RuntimeError(doc.text)

    monkeypatch.setattr(analyzer.component, "annotate", explode)
    result = CliRunner().invoke(app, ["analyze", str(notes), "-f", "csv"])
    assert result.exit_code == 3
    assert_no_phi(result.stderr, result.stdout)


# --- output and temp files: owner-only, nothing left behind -----------------------------------------

@pytest.fixture
def open_umask():
    """Permissions must come from the code, not from a careful umask."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json", "text", "html"])
def test_partial_and_output_files_are_owner_only_and_nothing_is_left(tmp_path: Path, fmt: str, open_umask: None,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     analyzer: Analyzer) -> None:
    monkeypatch.setattr(docanalyzer.analyzer, "Analyzer", lambda *a, **k: analyzer)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"report.{fmt}"
    seen: dict[str, int] = {}
    real = type(analyzer).analyze_input

    def watching(self, item, **kwargs):  # look at the output folder while the batch runs
        for entry in out_dir.iterdir():
            seen[entry.name] = mode(entry)
        return real(self, item, **kwargs)

    monkeypatch.setattr(type(analyzer), "analyze_input", watching)
    result = CliRunner().invoke(app, ["analyze", *map(str, SAMPLES[:3]), "-f", fmt, "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert seen == {f"report.{fmt}.partial": 0o600, f"report.{fmt}.partial.manifest": 0o600}
    assert [p.name for p in out_dir.iterdir()] == [out.name]
    assert mode(out) == 0o600


def test_an_old_world_readable_partial_is_made_owner_only(tmp_path: Path, open_umask: None,
                                                          monkeypatch: pytest.MonkeyPatch, analyzer: Analyzer) -> None:
    monkeypatch.setattr(docanalyzer.analyzer, "Analyzer", lambda *a, **k: analyzer)
    out = tmp_path / "report.jsonl"
    partial = tmp_path / "report.jsonl.partial"
    partial.write_text("", encoding="utf-8")
    partial.chmod(0o644)
    result = CliRunner().invoke(app, ["analyze", str(SAMPLES[0]), "-f", "jsonl", "-o", str(out), "--resume"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert mode(out) == 0o600 and not partial.exists()


def test_evaluate_output_is_owner_only_and_leaves_no_temp_file(tmp_path: Path, open_umask: None) -> None:
    from docanalyzer.output.atomic import atomic_writer

    target = tmp_path / "figures.json"
    with atomic_writer(target) as handle:
        (temp,) = [p for p in tmp_path.iterdir()]
        assert mode(temp) == 0o600
        handle.write("{}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]
    assert mode(target) == 0o600
    with pytest.raises(RuntimeError), atomic_writer(tmp_path / "never.json") as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]
