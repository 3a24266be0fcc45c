"""Batch integrity: ``-o FILE`` writes FILE.partial and renames it at the end; ``--resume`` continues
a killed run without duplicates or gaps, in input order (docanalyzer/batch.py).

The fault-injection tests run the real command as a subprocess, kill it with SIGKILL while it
writes, resume it, and compare with an uninterrupted run byte for byte.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import read_original, sample_note_paths
from typer.testing import CliRunner

import docanalyzer.analyzer
from docanalyzer.cli import app
from docanalyzer.inputs import NoteInput
from docanalyzer.partial_output import (
    BatchError,
    BatchOutput,
    DoneResult,
    parse_partial,
    partial_path,
    skip_done,
    tally,
)

SAMPLES = sample_note_paths()
FORMATS = ("jsonl", "csv", "json")



def make_notes(folder: Path, count: int) -> list[Path]:
    """``count`` distinct notes (sample notes with a numbered line), plus ids that stress CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"note_{i:03d}.txt"
        path.write_text(read_original(SAMPLES[i % len(SAMPLES)]) + f"\nAddendum {i}.\n", encoding="utf-8")
        paths.append(path)
    return paths


def lines_of(data: bytes) -> list[bytes]:
    """Lines as the writer reads them back: split after b"\n" only (a CSV cell may hold a lone CR)."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def plant_partial(out: Path, data: bytes, fmt: str, inputs: list[str]) -> None:
    """A partial file as a killed run with default options over ``inputs`` leaves it (with its manifest)."""
    from docanalyzer.partial_output import manifest_path, run_settings, write_manifest

    partial_path(out).write_bytes(data)
    settings = run_settings(checklist="auto", billed_code=None, claim_type="professional", screen=True, inputs=inputs)
    write_manifest(manifest_path(out), {"format": fmt, **settings})


def run(runner: CliRunner, *args: str):
    return runner.invoke(app, ["analyze", *args], catch_exceptions=False)


# --- parsing partial files --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def complete_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, list[str]]]:
    """A complete output per format over inputs whose ids need CSV quoting and formula protection."""
    folder = tmp_path_factory.mktemp("outputs")
    records = folder / "batch.jsonl"
    ids = ["plain", "with,comma", 'with "quotes"', "multi\nline\r\nid", "=HYPERLINK(1)", "-3", "caf\u00e9"]
    texts = [read_original(p) for p in SAMPLES[:3]]
    records.write_text("".join(json.dumps({"document_id": d, "text": texts[i % 3]}) + "\n"
                               for i, d in enumerate(ids)) + '{"document_id": "broken"}\n', encoding="utf-8")
    outputs = {}
    runner = CliRunner()
    for fmt in FORMATS:
        out = folder / f"out.{fmt}"
        result = runner.invoke(app, ["analyze", str(records), "-f", fmt, "-o", str(out), "-q"],
                               catch_exceptions=False)
        assert result.exit_code == 3  # the last record has no text
        outputs[fmt] = (out.read_bytes(), [*ids, f"{records}:8"])
    return outputs


@pytest.mark.parametrize("fmt", FORMATS)
def test_parse_complete_output(complete_outputs, fmt: str) -> None:
    data, ids = complete_outputs[fmt]
    found = parse_partial(lines_of(data), fmt)
    from docanalyzer.partial_output import stored_id

    assert [r.document_id for r in found.results] == [stored_id(i, fmt) for i in ids]
    assert [r.failed for r in found.results] == [False] * 7 + [True]
    assert found.keep_bytes <= len(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_cut_point_keeps_a_prefix_of_complete_results(complete_outputs, fmt: str) -> None:
    """Wherever a kill cuts the file, the complete results before the cut are kept, the torn one is
    dropped, and keep_bytes is a clean boundary (re-parsing that prefix gives the same results)."""
    data, _ = complete_outputs[fmt]
    full = parse_partial(lines_of(data), fmt).results
    previous = 0
    rng = random.Random(3)
    newlines, ends, offset = [], [], 0
    for line in lines_of(data):
        offset += len(line)
        newlines.append(offset - 1)
        if fmt != "json" or line.rstrip(b"\n") in (b"[", b"]", b"}", b"},"):  # where one result ends
            ends.append(offset - 1)
    sample = 100 if fmt != "json" else 25  # json results are many lines each; parsing them is the slow part
    around = ends + rng.sample(newlines, min(len(newlines), sample))
    cuts = {0, len(data), *rng.sample(range(len(data)), sample)}
    cuts |= {max(0, min(len(data), i + d)) for i in around for d in (-2, -1, 0, 1, 2)}
    for cut in sorted(cuts):
        found = parse_partial(lines_of(data[:cut]), fmt)
        assert found.results == full[: len(found.results)], cut
        assert found.keep_bytes <= cut
        assert len(found.results) >= previous, "results never disappear as the file grows"
        previous = len(found.results)
        again = parse_partial(lines_of(data[: found.keep_bytes]), fmt)
        assert again.results == found.results
    assert previous == len(full)


@pytest.mark.parametrize(
    ("fmt", "data", "where"),
    [
        ("jsonl", b'{"document_id": "a", "errors": [], "score": 1}\nGARBAGE\n{"document_id": "b"}\n', "line 1"),
        ("jsonl", b"document_id,procedure_status\nx,y\n", "line 1"),
        ("jsonl", b'{"no_id": 1, "errors": [], "score": 1}\n', "line 1"),
        ("csv", b'{"document_id": "a", "errors": [], "score": 1}\n', "the header"),
        ("csv", b"document_id,score\r\nx,1\r\n", "the header"),
        ("json", b'{"document_id": "a"}\n', "line 1"),
    ],
    ids=["jsonl-stub-result", "jsonl-given-csv", "jsonl-not-a-result", "csv-given-jsonl", "csv-other-header",
         "json-given-jsonl"],
)
def test_damaged_or_foreign_partial_files_are_refused(fmt: str, data: bytes, where: str) -> None:
    with pytest.raises(BatchError) as caught:
        parse_partial(lines_of(data), fmt, source="out.partial")
    assert where in caught.value.message and "out.partial" in caught.value.message


def test_skip_done_matches_position_and_id() -> None:
    items = [NoteInput(d, "text") for d in ["a", "b", "a", "c"]]
    done = [DoneResult("a", False, 100.0), DoneResult("b", True, 0.0), DoneResult("a", False, 50.0)]
    assert [i.document_id for i in skip_done(items, done, "jsonl")] == ["c"]
    with pytest.raises(BatchError, match=r"result 2 .* is for 'b' but input 2 is 'c'"):
        skip_done([NoteInput("a", "t"), NoteInput("c", "t")], done, "jsonl")
    with pytest.raises(BatchError, match="more results than there are inputs"):
        skip_done(items[:2], done, "jsonl")
    assert tally(done, 75) == {"analyzed": 2, "failed": 1, "below": 1}


# --- the CLI: partial file, rename, resume -------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_after_a_torn_write_equals_an_uninterrupted_run(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 6)]
    ref = tmp_path / f"ref.{fmt}"
    assert run(runner, *notes, "-f", fmt, "-o", str(ref)).exit_code == 0
    data = ref.read_bytes()
    out = tmp_path / f"out.{fmt}"
    cut = len(data) * 3 // 5  # somewhere inside a result
    plant_partial(out, data[:cut], fmt, notes)
    kept = len(parse_partial(lines_of(data[:cut]), fmt).results)
    assert 0 < kept < 6
    result = run(runner, *notes, "-f", fmt, "-o", str(out), "--resume")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == data
    assert not partial_path(out).exists()
    assert result.stderr.splitlines()[-1] == f"docanalyzer: 6 analyzed, 0 failed ({kept} kept from {out}.partial)"


def test_resume_counts_kept_failures_and_scores_in_summary_and_exit_code(runner: CliRunner, tmp_path: Path) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 3)]
    inputs = [str(tmp_path / "absent.txt"), *notes]
    ref = tmp_path / "ref.csv"
    run(runner, *inputs, "-f", "csv", "-o", str(ref), "--bom")
    data = ref.read_bytes()
    assert data.startswith("\ufeff".encode())
    out = tmp_path / "out.csv"
    plant_partial(out, b"".join(lines_of(data)[:3]), "csv", inputs)  # BOM header + 2 results (1 failed)
    result = run(runner, *inputs, "-f", "csv", "-o", str(out), "--resume", "--bom", "--fail-under", "100")
    assert result.exit_code == 3  # the kept failure still counts
    assert out.read_bytes() == data
    assert result.stderr.splitlines()[-1].startswith("docanalyzer: 3 analyzed, 1 failed")


def test_an_interrupted_run_keeps_the_old_output_and_a_resumable_partial(runner: CliRunner, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 6)]
    ref = tmp_path / "ref.jsonl"
    run(runner, *notes, "-f", "jsonl", "-o", str(ref))
    out = tmp_path / "out.jsonl"
    out.write_text("previous complete output\n", encoding="utf-8")
    analyzer = docanalyzer.analyzer.Analyzer("auto", screen=True)
    real = type(analyzer).analyze_input
    calls = []

    def interrupted(self, item, **kwargs):
        calls.append(item.document_id)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(self, item, **kwargs)

    monkeypatch.setattr(type(analyzer), "analyze_input", interrupted)
    result = runner.invoke(app, ["analyze", *notes, "-f", "jsonl", "-o", str(out)])
    assert isinstance(result.exception, KeyboardInterrupt) or result.exit_code != 0
    assert out.read_text(encoding="utf-8") == "previous complete output\n", "the old output is untouched"
    partial = partial_path(out)
    assert partial.read_bytes() == b"".join(lines_of(ref.read_bytes())[:3])
    assert partial.stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(type(analyzer), "analyze_input", real)
    result = run(runner, *notes, "-f", "jsonl", "-o", str(out), "--resume")
    assert result.exit_code == 0
    assert out.read_bytes() == ref.read_bytes()


def test_duplicate_inputs_resume_by_position(runner: CliRunner, tmp_path: Path) -> None:
    (note,) = make_notes(tmp_path / "notes", 1)
    inputs = [str(note)] * 4
    ref = tmp_path / "ref.jsonl"
    run(runner, *inputs, "-f", "jsonl", "-o", str(ref))
    out = tmp_path / "out.jsonl"
    plant_partial(out, b"".join(lines_of(ref.read_bytes())[:2]), "jsonl", inputs)
    result = run(runner, *inputs, "-f", "jsonl", "-o", str(out), "--resume")
    assert result.exit_code == 0
    assert out.read_bytes() == ref.read_bytes()
    assert [json.loads(line)["document_id"] for line in out.read_text().splitlines()] == inputs


def test_resume_without_a_partial_file_runs_everything(runner: CliRunner, tmp_path: Path) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 2)]
    out = tmp_path / "out.json"
    result = run(runner, *notes, "-f", "json", "-o", str(out), "--resume")
    assert result.exit_code == 0
    assert [o["document_id"] for o in json.loads(out.read_text())] == notes


def test_a_complete_json_partial_left_just_before_the_rename(runner: CliRunner, tmp_path: Path) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 2)]
    out = tmp_path / "out.json"
    run(runner, *notes, "-f", "json", "-o", str(out))
    data = out.read_bytes()
    out.unlink()
    plant_partial(out, data, "json", notes)
    result = run(runner, *notes, "-f", "json", "-o", str(out), "--resume")
    assert result.exit_code == 0
    assert out.read_bytes() == data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "jsonl", "--resume"], "--resume needs --output FILE"),
        (["-f", "text", "-o", "OUT", "--resume"], "--resume works with --format jsonl, csv, json"),
        (["-f", "html", "-o", "OUT", "--resume"], "--resume works with --format jsonl, csv, json"),
    ],
    ids=["no-output", "text", "html"],
)
def test_resume_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / "OUT") if a == "OUT" else a for a in args]
    result = runner.invoke(app, ["analyze", str(SAMPLES[0]), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_partial_from_other_inputs_is_refused_and_left_alone(runner: CliRunner, tmp_path: Path) -> None:
    notes = [str(p) for p in make_notes(tmp_path / "notes", 3)]
    out = tmp_path / "out.jsonl"
    run(runner, *notes[:2], "-f", "jsonl", "-o", str(out))
    out.rename(partial_path(out))
    before = partial_path(out).read_bytes()
    for inputs in ([notes[1], notes[0], notes[2]], notes[:1]):
        result = runner.invoke(app, ["analyze", *inputs, "-f", "jsonl", "-o", str(out), "--resume"])
        assert result.exit_code == 2
        assert "cannot resume" in result.stderr and str(partial_path(out)) in result.stderr
        assert partial_path(out).read_bytes() == before
        assert not out.exists()


def test_a_second_run_on_the_same_output_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "out.jsonl"
    with open(partial_path(out), "w") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = runner.invoke(app, ["analyze", str(SAMPLES[0]), "-f", "jsonl", "-o", str(out)])
    assert result.exit_code == 2
    assert "being written by another docanalyzer run" in result.stderr


def test_output_into_a_missing_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(SAMPLES[0]), "-f", "jsonl", "-o", str(tmp_path / "no" / "out.jsonl")])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_batch_output_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BatchError, match="is a folder"):
        BatchOutput(tmp_path, "jsonl")


# --- fault injection: SIGKILL a real run, resume it -------------------------------------------------

SLOW_CLI = """
import sys, time
import docanalyzer.analyzer as analyzer
real = analyzer.Analyzer.analyze
def slow(self, *args, **kwargs):
    time.sleep(0.05)
    return real(self, *args, **kwargs)
