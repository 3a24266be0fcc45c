"""Notes exported from EHRs as delimited fields (HL7 segments, "FIELD|value|...") read as their
words: a pipe, HL7's ^ and ~, or a semicolon between words separate tokens, and a field's pipe
ends a ConText modifier's reach as a semicolon does."""

from __future__ import annotations

import pytest

from docanalyzer import Analyzer

EXPORT = "\n".join([
    "OBR|1|ACC1||MYELO-L^Myelogram lumbar|||20251112131500",
    "HX|Low back and bilateral leg pain for a year; PT and NSAIDs - no improvement. Pacemaker, no MRI.",
    "PROC|Myelogram lumbar|Site=L2-L3|Needle=22G|CSF=clear",
    "CONTRAST|Omnipaque 180|12 mL|Intrathecal",
    "GUIDANCE|Fluoroscopy|FT 0.8 min",
    "FINDINGS|L4-5: moderate central canal stenosis.",
    "IMPRESSION|Moderate L4-5 central canal stenosis.",
])


@pytest.mark.parametrize("text, words", [
    ("PROC|Myelogram lumbar|Site=L3-L4", ["PROC", "|", "Myelogram", "lumbar", "|"]),
    ("OBR|1||MYELO^Myelogram~CT", ["OBR", "|", "1", "|", "|", "MYELO", "^", "Myelogram", "~", "CT"]),
    ("Needle=22G;CSF=clear", [";"]),
])
def test_field_marks_separate_tokens(analyzer: Analyzer, text: str, words: list[str]) -> None:
    tokens = [t.text for t in analyzer.nlp.make_doc(text)]
    assert all(word in tokens for word in words), tokens
    assert "".join(t.text_with_ws for t in analyzer.nlp.make_doc(text)) == text  # offsets unchanged


def test_a_pipe_delimited_myelogram_is_read_as_one(analyzer: Analyzer) -> None:
    report = analyzer.analyze(EXPORT)
    assert report.procedure_status == "performed"
    assert report.regions == ["lumbosacral"]
    status = {e.id: e.status for e in report.elements}
    assert status["injection_site"] == status["contrast_agent"] == status["fluoroscopic_guidance"] == "documented"


@pytest.mark.parametrize("separator", ["|", "; "])
def test_a_field_boundary_ends_a_modifier_in_a_long_line(analyzer: Analyzer, separator: str) -> None:
    """'ORDER' (a plan cue) is one field; the study in the next one is this note's."""
    line = separator.join(["ORDER", "CT myelogram lumbar", "Dr X", "L2-3 puncture", "Omnipaque 180 10 mL"])
    report = analyzer.analyze(line + "\nIMPRESSION: L4-5 stenosis.")
    named = next(s for s in report.procedure_decision.signals if s.id == "procedure_named")
    assert named.evidence[0].assertion == "affirmed"
