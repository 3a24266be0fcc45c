"""The ``docanalyzer`` command: in-process with Typer's CliRunner, and once as a real process.

In-process runs reuse the session analyzer for the built-in checklist (building the pipeline is
the slow part); anything else (a checklist file) goes through the real constructor.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, sample_note_paths
from typer.testing import CliRunner

from docanalyzer.cli import app

SAMPLES = sample_note_paths()
TOP_FIELDS = ("document_id", "procedure_status", "regions", "elements", "findings", "score",
              "verdict", "code_review", "errors")
SUMMARY_PREFIX = "docanalyzer: "




def invoke(runner: CliRunner, *args: str, stdin: bytes | str | None = None):
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


def jsonl_objects(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def assert_contract_fields(obj: dict) -> None:
    for field in TOP_FIELDS:
        assert field in obj, f"missing field {field}"
    assert isinstance(obj["document_id"], str)
    assert obj["procedure_status"] in {"performed", "attempted", "injection_only", "not_documented"}
    assert isinstance(obj["regions"], list)
    assert isinstance(obj["elements"], list)
    for element in obj["elements"]:
        assert {"id", "status", "evidence"} <= set(element)
        assert element["status"] in {"documented", "incomplete", "missing"}
        for ev in element["evidence"]:
            assert {"text", "start", "end", "section"} <= set(ev)
    for finding in obj["findings"]:
        assert {"concept", "assertion"} <= set(finding)
        assert finding["assertion"] in {"present", "negated", "possible"}
    assert 0 <= obj["score"] <= 100
    assert isinstance(obj["verdict"], str)
    assert isinstance(obj["code_review"]["suggested_codes"], list)
    assert isinstance(obj["code_review"]["modifiers"], list)
    assert isinstance(obj["errors"], list)


# --- output formats --------------------------------------------------------------------------

def test_text_output_mentions_each_sample_note(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", *map(str, SAMPLES))
    assert result.exit_code == 0, result.stderr
    for path in SAMPLES:
        assert str(path) in result.stdout
    assert "Procedure:" in result.stdout
    assert "\x1b[" not in result.stdout, "no colour codes when stdout is not a terminal"


def test_jsonl_one_object_per_input_in_order(runner: CliRunner) -> None:
    paths = list(reversed(SAMPLES))  # not alphabetical: order must follow the arguments
    result = invoke(runner, "analyze", *map(str, paths), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    objects = jsonl_objects(result.stdout)
    assert [o["document_id"] for o in objects] == [str(p) for p in paths]
    for obj in objects:
        assert_contract_fields(obj)
        assert obj["errors"] == []
        assert len(obj["elements"]) == 10


def test_jsonl_evidence_offsets_point_into_the_file(runner: CliRunner) -> None:
    path = SAMPLES[0]
    result = invoke(runner, "analyze", str(path), "--format", "jsonl")
    (obj,) = jsonl_objects(result.stdout)
    text = path.read_bytes().decode("utf-8")
    spans = [ev for element in obj["elements"] for ev in element["evidence"]]
    assert spans
    for ev in spans:
        assert text[ev["start"] : ev["end"]] == ev["text"]


def test_json_is_an_array(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", *map(str, SAMPLES[:3]), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert [o["document_id"] for o in data] == [str(p) for p in SAMPLES[:3]]
    for obj in data:
        assert_contract_fields(obj)


def test_json_with_no_readable_input_is_still_an_array(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "analyze", str(tmp_path / "absent.txt"), "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert len(data) == 1


def test_csv_header_and_rows(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", *map(str, SAMPLES), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(SAMPLES)
    assert [r["document_id"] for r in rows] == [str(p) for p in SAMPLES]
    for field in ("document_id", "procedure_status", "regions", "score", "verdict",
                  "suggested_codes", "errors"):
        assert field in rows[0]
    first = rows[0]
    assert first["procedure_status"] in {
        "performed", "attempted", "injection_only", "not_documented",
    }
    assert 0 <= float(first["score"]) <= 100


def test_stdin_dash(runner: CliRunner) -> None:
    data = SAMPLES[0].read_bytes()
    result = invoke(runner, "analyze", "-", "--format", "jsonl", stdin=data)
    assert result.exit_code == 0, result.stderr
    (obj,) = jsonl_objects(result.stdout)
    assert obj["document_id"] == "stdin"
    assert obj["errors"] == []
    assert obj["procedure_status"] == "performed"


def test_folder_argument_expands_to_txt_notes(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", str(SAMPLES[0].parent), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert [o["document_id"] for o in jsonl_objects(result.stdout)] == [str(p) for p in SAMPLES]


def test_jsonl_input_records(runner: CliRunner, tmp_path: Path) -> None:
    records = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"document_id": "a", "text": SAMPLES[0].read_text(encoding="utf-8"),
                    "billed_code": "62304"}),
        "this line is not json",
        json.dumps({"document_id": "c", "text": SAMPLES[1].read_text(encoding="utf-8")}),
    ]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, "analyze", str(records), "--format", "jsonl")
    assert result.exit_code == 3
    objects = jsonl_objects(result.stdout)
    assert len(objects) == 3
    assert objects[0]["document_id"] == "a"
    assert objects[0]["code_review"]["billed_code"] == "62304"
    assert objects[1]["errors"] and objects[1]["verdict"] == "error"
    assert objects[2]["document_id"] == "c"


# --- exit codes --------------------------------------------------------------------------------

def test_fail_under_100_passes_for_a_complete_note(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--format", "jsonl", "--fail-under", "100")
    (obj,) = jsonl_objects(result.stdout)
    assert obj["score"] == 100
    assert result.exit_code == 0


def test_fail_under_above_100_is_a_usage_error(runner: CliRunner) -> None:
    """Scores are 0-100, so a threshold above 100 is a mistake, reported as a usage error."""
    result = runner.invoke(app, ["analyze", str(SAMPLES[0]), "--format", "jsonl",
                                 "--fail-under", "101"])
    assert result.exit_code == 2, (result.exit_code, result.stderr)


def test_fail_under_exits_1_when_a_note_scores_below(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", *map(str, SAMPLES), "--format", "jsonl",
                    "--fail-under", "99.9")
    scores = [o["score"] for o in jsonl_objects(result.stdout)]
    assert min(scores) < 99.9, "some sample note is expected to be incomplete"
    assert result.exit_code == 1
    assert "below" in result.stderr


def test_nonexistent_path_exits_3_and_keeps_its_line(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "does_not_exist.txt"
    result = invoke(runner, "analyze", str(SAMPLES[0]), str(missing), str(SAMPLES[1]),
                    "--format", "jsonl")
    assert result.exit_code == 3
    objects = jsonl_objects(result.stdout)
    assert [o["document_id"] for o in objects] == [str(SAMPLES[0]), str(missing), str(SAMPLES[1])]
    bad = objects[1]
    assert_contract_fields(bad)
    assert bad["verdict"] == "error"
    assert [e["code"] for e in bad["errors"]] == ["E005_UNREADABLE"]
    assert objects[0]["errors"] == [] and objects[2]["errors"] == []
    assert "1 failed" in result.stderr


def test_bad_checklist_file_exits_2_naming_the_file(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "payer_checklist.yaml"
    bad.write_text("id: payer\nversion: '1'\nelements: [\n", encoding="utf-8")
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--checklist", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr
    assert result.stdout.strip() == "", "nothing is analyzed after a configuration error"


def test_missing_checklist_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    absent = tmp_path / "nope.yaml"
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--checklist", str(absent))
    assert result.exit_code == 2
    assert str(absent) in result.stderr


def test_unknown_builtin_checklist_exits_2(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--checklist", "99999")
    assert result.exit_code == 2
    assert "99999" in result.stderr


def test_bad_option_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["analyze", str(SAMPLES[0]), "--format", "xml"])
    assert result.exit_code == 2


# --- other commands ----------------------------------------------------------------------------

def test_schema_prints_json_schema_with_contract_fields(runner: CliRunner) -> None:
    result = invoke(runner, "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    properties = schema["properties"]
    for field in TOP_FIELDS:
        assert field in properties, field
    defs = schema.get("$defs", {})
    assert {"id", "status", "evidence"} <= set(defs["ElementResult"]["properties"])
    assert {"text", "start", "end", "section"} <= set(defs["Evidence"]["properties"])
    assert {"suggested_codes", "modifiers"} <= set(defs["CodeReview"]["properties"])


def test_checklists_lists_62304(runner: CliRunner) -> None:
    result = invoke(runner, "checklists")
    assert result.exit_code == 0
    assert any(line.split("\t")[0] == "62304" for line in result.stdout.splitlines())


def test_explain_lists_sections_and_matches(runner: CliRunner) -> None:
    result = invoke(runner, "explain", str(SAMPLES[0]))
    assert result.exit_code == 0
    assert "section" in result.stdout
    assert "CONTRAST_AGENT" in result.stdout


def test_evaluate_runs_on_the_eval_corpus(runner: CliRunner) -> None:
    result = invoke(runner, "evaluate", str(REPO / "eval" / "corpus"), "--format", "json")
    assert result.exit_code == 0
    figures = json.loads(result.stdout)
    assert figures["notes"] >= 10
    assert 0 <= figures["macro_f1"] <= 1


# --- output file -------------------------------------------------------------------------------

def test_output_file_is_written_without_leftover_temp_files(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "results.jsonl"
    result = invoke(runner, "analyze", *map(str, SAMPLES[:2]), "--format", "jsonl",
                    "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert [o["document_id"] for o in jsonl_objects(target.read_text(encoding="utf-8"))] == [
        str(p) for p in SAMPLES[:2]
    ]
    assert sorted(p.name for p in out_dir.iterdir()) == ["results.jsonl"]


def test_output_file_replaced_atomically(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old content\n", encoding="utf-8")
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--format", "csv", "-o", str(target))
    assert result.exit_code == 0
    content = target.read_text(encoding="utf-8")
    assert "old content" not in content
    assert content.startswith("document_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


# --- stderr: one summary line, no logging noise -----------------------------------------------

def test_stderr_is_only_the_summary_line(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", *map(str, SAMPLES), "--format", "jsonl")
    lines = result.stderr.splitlines()
    assert lines == [f"{SUMMARY_PREFIX}{len(SAMPLES)} analyzed, 0 failed"]


def test_quiet_has_no_stderr(runner: CliRunner) -> None:
    result = invoke(runner, "analyze", str(SAMPLES[0]), "--format", "jsonl", "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ""


def _executable() -> list[str]:
    found = shutil.which("docanalyzer", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "docanalyzer.cli"]


def test_installed_executable_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONWARNINGS", "LOGURU"))}
    proc = subprocess.run(
        [*_executable(), "analyze", str(SAMPLES[0]), "-", "--format", "jsonl"],
        input=SAMPLES[1].read_bytes(),
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, stderr
    objects = jsonl_objects(proc.stdout.decode("utf-8"))
    assert [o["document_id"] for o in objects] == [str(SAMPLES[0]), "stdin"]
    for obj in objects:
        assert_contract_fields(obj)
        assert obj["errors"] == []
    # exactly one summary line: no DEBUG lines, loguru output, warnings or tracebacks
    assert stderr.splitlines() == [f"{SUMMARY_PREFIX}2 analyzed, 0 failed"], stderr
    for noise in ("DEBUG", "| INFO", "Warning", "Traceback"):
        assert noise not in stderr
    assert list(tmp_path.iterdir()) == []
