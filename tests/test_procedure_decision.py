"""The procedure decision (issue 11): accumulated evidence, sections as weights, an honest
``uncertain``, injection-only only on a hand-off, discounted evidence with its reason.

The short notes here are the probes of issue 11, written to show each mechanism; they test the
mechanism, not one cue for one note (the corpora and the metamorphic rewrites measure the rest).
"""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from docanalyzer import Analyzer
from docanalyzer.errors import RuleFileError
from docanalyzer.report import Report
from docanalyzer.rule_files import validate
from docanalyzer.schemas import ProcedureDecisionSpec

PROBE = ("LUMBAR MYELOGRAM. Under fluoroscopic guidance L2-3 puncture, 15 mL Omnipaque 180. "
         "Lumbosacral images. Impression: L4-5 stenosis.")


def run(analyzer: Analyzer, text: str) -> Report:
    report = analyzer.analyze(text, document_id="probe")
    assert report.errors == []
    return report


@pytest.mark.parametrize("text", [
    PROBE,
    PROBE.replace("puncture, 15 mL", "puncture. 15 mL"),  # a period instead of a comma
    PROBE.replace("puncture", "thecal sac accessed"),
    PROBE.replace("L2-3 puncture, 15 mL Omnipaque 180", "LP at L2-3, 15 mL Omnipaque 180 instilled"),
    PROBE.lower(),
    "Hx: low back pain and left leg pain, pacemaker.\n" + PROBE,
    "Indication: stenosis.\nLumbar myelogram. L3-4 puncture under fluoro. 12 mL Isovue-M 200 "
    "administered intrathecally. AP and lateral lumbar images. Findings: moderate L4-5 stenosis.",
])
def test_a_performed_myelogram_is_performed(analyzer: Analyzer, text: str) -> None:
    report = run(analyzer, text)
    assert report.procedure_status == "performed", report.procedure_decision
    assert report.regions == ["lumbosacral"]
    assert report.code_review.suggested_codes[0].code == "62304"


@pytest.mark.parametrize("header", ["FINDINGS AND IMPRESSION:", "Findings/Impression:", "OPINION:", "Imp:"])
def test_interpretation_headers(analyzer: Analyzer, header: str) -> None:
    text = ("LUMBAR MYELOGRAM\nLP at L3-4 under fluoroscopy, 15 mL Omnipaque 180 intrathecal. "
            f"AP, lateral and oblique views of the lumbar spine.\n{header} moderate L4-5 canal stenosis.\n")
    report = run(analyzer, text)
    assert report.procedure_status == "performed"
    assert report.element("interpretation").status == "documented"


def test_a_one_line_note_under_a_procedure_header_carries_its_interpretation(analyzer: Analyzer) -> None:
    report = run(analyzer, "PROCEDURE: " + PROBE)
    assert report.procedure_status == "performed"
    assert report.element("interpretation").status == "documented"


def test_no_interpretation_without_hand_off_is_performed_with_a_query(analyzer: Analyzer) -> None:
    text = ("LUMBAR MYELOGRAM\nUnder fluoroscopy a 22 g needle entered the thecal sac at L2-3. "
            "15 mL Omnipaque 180 injected intrathecally. AP and lateral images of the lumbar spine obtained.\n")
    report = run(analyzer, text)
    assert report.procedure_status == "performed"
    assert report.element("interpretation").status == "missing"
    assert "interpretation" in {q.element_id for q in report.queries}
    handed_off = run(analyzer, text + "Images to be interpreted separately by neuroradiology.\n")
    assert handed_off.procedure_status == "injection_only"
    assert handed_off.code_review.suggested_codes[0].code == "62284"


def test_weak_evidence_is_uncertain_not_silently_not_applicable(analyzer: Analyzer) -> None:
    report = run(analyzer, "LUMBAR MYELOGRAM\nPatient tolerated the procedure well.\n")
    assert report.procedure_status == "uncertain"
    assert report.verdict == "needs_review"
    assert report.elements and report.queries  # still evaluated, queries still drafted
    assert report.procedure_decision is not None and report.procedure_decision.reasons


