"""The CSV worklist (``--format csv``) for QA queues: one row per note, opens cleanly in a spreadsheet
(quoting, optional UTF-8 BOM for Excel), and never lets a cell run as a formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import read_original, sample_note_paths
from typer.testing import CliRunner

from docanalyzer.cli import app
from docanalyzer.output.tabular import BOM, CSV_FIELDS, csv_header, safe_cell, to_csv_row
from docanalyzer.report import CodeFinding, Evidence, Report

SAMPLES = sample_note_paths()




def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def with_findings(report: Report, *findings: CodeFinding, billed: str = "62304") -> Report:
    review = report.code_review.model_copy(update={"billed_code": billed, "findings": list(findings)})
    return report.model_copy(update={"code_review": review})


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\",\"y\")"])
def test_formula_cells_are_neutralized(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "62304", "92.5", "a=b", "needs_query", "L2-L3", "'quoted"])
def test_ordinary_cells_are_untouched(value: str) -> None:
    assert safe_cell(value) == value


def test_header_with_and_without_bom() -> None:
    assert csv_header().startswith("document_id,")
    assert csv_header(bom=True) == BOM + csv_header()
    assert next(csv.reader(io.StringIO(csv_header()))) == CSV_FIELDS


def test_cli_bom_for_excel(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "worklist.csv"
    result = runner.invoke(app, ["analyze", *map(str, SAMPLES), "--format", "csv", "--bom", "-o", str(target)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfdocument_id,")
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["document_id"] for r in parsed] == [str(p) for p in SAMPLES]
    plain = runner.invoke(app, ["analyze", str(SAMPLES[0]), "--format", "csv"], catch_exceptions=False)
    assert plain.stdout.startswith("document_id,")


def test_one_row_per_note_with_worklist_columns(runner: CliRunner) -> None:
    result = runner.invoke(app, ["analyze", *map(str, SAMPLES), "--format", "csv", "--billed-code", "62304"],
                           catch_exceptions=False)
    parsed = rows(result.stdout)
    assert len(parsed) == len(SAMPLES)
    assert set(CSV_FIELDS) == set(parsed[0])
    by_id = {r["document_id"]: r for r in parsed}
    blanks = by_id[str(next(p for p in SAMPLES if "04_template_blanks" in p.name))]
    assert blanks["verdict"] == "needs_query"
    assert "contrast_agent" in blanks["missing_elements"].split(";")
    assert blanks["suggested_codes"] == "62304" and blanks["billed_code"] == "62304"
    assert set(blanks["query_elements"].split(";")) == {"contrast_agent", "conservative_treatment_failed"}


def test_billed_code_findings_are_listed(analyzer) -> None:
    report = analyzer.analyze(read_original(SAMPLES[0]), document_id="a")
    ev = report.element("injection_site").evidence[0]
    report = with_findings(
        report,
        CodeFinding(rule_id="R1_FAMILY", severity="warning", message="Billed 62305 but one region documented; x",
                    evidence=[Evidence(**ev.model_dump())]),
        CodeFinding(rule_id="R2", severity="error", message="-53 modifier missing"),
        billed="62305",
    )
    (row,) = rows(csv_header() + to_csv_row(report))
    assert row["billed_code"] == "62305"
    assert row["code_findings"] == "warning:R1_FAMILY;error:R2"
    assert row["code_finding_messages"] == "Billed 62305 but one region documented; x | -53 modifier missing"


def test_hostile_document_ids_stay_text(runner: CliRunner, tmp_path: Path) -> None:
    text = read_original(SAMPLES[0])
    ids = ['=HYPERLINK("http://evil.test","click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1",
           'comma, "quote"\nnewline']
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps({"document_id": i, "text": text}) + "\n" for i in ids), encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(batch), "--format", "csv"], catch_exceptions=False)
    parsed = rows(result.stdout)
    assert len(parsed) == len(ids)
    for original, row in zip(ids, parsed, strict=True):
        cell = row["document_id"]
        assert cell == (("'" + original) if original[0] in "=+-@" else original)
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
