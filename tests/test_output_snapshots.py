"""Refactoring guard (issue 14): the text, CSV, JSONL and HTML outputs of the sample notes are
byte-identical to the snapshots in tests/snapshots/ (the HTML apart from its generation time).

A change that is meant to change an answer regenerates them, and the diff is reviewed with it:
    DOCANALYZER_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_output_snapshots.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docanalyzer.cli import app

REPO = Path(__file__).resolve().parents[1]
SNAPSHOTS = REPO / "tests" / "snapshots"
SAMPLES = sorted(str(p.relative_to(REPO)) for p in (REPO / "sample_notes").glob("*.txt"))
FORMATS = {"text": "txt", "csv": "csv", "jsonl": "jsonl", "html": "html"}
_GENERATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


@pytest.mark.parametrize("fmt", FORMATS)
def test_outputs_match_their_snapshot(runner: CliRunner, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # ids and sources are the paths as given: relative, the same on every machine
    monkeypatch.setenv("NO_COLOR", "1")
    result = runner.invoke(app, ["analyze", *SAMPLES, "-f", fmt, "--billed-code", "62304", "-q"],
                           catch_exceptions=False)
    assert result.exit_code in (0, 3), result.stderr
    output = _GENERATED.sub("GENERATED", result.stdout) if fmt == "html" else result.stdout
    snapshot = SNAPSHOTS / f"sample_notes.{FORMATS[fmt]}"
    if os.environ.get("DOCANALYZER_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(output, encoding="utf-8", newline="")
    assert snapshot.is_file(), f"no snapshot {snapshot.name}: run with DOCANALYZER_UPDATE_SNAPSHOTS=1"
    with snapshot.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert output == expected, f"{fmt} output differs from tests/snapshots/{snapshot.name}"