def test_a_study_only_named_with_its_plan_is_not_documented(analyzer: Analyzer) -> None:
    """A worksheet names the study, its agent and fluoroscopy and nothing that happened (its score alone
    would reach 'done'): no person need look; one sentence that it was done makes it uncertain again."""
    booking = ("MYELOGRAM - TECHNOLOGIST WORKSHEET\nRoom 3 set up.\nTray checked.\nOmnipaque 180 on hand.\n"
               "C-arm checked.\n")
    report = run(analyzer, booking)
    assert report.procedure_status == "not_documented"
    assert run(analyzer, booking + "Patient tolerated the procedure well.\n").procedure_status == "uncertain"


@pytest.mark.parametrize(("text", "signal"), [
    ("LUMBAR MYELOGRAM - CANCELLATION NOTE\nProcedure cancelled: INR 2.6. No needle placed.\n", "cancelled"),
    ("SPINE CLINIC\nHPI: leg pain.\nPlan: CT myelogram of the lumbar spine will be scheduled.\n", "planned_study"),
    ("PROCEDURE: L5-S1 interlaminar epidural steroid injection under fluoroscopy, 3 mL Omnipaque 180 "
     "showed epidural spread. 80 mg Depo-Medrol injected.\n", "other_procedure"),
    ("Dear Dr Marsh,\nThank you for asking me to see Mrs Lee. I have reviewed her CT myelogram, which showed"
     " L4-5 stenosis.\nYours sincerely,\nA. Surgeon\n", "other_document_type"),
    ("SPINE CLINIC\nHe returns to review the myelogram done at an outside facility: L2-3 puncture under"
     " fluoroscopy, 15 mL Omnipaque 180, AP and lateral images; severe L4-5 stenosis.\n", "study_elsewhere"),
])
def test_evidence_against_is_cited(analyzer: Analyzer, text: str, signal: str) -> None:
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    assert report.verdict == "not_applicable"
    assert signal in {s.id for s in report.procedure_decision.signals}


@pytest.mark.parametrize("stop", [
    "The patient became combative and the examination was ended.",
    "Exam ended prematurely at patient request.",
    "Study not completed due to patient motion.",
])
def test_a_stop_after_the_contrast_is_attempted_however_it_is_worded(analyzer: Analyzer, stop: str) -> None:
    text = ("LUMBAR MYELOGRAM\nUnder fluoroscopy a 22 g needle was placed at L2-3 with clear CSF and 10 mL "
            f"Omnipaque 180 was injected intrathecally.\n{stop}\n")
    assert run(analyzer, text).procedure_status == "attempted"


def test_a_stop_in_the_sentence_that_names_the_myelogram_is_a_stop(analyzer: Analyzer) -> None:
    text = ("LUMBAR MYELOGRAM\nUnder fluoroscopy a 22 gauge needle was placed at L2-3; the test injection was"
            " subdural.\nIMPRESSION: Myelogram aborted after test injections at L2-3; no diagnostic images.\n")
    assert run(analyzer, text).procedure_status == "attempted"


def test_a_document_that_tells_of_a_myelogram_does_not_report_one(analyzer: Analyzer) -> None:
    text = ("DISCHARGE SUMMARY\n\nPROCEDURES:\n1. CT myelogram, lumbar (see separate report)\n\n"
            "HOSPITAL COURSE:\nCT myelogram via lumbar puncture showed severe L3-4 stenosis with a block"
            " to the flow of contrast. He underwent laminectomy the next day.\n")
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    assert "other_document_type" in [s.id for s in report.procedure_decision.signals]
    heading_only = run(analyzer, "LUMBAR MYELOGRAM\n" + PROBE + "\nFollow-up: clinic in two weeks.\n")
    assert heading_only.procedure_status == "performed"


def test_a_study_done_at_another_facility_is_not_this_notes_procedure(analyzer: Analyzer) -> None:
    """The outside study's details (told over wrapped lines, then quoted for several sentences) do not
    add up to a myelogram here; the same details told as this encounter's do."""
    outside = ("CT LUMBAR SPINE - POST-MYELOGRAM\nHistory: leg pain. Intrathecal contrast was given earlier today at\n"
               "Valley Spine Center (outside facility): lumbar puncture L3-L4 under fluoroscopy, 15 mL Omnipaque 240.\n"
               "AP and lateral lumbar spot films were taken there. The patient tolerated it well.\n"
               "Findings: contrast fills the thecal sac. Moderate L4-5 stenosis.\n")
    report = run(analyzer, outside)
    assert report.procedure_status == "not_documented", report.procedure_decision
    assert "study_elsewhere" in [s.id for s in report.procedure_decision.signals]
    here = outside.replace("earlier today at\nValley Spine Center (outside facility)", "in this department")
    assert run(analyzer, here).procedure_status == "performed"
    past = outside.replace("Intrathecal contrast was given earlier today at",
                           "A previous myelogram was done in 2019 at")
    assert run(analyzer, "LUMBAR MYELOGRAM\nLP at L2-3 under fluoro, 15 mL Omnipaque 180 intrathecal. "
               "AP and lateral lumbar images. Impression: L4-5 stenosis.\n" + past).procedure_status == "performed"


