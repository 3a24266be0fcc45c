"""The terminal format (``--format text``), the physician query texts it shows, and the progress bar."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import read_original, sample_note_paths
from typer.testing import CliRunner

import docanalyzer.analyzer
from docanalyzer.checklist import load_checklist
from docanalyzer.cli import app
from docanalyzer.inputs import count_inputs
from docanalyzer.output.terminal import progress_bar, progress_enabled
from docanalyzer.output.text import TextSummary, format_text
from docanalyzer.report import CodeFinding, Report

SAMPLES = sample_note_paths()
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sample(analyzer, stem: str, **kwargs) -> Report:
    path = next(p for p in SAMPLES if stem in p.name)
    return analyzer.analyze(read_original(path), document_id=path.name, **kwargs)


# --- text format ----------------------------------------------------------------------------------

def test_plain_when_not_a_terminal(analyzer) -> None:
    out = format_text(sample(analyzer, "04_template_blanks"))
    assert "\x1b[" not in out
    assert "Verdict: needs_query" in out


def test_colour_carries_no_extra_words(analyzer) -> None:
    report = sample(analyzer, "04_template_blanks")
    coloured = format_text(report, colour=True)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == format_text(report)


def test_queries_and_discounted_mentions_are_shown(analyzer) -> None:
    report = sample(analyzer, "04_template_blanks")
    out = format_text(report)
    assert f"Physician query drafts ({len(report.queries)}):" in out
    for query in report.queries:
        assert f"    {query.element_id} ({query.status}):" in out
    assert "      - Clinically undetermined" in out
    assert 'discounted: "Contrast agent" (an unfilled template field)' in out
    negations = format_text(sample(analyzer, "03_negation_traps"))
    assert '"pacemaker" (negated)' in negations


def test_billed_code_findings_are_shown(analyzer) -> None:
    report = sample(analyzer, "01_complete")
    review = report.code_review.model_copy(update={"billed_code": "62305", "findings": [
        CodeFinding(rule_id="R1_FAMILY", severity="warning", message="Billed 62305 but one region is documented.")]})
    out = format_text(report.model_copy(update={"code_review": review}))
    assert "Billed code: 62305" in out
    assert "WARNING R1_FAMILY: Billed 62305 but one region is documented." in out


def test_error_report_is_one_red_line(analyzer) -> None:
    out = format_text(analyzer.analyze("", document_id="empty.txt"))
    assert out.splitlines() == ["empty.txt", "  ERROR E001_EMPTY_INPUT: the note is empty"]


def test_batch_summary(analyzer) -> None:
    summary = TextSummary()
    for stem in ("01_complete", "04_template_blanks", "07_epidural", "10_attempted"):
        summary.add(sample(analyzer, stem))
    out = summary.format()
    assert out.startswith("Summary: 4 notes")
    # the dry tap (10) asks only for what it lacks: no contrast or images were ever due (issue 12)
    assert "complete 1" in out and "needs_query 2" in out and "not_applicable 1" in out
    assert "contrast_agent 1/3" in out


def test_cli_text_ends_with_the_summary(analyzer, monkeypatch) -> None:
    real = docanalyzer.analyzer.Analyzer

    def shared_or_real(checklist="62304", **kwargs):
        return analyzer if kwargs in ({}, {"screen": True}) else real(checklist, **kwargs)

    monkeypatch.setattr(docanalyzer.analyzer, "Analyzer", shared_or_real)
    result = CliRunner().invoke(app, ["analyze", *map(str, SAMPLES)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.rstrip().splitlines()[-3].startswith(f"Summary: {len(SAMPLES)} notes")
    assert "\x1b[" not in result.stdout and "\r" not in result.stderr


# --- physician query texts (AHIMA/ACDIS compliant query practice) ---------------------------------

QUERIES = [(e.id, e.query) for e in load_checklist("62304").elements if e.query]
BANNED = re.compile(r"\b(cpt|codes?|coding|bill\w*|payment|pay|paid|reimburs\w*|revenue|drg|money|claim|denial|"
                    r"audit\w*|compliance|score)\b|\$", re.IGNORECASE)
LEADING = re.compile(r"\b(do you agree|can you confirm|please confirm|please add|please document that|"
                     r"was it|wasn't|isn't it|must|should be documented|required)\b", re.IGNORECASE)


def test_every_element_has_a_query() -> None:
    assert len(QUERIES) == len(load_checklist("62304").elements)


@pytest.mark.parametrize(("element_id", "question"), QUERIES, ids=[q[0] for q in QUERIES])
def test_query_is_compliant_and_non_leading(element_id: str, question: str) -> None:
    assert not BANNED.search(question), f"{element_id}: mentions money, codes or scoring"
    assert not LEADING.search(question), f"{element_id}: leading or yes/no wording"
    options = [line[2:] for line in question.splitlines() if line.startswith("- ")]
    if options:  # multiple choice: must offer other and clinically undetermined
        assert "Other (please specify)" in options
        assert "Clinically undetermined" in options
        assert len(options) >= 4
    else:  # open-ended
        assert question.rstrip().endswith(".") and "?" not in question


# --- progress bar -----------------------------------------------------------------------------------

class Tty(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_progress_draws_counts_and_erases_itself() -> None:
    stream = Tty()
    bar = progress_bar(10, enabled=True, stream=stream, delay=0)
    bar.update(2)
    bar.refresh()
    drawn = stream.getvalue()
    assert "2/10" in drawn and "notes" in drawn and "20%" in drawn
    bar.close()
    assert stream.getvalue().rstrip(" ").endswith("\r"), "the bar is erased, so it never ends up in a log"


def test_short_batches_print_no_bar() -> None:
    stream = Tty()
    bar = progress_bar(3, enabled=True, stream=stream, delay=60)
    bar.update(3)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_ascii_fallback() -> None:
    class Ascii(Tty):
        encoding = "ascii"

    stream = Ascii()
    bar = progress_bar(4, enabled=True, stream=stream, delay=0)
    bar.update(2)
    bar.refresh()
    assert "2/4" in stream.getvalue()
    stream.getvalue().encode("ascii")  # nothing the terminal cannot show
    bar.close()


def test_disabled_progress_writes_nothing() -> None:
    stream = Tty()
    bar = progress_bar(3, enabled=False, stream=stream, delay=0)
    for _ in range(3):
        bar.update()
    bar.clear()
    bar.close()
    assert stream.getvalue() == ""


def test_progress_only_on_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("TERM", raising=False)
    assert progress_enabled(Tty(), quiet=False)
    assert not progress_enabled(Tty(), quiet=True)
    assert not progress_enabled(io.StringIO(), quiet=False)
    monkeypatch.setenv("TERM", "dumb")
    assert not progress_enabled(Tty(), quiet=False)


def test_count_inputs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ("a/1.txt", "a/2.txt", "a/skip.md", "3.txt"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"text": "x"}\n\n{"text": "y"}\n{"text": "z"}\n', encoding="utf-8")
    assert count_inputs([str(tmp_path / "a"), str(batch), "-", str(tmp_path / "missing.txt")]) == 2 + 3 + 1 + 1
