"""The ICD-10-CM diagnosis review (issue 17): billed codes checked against the code set and the note,
codes suggested from the note's own evidence (outpatient rules), coverage, inputs and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, all_evidence

from docanalyzer.analyzer import Analyzer
from docanalyzer.cli import app
from docanalyzer.diagnosis.codeset import lookup
from docanalyzer.diagnosis.mapping import load_coverage, load_mapping
from docanalyzer.errors import RuleFileError
from docanalyzer.evaluation import evaluate_corpus
from docanalyzer.report import Report

TECHNIQUE = ("TECHNIQUE: Under fluoroscopic guidance a 22-gauge needle was placed at L2-L3 and 10 mL of "
             "Omnipaque 180 was injected intrathecally. AP and lateral images of the lumbar spine were obtained.\n")
CLAUDICATION = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Low back pain with neurogenic claudication. Pacemaker, MRI "
                "contraindicated.\n" + TECHNIQUE + "IMPRESSION: Severe spinal stenosis at L4-L5.\n")
LEFT_LEG = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Left leg pain for 6 months. Pacemaker, MRI contraindicated.\n"
            + TECHNIQUE + "IMPRESSION: Normal lumbar myelogram.\n")


@pytest.fixture(scope="module")
def dx() -> Analyzer:
    return Analyzer(diagnoses=True)


def suggested(report: Report) -> list[str]:
    assert report.diagnosis_review is not None
    return [c.code for c in report.diagnosis_review.suggested]


def check(report: Report, code: str):
    assert report.diagnosis_review is not None
    return next(c for c in report.diagnosis_review.billed if c.code == code)


def rule_ids(report: Report) -> list[str]:
    return [f.rule_id for f in report.code_review.findings]


# --------------------------------------------------------------------------------- billed codes


def test_invalid_code(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["M48.99Z"])
    assert check(report, "M48.99Z").status == "invalid"
    assert "DX001_INVALID_CODE" in rule_ids(report)


def test_non_billable_category_code_without_a_supported_child(analyzer: Analyzer):
    report = analyzer.analyze(LEFT_LEG, billed_dx=["M48.0"])
    result = check(report, "M48.0")
    assert result.status == "not_billable" and result.description == "Spinal stenosis"
    assert "category, not a billable code" in result.message
    assert "DX002_NOT_BILLABLE" in rule_ids(report)


def test_more_specific_code_available_for_a_billed_category(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["M48.06"])
    result = check(report, "M48.06")
    assert result.status == "more_specific_available"
    assert result.alternatives == ["M48.062"]
    assert result.evidence and all(CLAUDICATION[e.start:e.end] == e.text for e in result.evidence)
    assert "DX004_MORE_SPECIFIC" in rule_ids(report)


def test_more_specific_code_available_for_a_billed_unspecified_code(analyzer: Analyzer):
    report = analyzer.analyze(LEFT_LEG, billed_dx=["M79.606"])
    assert check(report, "M79.606").status == "more_specific_available"
    assert check(report, "M79.606").alternatives == ["M79.605"]


def test_supported_code(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["m48062"])  # as typed on a claim: case, no dot
    result = check(report, "m48062")
    assert result.status == "supported" and result.description.startswith("Spinal stenosis, lumbar region with")
    assert not [r for r in rule_ids(report) if r.startswith("DX")]


def test_unsupported_code_says_what_the_note_lacks(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["M54.16"])
    result = check(report, "M54.16")
    assert result.status == "unsupported"
    assert "does not document radiculopathy" in result.message
    assert "DX003_UNSUPPORTED" in rule_ids(report)


def test_conflicting_laterality(analyzer: Analyzer):
    report = analyzer.analyze(LEFT_LEG, billed_dx=["M79.604"])
    result = check(report, "M79.604")
    assert result.status == "conflicting"
    assert "side: billed right, documented left" in result.message
    assert "DX005_CONFLICTING" in rule_ids(report)


def test_conflicting_region_and_claudication(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["M48.02", "M48.061"])
    assert check(report, "M48.02").status == "conflicting"
    assert "region: billed cervical, documented lumbar" in check(report, "M48.02").message
    assert check(report, "M48.061").status == "conflicting"
    assert "neurogenic claudication: billed without, documented with" in check(report, "M48.061").message


def test_code_outside_the_reviewed_families_is_not_reviewed(analyzer: Analyzer):
    report = analyzer.analyze(CLAUDICATION, billed_dx=["I10"])
    assert check(report, "I10").status == "not_reviewed"


# ------------------------------------------------------------------------- suggested diagnoses


@pytest.mark.parametrize("phrase", [
    "possible spinal stenosis at L4-L5",
    "cannot exclude disc herniation at L4-L5",
    "rule out spinal stenosis",
    "suspected lumbar stenosis",
    "L4-L5 disc protrusion cannot be excluded",
    "query lumbar canal stenosis",
    "concern for spinal stenosis",
    "L4-L5 disc protrusion cannot be entirely excluded",
    "lumbar stenosis not yet confirmed on CT",
    "findings that may reflect spinal stenosis",
])
def test_uncertain_diagnosis_in_an_outpatient_note_is_not_coded(dx: Analyzer, phrase: str):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Low back pain, " + phrase + ". Pacemaker.\n" + TECHNIQUE
            + "IMPRESSION: No significant abnormality.\n")
    report = dx.analyze(text)
    assert suggested(report) == ["M54.50"]  # the symptom is coded instead


def test_a_symptom_explained_by_a_confirmed_diagnosis_outside_the_table_is_not_coded(dx: Analyzer):
    """Discogenic pain proven by discography explains the back pain: neither is coded (the symptom is
    integral to the diagnosis); a merely possible one leaves the symptom coded."""
    base = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Low back pain; {} at L4-L5 on discography. Pacemaker.\n"
            + TECHNIQUE + "IMPRESSION: No significant abnormality.\n")
    assert suggested(dx.analyze(base.format("discogenic pain confirmed"))) == []
    assert suggested(dx.analyze(base.format("possible discogenic pain"))) == ["M54.50"]


def test_a_symptom_of_the_procedure_itself_is_not_coded(dx: Analyzer):
    """Back pain at the needle, told in the technique or complications, is not why the study was done."""
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Right leg pain. Pacemaker.\n" + TECHNIQUE
            + "COMPLICATIONS: Mild low back pain at the puncture site after the procedure, resolved.\n"
            + "IMPRESSION: No significant abnormality.\n")
    assert suggested(dx.analyze(text)) == ["M79.604"]
    indication = text.replace("Right leg pain.", "Right leg pain and low back pain.")
    assert suggested(dx.analyze(indication)) == ["M54.50", "M79.604"]


def test_negated_and_treated_conditions_are_not_coded(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nHISTORY: Low back pain after L4-S1 fusion for spondylolisthesis.\n" + TECHNIQUE
            + "IMPRESSION: No spinal stenosis. No disc herniation.\n")
    assert suggested(dx.analyze(text)) == ["M54.50"]


def test_a_condition_the_note_says_was_not_supported_is_not_coded(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Low back pain; cauda equina syndrome was not supported clinically. "
            "Pacemaker.\n" + TECHNIQUE + "IMPRESSION: No significant abnormality.\n")
    assert suggested(dx.analyze(text)) == ["M54.50"]


def test_a_repaired_or_resolved_condition_and_a_named_service_are_not_coded(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Reviewed at the CSF leak conference. Hx spontaneous CSF leak, "
            "s/p surgical repair 2022 - resolved, no recurrence. Low back pain. Pacemaker.\n" + TECHNIQUE
            + "IMPRESSION: No significant abnormality.\n")
    assert suggested(dx.analyze(text)) == ["M54.50"]


def test_leg_pain_that_is_the_sciatica_is_not_coded_again(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Low back pain radiating down the right leg, right sciatica. "
            "Pacemaker.\n" + TECHNIQUE + "IMPRESSION: No significant abnormality.\n")
    assert suggested(dx.analyze(text)) == ["M54.41"]


def test_a_thoracic_disc_with_myelopathy_is_the_displacement_code(dx: Analyzer):
    """ANNOTATION.md: a thoracic disc with myelopathy takes M51.24 (and stenosis when stated), not a
    spondylotic myelopathy code."""
    text = ("EXAM: THORACIC MYELOGRAM\nINDICATION: Thoracic myelopathy. Pacemaker.\n" + TECHNIQUE
            + "IMPRESSION: Calcified T7-T8 disc protrusion with severe spinal stenosis compressing the cord.\n")
    assert suggested(dx.analyze(text)) == ["M48.04", "M51.24"]


def test_myelopathy_from_its_disc_is_one_code(dx: Analyzer):
    """Cervical myelopathy from a C5-6 disc is M50.022 alone: neither the disc's displacement code at that
    level nor the unattributed myelopathy code is added beside it."""
    text = ("EXAM: CERVICAL MYELOGRAM\nINDICATION: Myelopathy, level uncertain. Pacemaker.\n" + TECHNIQUE
            + "IMPRESSION: Large central disc herniation at C5-C6 compressing the cord, with cervical myelopathy "
            "due to the disc.\n")
    assert suggested(dx.analyze(text)) == ["M50.022"]


def test_symptoms_only_without_a_confirmed_diagnosis(dx: Analyzer):
    assert suggested(dx.analyze(CLAUDICATION)) == ["M48.062"]  # low back pain belongs to the stenosis


def test_disc_with_radiculopathy_in_its_region_is_one_combination_code(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Right S1 radiculopathy. Pacemaker.\n" + TECHNIQUE
            + "IMPRESSION: Right paracentral L5-S1 disc extrusion compressing the right S1 root. Mild canal "
            "stenosis at L3-L4.\n")
    assert suggested(dx.analyze(text)) == ["M48.061", "M51.17"]


def test_levels_and_regions(dx: Analyzer):
    text = ("EXAM: CERVICAL MYELOGRAM\nINDICATION: Neck pain. ICD in place.\n" + TECHNIQUE
            + "IMPRESSION:\n1. Moderate canal stenosis at C5-C6.\n2. Grade 1 anterolisthesis of L4 on L5.\n"
            "3. Left C6-C7 disc protrusion.\n")
    assert suggested(dx.analyze(text)) == ["M43.16", "M48.02", "M50.223"]


def test_suggestions_carry_exact_evidence(dx: Analyzer):
    report = dx.analyze(CLAUDICATION)
    code = report.diagnosis_review.suggested[0]
    assert code.evidence and all(CLAUDICATION[e.start:e.end] == e.text for e in code.evidence)
    assert all(CLAUDICATION[e.start:e.end] == e.text for _, e in all_evidence(report))


def test_query_draft_asks_for_specificity_without_leading(dx: Analyzer):
    text = ("PROCEDURE NOTE: myelogram requested. HISTORY: CSF leak. Intrathecal contrast was not given today.\n")
    report = dx.analyze(text)
    queries = report.diagnosis_review.queries
    assert [q.concept for q in queries] == ["csf_leak"]
    question = queries[0].question
    assert "Other (please specify)" in question and "Clinically undetermined" in question
    assert not any(word in question.lower() for word in ("g96", "code", "payment", "reimburse", "bill"))


def test_no_review_unless_asked_or_billed(analyzer: Analyzer):
    """Existing runs are unchanged: no billed diagnoses and no --diagnoses, no review."""
    assert analyzer.analyze(CLAUDICATION).diagnosis_review is None


# ------------------------------------------------------------------------------------- coverage


def test_coverage_list_miss_is_a_code_review_finding(analyzer: Analyzer):
    report = analyzer.analyze(LEFT_LEG, billed_dx=["M79.605"])
    assert report.diagnosis_review.coverage == "myelography-illustrative"
    assert report.diagnosis_review.covered is False
    [finding] = [f for f in report.code_review.findings if f.rule_id == "DX006_NOT_COVERED"]
    assert "illustrative" in finding.message
    covered = analyzer.analyze(CLAUDICATION, billed_dx=["M48.062", "M79.605"])
    assert covered.diagnosis_review.covered is True
    assert "DX006_NOT_COVERED" not in rule_ids(covered)


def test_coverage_file_is_payer_data(tmp_path: Path):
    payer = tmp_path / "payer.yaml"
    payer.write_text(yaml.safe_dump({"id": "payer-x", "version": "1", "illustrative": False,
                                     "description": "Payer X myelography policy.", "applies_to": ["62304"],
                                     "covered": ["M79.6"]}))
    report = Analyzer(coverage=payer).analyze(LEFT_LEG, billed_dx=["M79.605"])
    assert report.diagnosis_review.coverage == "payer-x" and report.diagnosis_review.covered is True


def test_default_coverage_list_says_it_is_illustrative():
    coverage = load_coverage()
    assert coverage.illustrative and "ILLUSTRATIVE" in coverage.description


# --------------------------------------------------------------------------------- mapping file


def _mapping_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((REPO / "patterns" / "diagnoses.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "diagnoses.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["codes"].append({"code": "M99.99", "concept": "no_such_concept"}), "<root>", "unknown concepts"),
    (lambda d: d["concepts"][0]["terms"].append("stenos(is"), "concepts.0.terms", "invalid regular expression"),
    (lambda d: d["codes"].append({"code": "M48.069", "concept": "spinal_stenosis", "region": "cervical"}),
     "<root>", "same concept and qualifiers"),
    (lambda d: d["codes"].append({"code": "M50.99", "concept": "disc_herniation", "level": ["C5/6"]}),
     "codes.", "levels are written like"),
    (lambda d: d["codes"][0].update(region="neck"), "codes.0.region", "Input should be"),
    (lambda d: d["codes"][0].update(code="M48-02"), "codes.0.code", "String should match"),
    (lambda d: d["queries"].update(region="Please confirm M48.061 for billing. Other (please specify). "
                                          "Clinically undetermined"), "queries.region", "no code and no payment"),
    (lambda d: d.update(surprise=1), "surprise", "Extra inputs"),
])
def test_mapping_file_schema_errors(tmp_path: Path, change, field: str, words: str):
    with pytest.raises(RuleFileError) as caught:
        load_mapping(_mapping_with(tmp_path, change))
    assert caught.value.field.startswith(field)
    assert words in caught.value.message


def test_every_mapped_code_is_a_billable_code_of_the_code_set():
    for rule in load_mapping().codes:
        info = lookup(rule.code)
        assert info.exists and info.billable, rule.code


def test_bad_coverage_file_stops_the_run(tmp_path: Path):
    bad = tmp_path / "cov.yaml"
    bad.write_text(yaml.safe_dump({"id": "x", "version": "1", "illustrative": True, "description": "A list.",
                                   "applies_to": ["62304"], "covered": ["M48.0"]}))
    with pytest.raises(RuleFileError, match="illustrative list says so"):
        Analyzer(coverage=bad)


def test_code_set_is_imported_only_when_a_review_runs():
    code = ("import sys; from docanalyzer.analyzer import Analyzer; a = Analyzer(); "
            "a.analyze('Lumbar myelogram. Omnipaque 180 injected intrathecally. IMPRESSION: stenosis at L4-5.'); "
            "print('simple_icd_10_cm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------- inputs


def test_cli_billed_dx_and_csv_columns(runner, tmp_path: Path):
    note = tmp_path / "n.txt"
    note.write_text(CLAUDICATION, encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(note), "--format", "jsonl", "--billed-dx", "M48.06, M54.16"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.splitlines()[0])
    assert [(c["code"], c["status"]) for c in report["diagnosis_review"]["billed"]] == [
        ("M48.06", "more_specific_available"), ("M54.16", "unsupported")]
    csv_out = runner.invoke(app, ["analyze", str(note), "--format", "csv", "--billed-dx", "M48.062"]).stdout
    header, row = csv_out.splitlines()[:2]
    assert header.endswith("warnings,billed_dx,dx_checks,suggested_dx,dx_covered")
    assert row.endswith(",M48.062,M48.062:supported,M48.062,true")
    text_out = runner.invoke(app, ["analyze", str(note), "--billed-dx", "M48.062"]).stdout
    assert "suggested M48.062" in text_out and "billed M48.062: supported" in text_out
    bad = runner.invoke(app, ["analyze", str(note), "--billed-dx", "M48.062;<script>"])
    assert bad.exit_code == 2


def test_jsonl_record_billed_dx(analyzer: Analyzer, tmp_path: Path):
    from docanalyzer.inputs import iter_inputs

    batch = tmp_path / "b.jsonl"
    batch.write_text("\n".join(json.dumps(r) for r in [
        {"document_id": "a", "text": CLAUDICATION, "billed_dx": ["M48.062"]},
        {"document_id": "b", "text": CLAUDICATION, "billed_dx": "M48.061,M54.16"},
        {"document_id": "c", "text": CLAUDICATION},
        {"document_id": "d", "text": CLAUDICATION, "billed_dx": [1, 2]},
    ]) + "\n", encoding="utf-8")
    reports = list(analyzer.analyze_many(iter_inputs([str(batch)])))
    assert [c.status for c in reports[0].diagnosis_review.billed] == ["supported"]
    assert [c.code for c in reports[1].diagnosis_review.billed] == ["M48.061", "M54.16"]
    assert reports[2].diagnosis_review is None
    assert reports[3].errors[0].code == "E007_NOT_TEXT" and "billed_dx" in reports[3].errors[0].message


def test_parallel_workers_get_billed_dx(analyzer: Analyzer):
    reports = list(analyzer.analyze_many([CLAUDICATION, LEFT_LEG], billed_dx=["M48.062"], n_process=2))
    assert [r.diagnosis_review.billed[0].status for r in reports] == ["supported", "unsupported"]


def test_fhir_claim_diagnoses():
    pytest.importorskip("fhir.resources")
    from test_fhir import b64

    from docanalyzer.integrations.fhir import parse_fhir

    doc = {"resourceType": "DocumentReference", "id": "n1", "status": "current",
           "content": [{"attachment": {"contentType": "text/plain", "data": b64(CLAUDICATION)}}]}
    claim = {"resourceType": "Claim", "id": "c1", "status": "active", "use": "claim", "created": "2025-01-01",
             "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                                  "code": "professional"}]},
             "patient": {"reference": "Patient/p1"}, "provider": {"reference": "Organization/o1"},
             "priority": {"coding": [{"code": "normal"}]},
             "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/v1"}}],
             "diagnosis": [
                 {"sequence": 2, "diagnosisCodeableConcept": {"coding": [
                     {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.16"}]}},
                 {"sequence": 1, "diagnosisCodeableConcept": {"coding": [
                     {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M48.062"}]}}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": doc}, {"resource": claim}]}
    [note] = parse_fhir(bundle)
    assert note.note.billed_dx == ("M48.062", "M54.16")
    [alone] = parse_fhir(doc)
    assert alone.note.billed_dx is None


def test_error_notes_still_check_the_code_set(analyzer: Analyzer):
    report = analyzer.analyze("   ", billed_dx=["M48.06", "ZZZ"])
    assert report.errors and [c.status for c in report.diagnosis_review.billed] == ["not_billable", "invalid"]


# ----------------------------------------------------------------------------------- evaluation


def test_evaluate_reports_dx_precision_and_recall(tmp_path: Path, dx: Analyzer):
    gold = {"id": "n1", "style": "narrative", "variation": "x", "procedure_status": "performed",
            "regions": ["lumbosacral"], "elements": {}, "findings": [], "expected_codes": ["62304"],
            "expected_modifiers": [], "billed_code": None, "expected_dx": ["M48.062", "M54.16"]}
    from docanalyzer.evaluation import ELEMENT_IDS

    gold["elements"] = dict.fromkeys(ELEMENT_IDS, "documented")
    (tmp_path / "n1.txt").write_text(CLAUDICATION, encoding="utf-8")
    (tmp_path / "n1.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    figures = evaluate_corpus(tmp_path, dx)["diagnoses"]
    assert (figures["tp"], figures["fp"], figures["fn"]) == (1, 0, 1)
    assert figures["precision"] == 1.0 and figures["recall"] == 0.5


@pytest.mark.parametrize(("sentence", "code"), [
    ("Ventral CSF leak at T11-T12. History of spontaneous intracranial hypotension.", "G96.02"),
    ("Persistent CSF leak after the lumbar puncture of last week.", "G97.0"),
    ("Cranial CSF leak with rhinorrhea after sinus surgery.", "G96.08"),
    ("CSF leak at T7-T8 on the post-myelogram CT.", "G96.00"),  # a post-myelogram CT is no cause
])
def test_csf_leak_by_cause_and_site(dx: Analyzer, sentence: str, code: str):
    text = "EXAM: MYELOGRAM\n" + TECHNIQUE + "IMPRESSION: " + sentence + "\n"
    assert suggested(dx.analyze(text)) == [code]


def test_a_side_stated_once_wins(dx: Analyzer):
    text = ("EXAM: LUMBAR MYELOGRAM\nINDICATION: Right leg pain. The leg pain is worse with walking.\n" + TECHNIQUE
            + "IMPRESSION: Normal lumbar myelogram.\n")
    assert suggested(dx.analyze(text)) == ["M79.604"]