@pytest.mark.parametrize("route", ["Omnipaque 180, 15 mL, IT", "15 mL Omnipaque 180 injected IT"])
def test_the_clinicians_it_is_the_thecal_sac(analyzer: Analyzer, route: str) -> None:
    """ "IT" after a dose, or after the verb that gives the contrast, is intrathecal."""
    report = run(analyzer, f"LUMBAR MYELOGRAM. Under fluoroscopy {route}. Lumbosacral images. Impression: stenosis.")
    entry = [s for s in report.procedure_decision.signals if s.id == "thecal_entry"]
    assert entry and any(e.label == "INTRATHECAL" and e.text.endswith("IT") for e in entry[0].evidence)


def test_an_outside_facility_in_a_sentence_about_a_past_study_speaks_of_that_study(analyzer: Analyzer) -> None:
    """History that tells of a myelogram done elsewhere (and of its contrast) does not make this note's
    own study an outside one."""
    history = ("CT MYELOGRAM, TOTAL SPINE\nHistory: orthostatic headache. Prior conventional myelogram at outside "
               "hospital 02/2025 nondiagnostic (rapid contrast dispersal, leak not localized).\n")
    procedure = ("Technique: L2-3 interspace localized with fluoro, 20 g spinal needle to the thecal sac, CSF clear, "
                 "opening pressure not measured. 10 mL Omnipaque 300 injected intrathecally. Images of the "
                 "cervical, thoracic and lumbar spine.\nImpression: ventral CSF leak at T7-8.\n")
    report = run(analyzer, history + procedure)
    assert report.procedure_status == "performed", report.procedure_decision
    assert "study_elsewhere" not in {s.id for s in report.procedure_decision.signals}
    # ("opening pressure not measured" is no plain diagnostic puncture: the measurement was not made)
    assert "other_procedure" not in {s.id for s in report.procedure_decision.signals}


def test_mentions_excluded_by_section_are_discounted_with_a_reason(analyzer: Analyzer) -> None:
    text = ("LUMBAR MYELOGRAM\nComparison: outside myelogram 2019 through an L4-5 puncture with Omnipaque.\n"
            "Technique: LP under fluoroscopy, 15 mL Isovue-M 200 intrathecal. AP and lateral lumbar images.\n"
            "Impression: mild stenosis.\n")
    element = run(analyzer, text).element("injection_site")
    assert element.status == "incomplete"
    reasons = [d.discount_reason for d in element.discounted]
    assert reasons and all(reasons), element.discounted
    assert "not found" not in element.reason


def test_decision_file_is_strict() -> None:
    data = json.loads(json.dumps(__import__("yaml").safe_load(
        (REPO / "patterns" / "procedure_decision.yaml").read_text(encoding="utf-8"))))
    assert validate(ProcedureDecisionSpec, data, "procedure_decision.yaml").thresholds.done > 0
    data["thresholds"] = {"done": 1.0, "uncertain": 2.0}
    with pytest.raises(RuleFileError, match="thresholds"):
        validate(ProcedureDecisionSpec, data, "procedure_decision.yaml")
    data["thresholds"] = {"done": 3.5, "uncertain": 2.5}
    data["signals"][0]["when"]["assertions"] = ["maybe"]
    with pytest.raises(RuleFileError, match=r"signals\.0\.when\.assertions"):
        validate(ProcedureDecisionSpec, data, "procedure_decision.yaml")
    data["signals"][0]["when"]["assertions"] = ["affirmed"]
    data["done_needs_one_of"] = [["thecal_entry"], ["no_such_signal"]]
    with pytest.raises(RuleFileError, match="no_such_signal"):
        validate(ProcedureDecisionSpec, data, "procedure_decision.yaml")