analyzer.Analyzer.analyze = slow
from docanalyzer.cli import main
sys.argv = ["docanalyzer", *sys.argv[1:]]
main()
"""


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and process groups")
@pytest.mark.parametrize(("fmt", "workers"), [("jsonl", 1), ("csv", 2)], ids=["jsonl", "csv-2-workers"])
def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(runner: CliRunner, tmp_path: Path,
                                                                  fmt: str, workers: int) -> None:
    # 80 notes at 50 ms each: the kill lands mid-run even on a loaded 2-core machine, where the
    # test process may not be scheduled for a while (workers hand results back 16 at a time).
    total = 80
    notes = [str(p) for p in make_notes(tmp_path / "notes", total)]
    script = tmp_path / "slow_cli.py"
    script.write_text(SLOW_CLI, encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    partial = partial_path(out)
    command = [sys.executable, str(script), "analyze", *notes, "-f", fmt, "-o", str(out), "--workers", str(workers)]

    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while complete_lines(partial) < 9 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # worker processes of this run, if any are left
    assert proc.returncode == -signal.SIGKILL, "the run was killed, not finished"
    assert not out.exists(), "a killed run never leaves a FILE that looks complete"
    written = partial.read_bytes()
    assert 0 < written.count(b"\n") < total + 1
    assert partial.stat().st_mode & 0o777 == 0o600

    resumed = subprocess.run([*command, "--resume"], cwd=tmp_path, capture_output=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode(errors="replace")
    assert b"kept from" in resumed.stderr
    assert not partial.exists()

    reference = tmp_path / f"reference.{fmt}"
    assert run(runner, *notes, "-f", fmt, "-o", str(reference)).exit_code == 0
    assert out.read_bytes() == reference.read_bytes()
    found = parse_partial(lines_of(out.read_bytes()), fmt).results
    from docanalyzer.partial_output import stored_id

    assert [r.document_id for r in found] == [stored_id(n, fmt) for n in notes]  # complete, in order, no duplicate


# --- what a partial file may hold (issue 13, rows 3 and 4) ------------------------------------------

def _partial_of(tmp_path: Path, folder: Path, fmt: str, keep: int, **options) -> Path:
    """A partial file as a killed run leaves it: ``keep`` results and the manifest of its settings."""
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.inputs import iter_inputs
    from docanalyzer.output.tabular import csv_header, to_csv_row, to_jsonl
    from docanalyzer.partial_output import run_settings

    settings = run_settings(checklist="auto", billed_code=options.get("billed_code"), claim_type="professional",
                            screen=True, inputs=[str(folder)])
    out = tmp_path / f"out.{fmt}"
    reports = list(Analyzer().analyze_many(iter_inputs([str(folder)]), billed_code=options.get("billed_code")))
    with contextlib.suppress(RuntimeError), BatchOutput(out, fmt, settings=settings) as handle:
        if fmt == "csv":
            handle.write(csv_header())
        for report in reports[:keep]:
            handle.write(to_csv_row(report) if fmt == "csv" else to_jsonl(report))
        raise RuntimeError("killed")
    assert partial_path(out).exists() and not out.exists()
    return out


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--billed-code", "62304-53", "--billed-code (was None, now '62304-53')"),
    ("--checklist", "62305", "--checklist (was 'auto', now '62305')"),
    ("--claim-type", "facility", "--claim-type (was 'professional', now 'facility')"),
    ("--no-screen", None, "--screen/--no-screen (was True, now False)"),
])
def test_resume_with_other_options_is_refused(runner: CliRunner, tmp_path: Path, option: str, value: str | None,
                                              said: str) -> None:
    folder = tmp_path / "notes"
    make_notes(folder, 4)
    out = _partial_of(tmp_path, folder, "jsonl", 2)
    before = partial_path(out).read_bytes()
    result = runner.invoke(app, ["analyze", str(folder), "-f", "jsonl", "-o", str(out), "--resume", option,
                                 *([value] if value else [])])
    assert result.exit_code == 2
    assert said in result.stderr and "mix" in result.stderr
    assert partial_path(out).read_bytes() == before and not out.exists()


def test_resume_with_the_same_options_continues(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    make_notes(folder, 4)
    out = _partial_of(tmp_path, folder, "jsonl", 2)
    result = runner.invoke(app, ["analyze", str(folder), "-f", "jsonl", "-o", str(out), "--resume"])
    assert result.exit_code == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    assert not Path(str(partial_path(out)) + ".manifest").exists()


def test_resume_of_other_inputs_or_without_a_manifest_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    make_notes(folder, 4)
    out = _partial_of(tmp_path, folder, "jsonl", 2)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in folder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    result = runner.invoke(app, ["analyze", str(copy), "-f", "jsonl", "-o", str(out), "--resume"])
    assert result.exit_code == 2 and "the inputs" in result.stderr
    Path(str(partial_path(out)) + ".manifest").unlink()
    result = runner.invoke(app, ["analyze", str(folder), "-f", "jsonl", "-o", str(out), "--resume"])
    assert result.exit_code == 2 and "manifest is missing" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_stub_or_edited_result_in_the_partial_file_is_refused(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "notes"
    make_notes(folder, 5)
    out = _partial_of(tmp_path, folder, fmt, 3)
    lines = partial_path(out).read_bytes().split(b"\n")
    if fmt == "jsonl":
        document_id = json.loads(lines[1])["document_id"]
        lines[1] = json.dumps({"document_id": document_id, "errors": [], "score": 0}).encode()
    else:
        lines[2] = lines[2].replace(b",needs_query,", b",approved,").replace(b",complete,", b",approved,").replace(
            b",deficient,", b",approved,")
    partial_path(out).write_bytes(b"\n".join(lines))
    result = runner.invoke(app, ["analyze", str(folder), "-f", fmt, "-o", str(out), "--resume"])
    assert result.exit_code == 2, result.stderr
    assert "not a valid docanalyzer result" in result.stderr
    assert not out.exists()
