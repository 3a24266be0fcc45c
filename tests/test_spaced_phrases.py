"""A phrase reads the same with one space between its words or several (typed padding, or a CRLF
note's wrapped line joined), and a line break still ends it."""

from __future__ import annotations

import pytest

from docanalyzer import Analyzer

NOTE = "LUMBAR MYELOGRAM. Indication: leg pain. Bilateral cochlear{gap}implants, no MRI."


def _mri(analyzer: Analyzer, text: str) -> tuple[str, list[str]]:
    element = next(e for e in analyzer.analyze(text).elements if e.id == "mri_contraindication")
    return element.status, [ev.text for ev in element.evidence]


@pytest.mark.parametrize("gap", [" ", "  ", "\t", " \t  "])
def test_runs_of_spaces_inside_a_phrase_still_match(analyzer: Analyzer, gap: str) -> None:
    status, evidence = _mri(analyzer, NOTE.format(gap=gap))
    assert status == "documented"
    assert evidence == [f"cochlear{gap}implants"]  # offsets are the note's own


def test_a_crlf_note_reads_as_its_lf_twin(analyzer: Analyzer) -> None:
    wrapped = ("CLINICAL INFORMATION: neck pain with bilateral hand numbness for four months. Bilateral cochlear\n"
               "implants - no MRI. Cervical myelogram via L2-3 puncture, Omnipaque 300, fluoroscopy.\n"
               "IMPRESSION: C5-6 stenosis.\n")
    assert _mri(analyzer, wrapped.replace("\n", "\r\n"))[0] == _mri(analyzer, wrapped)[0] == "documented"


def test_a_line_break_still_ends_a_phrase(analyzer: Analyzer) -> None:
    short_line = "LUMBAR MYELOGRAM. Indication: leg pain.\nDevice: cochlear{gap}implants, no MRI."
    assert _mri(analyzer, short_line.format(gap="  "))[0] == "documented"
    assert _mri(analyzer, short_line.format(gap="\n"))[0] == "missing"  # (a short line is not a wrapped one)