def test_named_parts_without_the_study_happening_are_not_a_myelogram_done(analyzer: Analyzer) -> None:
    """A protocol written before the study names it, its level, agent and fluoroscopy: a score of named
    parts, but no needle in the thecal sac, no contrast going in and no images read."""
    protocol = ("LUMBAR MYELOGRAM - PROTOCOL\nLevel: L2-3. Agent: Omnipaque 180, 10 mL. Fluoroscopy: yes. "
                "Films: AP and lateral.\n")
    report = run(analyzer, protocol)
    assert report.procedure_status in {"uncertain", "not_documented"}
    assert run(analyzer, PROBE).procedure_status == "performed"


def test_a_title_naming_another_procedure_owns_an_unnamed_puncture(analyzer: Analyzer) -> None:
    text = ("CT CISTERNOGRAM\nUnder fluoroscopy a 22 gauge needle entered the thecal sac at L2-3 and 10 mL "
            "Omnipaque 300 was injected intrathecally. AP and lateral images. Impression: no CSF leak.\n")
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented", report.procedure_decision
    assert "other_procedure_titled" in [s.id for s in report.procedure_decision.signals]
    named = run(analyzer, "LUMBAR MYELOGRAM AND CT CISTERNOGRAM\n" + text.split("\n", 1)[1])
    assert "other_procedure_titled" not in [s.id for s in named.procedure_decision.signals]


def test_every_signal_label_is_a_target_label() -> None:
    from docanalyzer.resolve.signals import decision_spec
    from docanalyzer.rule_files import load_rules

    labels = load_rules().labels
    spec = decision_spec()
    used = {label for s in spec.signals if s.when for label in [*s.when.labels, *(s.when.near or [])]}
    rules = [*spec.outcome.abort, spec.outcome.handoff, spec.outcome.no_films, *spec.sentence_veto]
    used |= {label for rule in rules for label in [*rule.labels, *(rule.near or []), *(rule.not_near or [])]}
    assert used <= labels, sorted(used - labels)


def test_explain_procedure_shows_signals_and_thresholds(runner, tmp_path) -> None:
    from docanalyzer.cli import app

    note = tmp_path / "probe.txt"
    note.write_text(PROBE, encoding="utf-8")
    result = runner.invoke(app, ["explain", "--procedure", str(note)])
    assert result.exit_code == 0, result.output
    assert "procedure_status: performed" in result.stdout
    assert "procedure_named" in result.stdout and "done at >= " in result.stdout
    assert "line 1" in result.stdout


CERVICAL_VIA_LUMBAR = (
    "CERVICAL MYELOGRAM (LUMBAR INJECTION)\n"
    "TECHNIQUE: The lumbar region was prepped and draped. Under fluoroscopy a 22 g needle entered the lumbar "
    "thecal sac at L2-3 and 10 mL Omnipaque 300 was injected. Contrast was run from the lumbar region to the "
    "cervical region. AP and lateral images of the cervical spine were obtained.\n"
    "FINDINGS: C5-6 disc osteophyte complex effacing the ventral subarachnoid space.\n"
    "IMPRESSION: C5-6 stenosis.\n"
)


def test_the_needles_way_in_and_the_contrasts_origin_are_not_regions_imaged(analyzer: Analyzer) -> None:
    report = run(analyzer, CERVICAL_VIA_LUMBAR)
    assert report.procedure_status == "performed"
    assert report.regions == ["cervical"]
    assert report.code_review.suggested_codes[0].code == "62302"


def test_a_region_only_in_passing_still_counts_when_nothing_else_names_one(analyzer: Analyzer) -> None:
    text = ("MYELOGRAM\nUnder fluoroscopy a needle entered the thecal sac at L2-3; 15 mL Omnipaque 180 injected. "
            "AP and lateral images obtained.\nFINDINGS: Severe L4-5 central stenosis; L5-S1 normal.\n"
            "IMPRESSION: Severe L4-5 stenosis.\n")
    assert run(analyzer, text).regions == ["lumbosacral"]  # the levels read name the region


