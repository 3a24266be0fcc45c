"""Coding audit round 2 (issue 12): discontinued services, modifier 22, billed vs supported codes.

Each probe is a short note written for one coding case of the issue; the corpora measure the rest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.report import Report

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"
ROUTINE = ("LUMBAR MYELOGRAM\nUnder fluoroscopy a 22 gauge needle was placed at L2-3 and 15 mL Omnipaque 180 was "
           "injected intrathecally. AP and lateral images of the lumbar spine were obtained.\n"
           "IMPRESSION: moderate L4-5 stenosis.\n")


def run(analyzer: Analyzer, text: str, billed: str | None = None) -> Report:
    report = analyzer.analyze(text, document_id="probe", billed_code=billed)
    assert report.errors == []
    return report


def rule_ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.code_review.findings}


def test_a_documented_dry_tap_billed_with_53_asks_only_for_what_is_missing(analyzer: Analyzer) -> None:
    report = run(analyzer, (SAMPLES / "10_attempted_dry_tap.txt").read_text(encoding="utf-8"), "62304-53")
    assert report.procedure_status == "attempted"
    assert report.verdict in {"complete", "needs_query"}
    asked = {q.element_id for q in report.queries}
    assert not asked & {"contrast_agent", "region_imaged", "interpretation"}
    waived = {e.id for e in report.elements if e.waived}
    assert waived == {"contrast_agent", "region_imaged", "interpretation"}
    assert not rule_ids(report) & {"CR011_DISCONTINUED_WITHOUT_53", "CR012_53_WITHOUT_DISCONTINUATION"}
    fifty_three = next(m for m in report.code_review.modifiers if m.code == "53")
    assert "contrast injected: no" in fifty_three.reason and "images obtained: no" in fifty_three.reason


def test_a_silent_discontinued_note_keeps_its_queries(analyzer: Analyzer) -> None:
    text = ("LUMBAR MYELOGRAM\nUnder fluoroscopy a 22 gauge needle was placed at L2-3 with clear CSF. The patient"
            " had a vasovagal reaction and the procedure was aborted.\n")
    report = run(analyzer, text, "62304-53")
    assert report.procedure_status == "attempted"
    assert not any(e.waived for e in report.elements)


def test_many_attempts_before_success_is_a_completed_study(analyzer: Analyzer) -> None:
    text = ("LUMBAR MYELOGRAM\nAfter multiple attempts because of severe degenerative change, the needle entered "
            "the thecal sac at L3-4 under fluoroscopy. 15 mL Omnipaque 180 was injected. AP, lateral and oblique "
            "images of the lumbar spine were obtained.\nIMPRESSION: severe L4-5 stenosis.\n")
    report = run(analyzer, text)
    assert report.procedure_status == "performed"
    assert "53" not in {m.code for m in report.code_review.modifiers}


@pytest.mark.parametrize("billed", ["62284, 72265", "62284", "72265"])
def test_under_coding_is_a_finding(analyzer: Analyzer, billed: str) -> None:
    report = run(analyzer, ROUTINE, billed)
    finding = next(f for f in report.code_review.findings if f.rule_id == "CR014_BILLED_VS_SUPPORTED")
    assert "62304" in finding.message and billed.split(",")[0] in finding.message


def test_the_supported_code_billed_draws_no_difference(analyzer: Analyzer) -> None:
    assert "CR014_BILLED_VS_SUPPORTED" not in rule_ids(run(analyzer, ROUTINE, "62304"))


def test_difficulty_alone_does_not_support_22(analyzer: Analyzer) -> None:
    text = ROUTINE.replace("Under fluoroscopy", "Needle placement was technically difficult. Under fluoroscopy")
    report = run(analyzer, text, "62304-22")
    assert "22" not in {m.code for m in report.code_review.modifiers}
    assert "CR013_22_WITHOUT_INCREASED_WORK" in rule_ids(report)


def test_extra_work_against_a_typical_case_with_its_cause_supports_22(analyzer: Analyzer) -> None:
    text = ROUTINE.replace("Under fluoroscopy", "Because of severe scoliosis, needle placement took 55 minutes,"
                           " compared with about 15 minutes in a typical case. Under fluoroscopy")
    report = run(analyzer, text, "62304-22")
    assert "22" in {m.code for m in report.code_review.modifiers}
    assert "CR013_22_WITHOUT_INCREASED_WORK" not in rule_ids(report)


@pytest.mark.parametrize(("agent", "approved", "rule"), [
    ("Isovue-M 300", True, None),
    ("Isovue 300", False, "PL001_IONIC_OR_NOT_INTRATHECAL"),
    ("Isovue 200", False, "PL001_IONIC_OR_NOT_INTRATHECAL"),
    ("iopamidol", "confirm formulation", "PL006_CONTRAST_FORMULATION_UNSTATED"),
])
def test_the_product_not_the_molecule_decides_intrathecal_approval(analyzer: Analyzer, agent: str, approved,
                                                                     rule: str | None) -> None:
    report = run(analyzer, ROUTINE.replace("Omnipaque 180", agent))
    contrast = next(e for e in report.elements if e.id == "contrast_agent")
    assert contrast.values["intrathecal_approved"] == approved
    found = rule_ids(report) & {"PL001_IONIC_OR_NOT_INTRATHECAL", "PL006_CONTRAST_FORMULATION_UNSTATED"}
    assert found == ({rule} if rule else set())


@pytest.mark.parametrize(("text", "level"), [("L2-3", "L2-L3"), ("L5-S1", "L5-S1"), ("T12-L1", "T12-L1"),
                                             ("L2 to S1", None), ("L3-5", None)])
def test_a_span_of_levels_is_no_puncture_level(text: str, level: str | None) -> None:
    from docanalyzer.resolve.values import normalize_level

    assert normalize_level(text) == level


FUNCTION_WORDS = {"a", "an", "the", "and", "or", "of", "in", "with", "without", "despite", "there", "is", "are",
                  "was", "were", "show", "shows", "showed", "seen", "noted", "no", "not"}


def _quotes(report: Report) -> list[str]:
    quotes = [ev.text for e in report.elements for ev in e.evidence] + [ev.text for ev in report.procedure_evidence]
    if report.procedure_decision is not None:
        quotes += [ev.text for s in report.procedure_decision.signals for ev in s.evidence]
    return quotes


def test_no_evidence_quote_is_only_function_words(analyzer: Analyzer) -> None:
    """An auditor reads each quote alone: "despite" or "there is" says nothing (issue 12)."""
    corpus = Path(__file__).resolve().parents[1] / "eval" / "corpus"
    notes = sorted(SAMPLES.glob("*.txt")) + sorted(corpus.glob("*.txt"))
    assert len(notes) >= 14
    bare = []
    for path in notes:
        report = analyzer.analyze(path.read_text(encoding="utf-8"), document_id=path.name)
        bare += [(path.name, q) for q in _quotes(report)
                 if all(w.strip(".,;:") in FUNCTION_WORDS for w in q.lower().split())]
    assert not bare, bare[:10]


def test_each_query_quotes_what_prompted_it(analyzer: Analyzer) -> None:
    report = run(analyzer, (SAMPLES / "02_contrast_unnamed.txt").read_text(encoding="utf-8"))
    query = next(q for q in report.queries if q.element_id == "contrast_agent")
    assert query.indicators and "contrast" in query.indicators[0].text.lower()
    assert len(query.indicators[0].text.split()) >= 3  # a clause, not the bare word


def test_no_query_where_the_fix_is_to_recode(analyzer: Analyzer) -> None:
    report = run(analyzer, (SAMPLES / "11_injection_only_ct_elsewhere.txt").read_text(encoding="utf-8"), "62304")
    assert report.procedure_status == "injection_only"
    assert not {q.element_id for q in report.queries} & {"region_imaged", "interpretation"}
    assert "CR003_INJECTION_ONLY" in rule_ids(report)


def test_query_options_follow_the_access_route(analyzer: Analyzer) -> None:
    text = ("CERVICAL MYELOGRAM\nUnder fluoroscopy a lateral C1-C2 puncture was performed and 10 mL Omnipaque 240"
            " was injected. AP and lateral images of the cervical spine were obtained.\n"
            "IMPRESSION: C5-6 stenosis.\n")
    report = run(analyzer, text.replace("a lateral C1-C2 puncture was performed", "the needle was placed")
                 .replace("CERVICAL MYELOGRAM", "CERVICAL MYELOGRAM (C1-C2 approach)"), "62302")
    # the puncture site is not stated: the options are the cervical access, not lumbar interspaces
    site = next(q for q in report.queries if q.element_id == "injection_site")
    assert "C1-C2" in site.question and "L4-L5" not in site.question


DRY_TAP = ("LUMBAR MYELOGRAM\n1% lidocaine local anesthesia. Under fluoroscopy a 22 gauge needle was placed at L2-3;"
           " no CSF could be obtained after two attempts and the procedure was aborted. No contrast was injected and"
           " no myelographic images were obtained.\n")


@pytest.mark.parametrize(("claim_type", "text", "modifier"), [
    ("professional", DRY_TAP, "53"),
    ("facility", DRY_TAP, "74"),  # stopped after the local anaesthetic
    ("facility", DRY_TAP.replace("1% lidocaine local anesthesia. ", ""), "73"),
])
def test_a_discontinued_procedure_takes_the_modifier_of_its_claim_type(analyzer: Analyzer, claim_type: str,
                                                                      text: str, modifier: str) -> None:
    report = analyzer.analyze(text, document_id="probe", claim_type=claim_type)
    assert report.code_review.claim_type == claim_type
    assert [m.code for m in report.code_review.modifiers] == [modifier]


@pytest.mark.parametrize(("claim_type", "billed", "flagged"), [
    ("facility", "62304-53", True), ("facility", "62304-74", False),
    ("professional", "62304-74", True), ("professional", "62304-53", False),
])
def test_a_modifier_on_the_wrong_claim_type_is_a_finding(analyzer: Analyzer, claim_type: str, billed: str,
                                                          flagged: bool) -> None:
    report = analyzer.analyze(DRY_TAP, document_id="probe", billed_code=billed, claim_type=claim_type)
    assert ("CR015_MODIFIER_FOR_CLAIM_TYPE" in rule_ids(report)) is flagged
    assert "CR012_53_WITHOUT_DISCONTINUATION" not in rule_ids(report)


def test_claim_type_from_the_cli_and_a_jsonl_record(runner, tmp_path) -> None:
    import json

    from docanalyzer.cli import app

    records = tmp_path / "notes.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in [
        {"document_id": "a", "text": DRY_TAP},
        {"document_id": "b", "text": DRY_TAP, "claim_type": "professional"},
        {"document_id": "c", "text": DRY_TAP, "claim_type": "hospital"},
    ]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(records), "--claim-type", "facility", "-f", "jsonl", "-q"])
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["document_id"] for o in out] == ["a", "b", "c"]
    assert [m["code"] for m in out[0]["code_review"]["modifiers"]] == ["74"]
    assert [m["code"] for m in out[1]["code_review"]["modifiers"]] == ["53"]
    assert out[2]["errors"] and "claim_type" in out[2]["errors"][0]["message"]


def test_the_ct_code_follows_the_regions_the_ct_covered(analyzer: Analyzer) -> None:
    text = ("THORACIC AND LUMBAR MYELOGRAM WITH POST-MYELOGRAM CT\nUnder fluoroscopy a needle was placed at L2-3 and"
            " 15 mL Omnipaque 240 was injected intrathecally. AP and lateral images of the thoracic and lumbar spine"
            " were obtained. CT was then performed with axial images of the lumbar spine only.\n"
            "FINDINGS: The thoracic cord is normal. Moderate L4-5 stenosis.\n"
            "CT FINDINGS: Moderate L4-5 central stenosis.\nIMPRESSION: L4-5 stenosis.\n")
    report = run(analyzer, text)
    codes = [c.code for c in report.code_review.suggested_codes]
    assert codes[0] == "62305" and "72132" in codes and "72129" not in codes


def test_a_needle_check_film_is_no_region_imaged(analyzer: Analyzer) -> None:
    text = ("CERVICAL MYELOGRAM\nUnder fluoroscopy a needle was placed at L2-3; a single spot image of the lumbar"
            " spine was taken to confirm needle position. 10 mL Omnipaque 300 was injected and run cranially. AP and"
            " lateral images of the cervical spine were obtained.\nIMPRESSION: C5-6 stenosis.\n")
    report = run(analyzer, text)
    assert report.regions == ["cervical"]
    assert report.code_review.suggested_codes[0].code == "62302"


# --- paediatric iohexol (issue 12: "adult and paediatric iohexol limits") ---------------------------

CHILD_NOTE = ("CLINICAL HISTORY: {age} girl with a tethered cord.\nLUMBAR MYELOGRAM\nUnder fluoroscopic guidance a "
              "22 gauge needle was placed at L3-4 and {dose} was injected intrathecally. AP and lateral images of "
              "the lumbar spine were obtained.\nIMPRESSION: Low-lying conus.\n")


@pytest.mark.parametrize(("age", "dose", "expected"), [
    ("12-year-old", "12 mL Omnipaque 240", True),    # 240 mgI/mL and 2,880 mg: above both paediatric limits
    ("9 yo", "16 mL Omnipaque 180", True),           # 2,880 mg iodine
    ("12-year-old", "10 mL Omnipaque 180", False),   # within the label
    ("62-year-old", "12 mL Omnipaque 240", False),   # an adult: 2,880 mg is within the adult limit
])
def test_pediatric_iohexol_limit(analyzer, age: str, dose: str, expected: bool) -> None:
    report = analyzer.analyze(CHILD_NOTE.format(age=age, dose=dose), billed_code="62304")
    found = [f for f in report.code_review.findings if f.rule_id == "PL007_PEDIATRIC_IOHEXOL"]
    assert bool(found) is expected
    if found:
        assert found[0].evidence and "Omnipaque" in found[0].evidence[0].text
    assert not any(f.rule_id == "PL003_IOHEXOL_DOSE" for f in report.code_review.findings)


def test_patient_age_is_read_only_where_stated() -> None:
    from docanalyzer.resolve.patient_age import patient_age_years

    assert patient_age_years("an 18-month-old infant") == 1.5
    assert patient_age_years("Age: 6. Back pain") == 6
    assert patient_age_years("14 y/o female") == 14
    assert patient_age_years("back pain for 3 years, L4-5 stenosis") is None


# --- modifier 52: what was reduced and why -------------------------------------------------------

REDUCED_NOTE = ("LUMBAR MYELOGRAM\nUnder fluoroscopic guidance a 22 gauge needle was placed at L3-4 and 12 mL "
                "Omnipaque 180 was injected intrathecally. AP and lateral images of the lumbar spine were obtained."
                "{reduced}\nIMPRESSION: L4-5 stenosis.\n")


def test_modifier_52_says_what_was_reduced_and_why(analyzer) -> None:
    with_cause = REDUCED_NOTE.format(reduced=" Oblique views were not obtained because the patient could not "
                                             "tolerate rolling.")
    (modifier,) = [m for m in analyzer.analyze(with_cause).code_review.modifiers if m.code == "52"]
    assert "Oblique views were not obtained" in modifier.reason and "could not tolerate" in modifier.reason
    without_cause = REDUCED_NOTE.format(reduced=" Oblique views were not obtained.")
    (modifier,) = [m for m in analyzer.analyze(without_cause).code_review.modifiers if m.code == "52"]
    assert "why: not documented" in modifier.reason


def test_52_billed_on_a_full_study_is_a_finding(analyzer) -> None:
    report = analyzer.analyze(REDUCED_NOTE.format(reduced=""), billed_code="62304-52")
    assert "CR016_52_WITHOUT_REDUCTION" in {f.rule_id for f in report.code_review.findings}
    reduced = analyzer.analyze(REDUCED_NOTE.format(reduced=" Oblique views were not obtained."), billed_code="62304-52")
    assert "CR016_52_WITHOUT_REDUCTION" not in {f.rule_id for f in reduced.code_review.findings}