def test_digital_subtraction_runs_are_myelographic_images(analyzer: Analyzer) -> None:
    """A dynamic (digital subtraction) myelogram read in the note, then a CT: performed, not injection-only."""
    text = ("EXAM: DYNAMIC MYELOGRAM (DIGITAL SUBTRACTION) WITH POST-MYELOGRAM CT\n"
            "TECHNIQUE: Under fluoroscopy a 22 g needle entered the thecal sac at L2-3 and 10 mL Omnipaque 300 "
            "was injected during rapid biplane digital subtraction acquisition of the thoracic spine. The "
            "patient was then transferred to CT.\n"
            "FINDINGS: Early venous opacification at right T10 consistent with a CSF-venous fistula.\n"
            "IMPRESSION: Right T10 CSF-venous fistula.\n")
    assert run(analyzer, text).procedure_status == "performed"


def test_a_ct_read_after_a_myelogram_reported_separately_does_not_report_the_myelogram(analyzer: Analyzer) -> None:
    """A CT read after someone else's myelogram, which has its own report, is no myelogram done in
    this note; the injecting radiologist's own note (the needle entering) is at least injection-only."""
    ct_only = ("Exam: CT LUMBAR SPINE WITH CONTRAST (POST-MYELOGRAM)\nHistory: leg pain. Myelogram performed this"
               " afternoon by the on-site radiologist (separate report).\nTechnique: axial CT after intrathecal"
               " contrast administration.\nFindings: severe L4-5 central canal stenosis.\nImpression: severe L4-5"
               " stenosis.\n")
    report = run(analyzer, ct_only)
    assert report.procedure_status in ("uncertain", "not_documented"), report.procedure_decision
    assert "reported_elsewhere" in {s.id for s in report.procedure_decision.signals}
    own = ("MYELOGRAM INJECTION FOR CT\n22 g needle at L2-3 under fluoroscopy, CSF clear. 10 mL Omnipaque 300"
           " injected intrathecally. To CT; see separate CT report.\n")
    assert run(analyzer, own).procedure_status == "injection_only"


@pytest.mark.parametrize("wording", [
    "No conventional myelographic films were obtained. Patient taken directly to CT.",
    "No myelographic or fluoroscopic images were saved; the patient was brought straight to CT.",
])
def test_no_conventional_films_then_ct_is_injection_only(analyzer: Analyzer, wording: str) -> None:
    text = ("CT MYELOGRAM CERVICAL (LUMBAR INJECTION)\nConsent, time-out. 22 g needle into the thecal sac at L3/4"
            " under fluoro, CSF clear. 10 mL Omnipaque 300 injected intrathecally. " + wording + "\n"
            "FINDINGS: C6-7 severe right foraminal stenosis.\n")
    assert run(analyzer, text).procedure_status == "injection_only"


def test_a_form_body_of_unticked_options_or_a_signature_is_no_interpretation(analyzer: Analyzer) -> None:
    """A findings field whose only words are the template's unticked options, or an empty impression
    followed by the signature, reads nothing; a ticked puncture field is the thecal sac entered."""
    form = ("LUMBAR MYELOGRAM\nPuncture: [X] lumbar, interspace L3-4    Needle: 22 g\n"
            "Contrast: Omnipaque 180, 15 mL intrathecal\nViews: [X] AP [X] lateral lumbar spine\n\n"
            "FINDINGS:   [ ] normal   [ ] stenosis   [ ] disc herniation   [ ] root compression\n\n"
            "IMPRESSION: Electronically signed: R. Njoroge, MD\n")
    report = run(analyzer, form)
    assert report.procedure_status == "performed"
    assert report.element("interpretation").status == "missing"
    assert "thecal_entry" in {s.id for s in report.procedure_decision.signals}


def test_a_negative_aspiration_negates_what_was_aspirated_only(analyzer: Analyzer) -> None:
    """Lines without full stops, joined: "negative aspiration for blood and CSF" does not reach the
    epidural spread the contrast shows further on (the note stays an epidural, not a myelogram)."""
    text = ("PROCEDURE: Right L5-S1 transforaminal epidural steroid injection under fluoroscopic guidance "
            "22 g spinal needle advanced to the right L5-S1 foramen Negative aspiration for blood and CSF "
            "1 mL Omnipaque 240 injected showing epidural spread along the L5 root")
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    assert "other_procedure" in {s.id for s in report.procedure_decision.signals}
