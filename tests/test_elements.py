"""Element-by-element unit tests on short synthetic notes.

``myelogram_note()`` builds a complete lumbar myelogram note from parts; each test replaces one
part, so a failure points at one element and one phrasing. Expected statuses follow
eval/ANNOTATION.md, never the analyzer's current output.
"""

from __future__ import annotations

import pytest
from conftest import ELEMENT_IDS

from docanalyzer import Analyzer, Report

# --- note builders ---------------------------------------------------------------------------

BASE_PARTS: dict[str, str] = {
    "title": "LUMBAR MYELOGRAM",
    "symptoms": (
        "Low back pain radiating into the left leg with numbness of the left foot for six months."
    ),
    "mri": (
        "The patient has a permanent pacemaker that is not MRI conditional, so MRI cannot be done."
    ),
    "prior_imaging": (
        "A CT of the lumbar spine last month was nondiagnostic because of streak artifact."
    ),
    "conservative": (
        "Eight weeks of physical therapy and daily NSAIDs gave no relief of the symptoms."
    ),
    "history": "Status post L4-5 laminectomy in 2017.",
    "access": (
        "After local anesthesia, a 22-gauge spinal needle was advanced into the thecal sac "
        "at the L2-3 interspace and clear CSF returned."
    ),
    "contrast": "15 mL of Omnipaque 180 was injected intrathecally.",
    "fluoro": "Needle placement was monitored with real-time fluoroscopy.",
    "images": "AP, lateral and oblique images of the lumbar spine were obtained.",
    "findings": (
        "Moderate central spinal stenosis at L3-4 with compression of the left L4 nerve root. "
        "The conus ends normally."
    ),
    "impression": "Moderate L3-4 spinal stenosis with left L4 nerve root compression.",
}

NOTE_TEMPLATE = """{title}

CLINICAL INDICATION: {symptoms} {mri} {prior_imaging} {conservative}

RELEVANT HISTORY: {history}

TECHNIQUE: {access} {contrast} {fluoro} {images}

FINDINGS: {findings}

IMPRESSION: {impression}
"""


def myelogram_note(**parts: str) -> str:
    """A complete lumbar myelogram note; keyword arguments replace one part each."""
    unknown = set(parts) - set(BASE_PARTS)
    assert not unknown, f"unknown note parts: {sorted(unknown)}"
    return NOTE_TEMPLATE.format(**{**BASE_PARTS, **parts})


CONSULT_TEMPLATE = """SPINE CLINIC CONSULTATION

HISTORY OF PRESENT ILLNESS: The patient is a 61-year-old man with low back pain radiating into the
right leg for nine months. Physical therapy and naproxen did not help.

{history}

PLAN:
{plan}
"""


def consult_note(history: str = "", plan: str = "Follow up in clinic in six weeks.") -> str:
    """An outpatient consult: no procedure is performed in this encounter."""
    return CONSULT_TEMPLATE.format(history=history, plan=plan)


def run(analyzer: Analyzer, text: str) -> Report:
    report = analyzer.analyze(text, document_id="synthetic")
    assert report.errors == [], f"analysis failed: {report.errors}"
    return report


def status_of(analyzer: Analyzer, element_id: str, text: str) -> str:
    return run(analyzer, text).element(element_id).status


def case(element_id: str, expected: str, case_id: str, **parts: str):
    return pytest.param(element_id, parts, expected, id=f"{element_id}-{case_id}")


# --- the base note ---------------------------------------------------------------------------

ALL_IDS = ELEMENT_IDS


def test_base_note_is_a_complete_performed_lumbar_myelogram(analyzer: Analyzer) -> None:
    report = run(analyzer, myelogram_note())
    assert report.procedure_status == "performed"
    assert report.regions == ["lumbosacral"]
    assert {e.id: e.status for e in report.elements} == dict.fromkeys(ALL_IDS, "documented")
    assert [c.code for c in report.code_review.suggested_codes] == ["62304"]
    assert report.code_review.modifiers == []
    assert report.verdict == "complete"
    assert report.score == 100


@pytest.mark.parametrize("element_id", ALL_IDS)
def test_documented_element_has_evidence_inside_the_note(analyzer: Analyzer,
                                                         element_id: str) -> None:
    text = myelogram_note()
    element = run(analyzer, text).element(element_id)
    assert element.status == "documented"
    assert element.evidence, f"{element_id} is documented without evidence"
    for ev in element.evidence:
        assert text[ev.start : ev.end] == ev.text


# --- one part changed: documented / incomplete / missing -------------------------------------

ELEMENT_CASES = [
    # injection_site
    case("injection_site", "documented", "L2-3-interspace"),
    case("injection_site", "documented", "L3/4-slash",
         access="A 22-gauge spinal needle was placed into the thecal sac at L3/4."),
    case("injection_site", "documented", "L2-L3-spelled-out",
         access="A 22-gauge spinal needle was advanced into the subarachnoid space at L2-L3."),
    case("injection_site", "incomplete", "lumbar-puncture-without-level",
         access="A lumbar puncture was performed with a 22-gauge needle; clear CSF returned."),
    case("injection_site", "incomplete", "needle-in-thecal-sac-without-level",
         access="A 22-gauge spinal needle was advanced into the thecal sac; clear CSF returned."),
    case("injection_site", "missing", "template-level-blank",
         access="\nNeedle: 22 G spinal needle\nPuncture level: ______\n"),
    # contrast_agent
    case("contrast_agent", "documented", "omnipaque"),
    case("contrast_agent", "documented", "isovue-m",
         contrast="12 mL of Isovue-M 200 was injected intrathecally."),
    case("contrast_agent", "documented", "iohexol-generic-name",
         contrast="12 mL of iohexol 240 mgI/mL was instilled intrathecally."),
    case("contrast_agent", "incomplete", "contrast-without-name",
         contrast="15 mL of contrast was injected intrathecally."),
    case("contrast_agent", "incomplete", "dye-without-name",
         contrast="15 mL of dye was instilled intrathecally."),
    case("contrast_agent", "missing", "template-blank-underscores",
         contrast="\nContrast agent: ______\nVolume (mL): 15\n"),
    # fluoroscopic_guidance
    case("fluoroscopic_guidance", "documented", "real-time-fluoroscopy"),
    case("fluoroscopic_guidance", "documented", "c-arm",
         fluoro="The needle position was confirmed with C-arm fluoroscopy."),
    case("fluoroscopic_guidance", "missing", "not-stated", fluoro=""),
    case("fluoroscopic_guidance", "missing", "fluoroscopy-not-used",
         fluoro="Landmarks were identified by palpation; fluoroscopy was not used."),
    case("fluoroscopic_guidance", "missing", "without-fluoroscopic-guidance",
         fluoro="The needle was placed without fluoroscopic guidance."),
    case("fluoroscopic_guidance", "missing", "fluoroscopy-not-performed",
         fluoro="Fluoroscopy was not performed."),
    case("fluoroscopic_guidance", "missing", "template-checkbox-blank",
         fluoro="\nFluoroscopic guidance: [ ] yes [ ] no\n"),
    # region_imaged
    case("region_imaged", "documented", "lumbar-title-and-views"),
    case("region_imaged", "documented", "title-only", images="Images were obtained."),
    case("region_imaged", "missing", "no-region-stated",
         title="MYELOGRAM", images="Multiple images were obtained."),
    # interpretation
    case("interpretation", "documented", "findings-and-impression"),
    case("interpretation", "documented", "impression-only",
         findings="",
         impression="Moderate L3-4 spinal stenosis with left L4 nerve root compression."),
    case("interpretation", "missing", "template-blanks",
         findings="______", impression="______"),
    # mri_contraindication
    case("mri_contraindication", "documented", "pacemaker"),
    case("mri_contraindication", "documented", "spinal-cord-stimulator",
         mri="She has a spinal cord stimulator that is not MR conditional."),
    case("mri_contraindication", "documented", "claustrophobia",
         mri="MRI could not be completed because of severe claustrophobia."),
    case("mri_contraindication", "documented", "body-habitus",
         mri="Body habitus exceeds the weight limit of the MRI scanner."),
    case("mri_contraindication", "documented", "metallic-foreign-body",
         mri="He has a metallic foreign body in the right orbit, so MRI is unsafe."),
    case("mri_contraindication", "incomplete", "contraindicated-without-reason",
         mri="MRI is contraindicated."),
    case("mri_contraindication", "missing", "not-stated", mri=""),
    case("mri_contraindication", "missing", "no-pacemaker",
         mri="There is no pacemaker, no defibrillator and no other implanted device."),
    case("mri_contraindication", "missing", "denies-claustrophobia",
         mri="She denies claustrophobia."),
    case("mri_contraindication", "missing", "negative-for-implants",
         mri="MRI safety screening was negative for implanted devices."),
    case("mri_contraindication", "missing", "family-members-pacemaker",
         mri="Her mother has a pacemaker."),
    case("mri_contraindication", "missing", "device-removed-in-past",
         mri="Her spinal cord stimulator was removed in 2019."),
    case("mri_contraindication", "missing", "template-checkbox-blank",
         mri="\nPacemaker: [ ] yes [ ] no\n"),
    # prior_imaging_inadequate
    case("prior_imaging_inadequate", "documented", "ct-nondiagnostic"),
    case("prior_imaging_inadequate", "documented", "mri-limited-by-motion",
         prior_imaging="A lumbar MRI in May was limited by motion artifact."),
    case("prior_imaging_inadequate", "documented", "mri-inconclusive",
         prior_imaging="The outside lumbar MRI was inconclusive at L4-5."),
    case("prior_imaging_inadequate", "documented", "mri-with-and-without-contrast-inconclusive",
         prior_imaging="MRI of the lumbar spine with and without gadolinium last month was inconclusive."),
    case("prior_imaging_inadequate", "documented", "leak-not-localized-inconclusive",
         prior_imaging="Spine MRI showed an epidural collection but the leak was not localized (inconclusive)."),
    case("prior_imaging_inadequate", "missing", "not-stated", prior_imaging=""),
    case("conservative_treatment_failed", "documented", "tfesi-without-relief",
         conservative="Right S1 TFESI 9/2024 w/o relief."),
    case("conservative_treatment_failed", "documented", "only-about-two-weeks-of-relief",
         conservative="Physiotherapy and two epidural steroid injections gave only about two weeks of relief each."),
    case("conservative_treatment_failed", "documented", "checkbox-outcome-on-its-own-line",
         conservative="\nConservative treatment:\n [X] PT  [X] NSAIDs  [X] ESI  [ ] Chiropractic\n"
                      " Outcome:  [X] Failed / no relief  [ ] Partial  [ ] Improved\n"),
    case("conservative_treatment_failed", "documented", "no-useful-improvement",
         conservative="No useful improvement with six weeks of physiotherapy and regular naproxen."),
    case("conservative_treatment_failed", "documented", "absent-reflex-earlier-in-the-sentence",
         conservative="Right S1 radiculopathy with an absent ankle reflex for 4 months, not improved with 10 weeks "
                      "of chiropractic care."),
    case("prior_imaging_inadequate", "missing", "mri-was-diagnostic",
         prior_imaging="A lumbar MRI last month was diagnostic."),
    case("prior_imaging_inadequate", "missing", "no-prior-imaging",
         prior_imaging="No prior MRI or CT has been performed."),
    case("prior_imaging_inadequate", "missing", "only-hypothetical",
         prior_imaging="If a repeat MRI is nondiagnostic, consider CT."),
    # symptoms
    case("symptoms", "documented", "pain-and-numbness"),
    case("symptoms", "documented", "claudication",
         symptoms="Neurogenic claudication after walking one block."),
    case("symptoms", "documented", "weakness",
         symptoms="Progressive weakness of the right leg."),
    case("symptoms", "missing", "not-stated",
         symptoms="Preoperative evaluation at the request of neurosurgery."),
    case("symptoms", "missing", "denies",
         symptoms="The patient denies back pain, leg pain, numbness or weakness."),
    case("symptoms", "missing", "negative-for",
         symptoms="Review of systems is negative for back pain, numbness and weakness."),
    case("symptoms", "missing", "no-symptoms",
         symptoms="No pain, no numbness and no weakness."),
    case("symptoms", "missing", "family-members-pain",
         symptoms="Her father has chronic back pain."),
    # conservative_treatment_failed
    case("conservative_treatment_failed", "documented", "pt-and-nsaids-no-relief"),
    case("conservative_treatment_failed", "documented", "esi-without-relief",
         conservative="Two epidural steroid injections provided no lasting relief."),
    case("conservative_treatment_failed", "documented", "failed-pt",
         conservative="She failed physical therapy."),
    case("conservative_treatment_failed", "incomplete", "pt-no-outcome",
         conservative="She completed six weeks of physical therapy."),
    case("conservative_treatment_failed", "incomplete", "nsaids-no-outcome",
         conservative="He has been taking ibuprofen."),
    case("conservative_treatment_failed", "missing", "not-stated", conservative=""),
    case("conservative_treatment_failed", "missing", "treatment-worked",
         conservative="Physical therapy resolved the leg pain completely."),
    case("conservative_treatment_failed", "missing", "never-tried",
         conservative="She has not had physical therapy or injections."),
    case("conservative_treatment_failed", "missing", "only-planned",
         conservative="If symptoms persist, consider physical therapy."),
    case("conservative_treatment_failed", "missing", "template-checkbox-blank",
         conservative="\nConservative therapy failed: [ ] yes [ ] no\nDetails: ______\n"),
    # prior_spine_surgery
    case("prior_spine_surgery", "documented", "status-post-laminectomy"),
    case("prior_spine_surgery", "documented", "prior-microdiscectomy",
         history="Prior left L5-S1 microdiscectomy in 2015."),
    case("prior_spine_surgery", "documented", "failed-back-surgery-syndrome",
         history="Failed back surgery syndrome after an L4-S1 fusion."),
    case("prior_spine_surgery", "missing", "not-stated", history="Hypertension."),
    case("prior_spine_surgery", "missing", "denies",
         history="She denies prior back surgery."),
    case("prior_spine_surgery", "missing", "no-history-of",
         history="No history of spine surgery."),
    case("prior_spine_surgery", "missing", "father-had-a-fusion",
         history="Hypertension. Family history: father had a fusion."),
    case("prior_spine_surgery", "missing", "template-checkbox-blank",
         history="\nPrior spine surgery: [ ] yes [ ] no\nProcedure/level: ______\n"),
]


@pytest.mark.parametrize(("element_id", "parts", "expected"), ELEMENT_CASES)
def test_element_status(analyzer: Analyzer, element_id: str, parts: dict[str, str],
                        expected: str) -> None:
    report = run(analyzer, myelogram_note(**parts))
    element = report.element(element_id)
    assert element.status == expected, (
        f"{element_id}: expected {expected}, got {element.status} ({element.reason}); "
        f"evidence={[e.text for e in element.evidence]}"
    )


@pytest.mark.parametrize(("element_id", "parts", "expected"), ELEMENT_CASES)
def test_missing_element_has_no_supporting_evidence(analyzer: Analyzer, element_id: str,
                                                    parts: dict[str, str], expected: str) -> None:
    element = run(analyzer, myelogram_note(**parts)).element(element_id)
    if element.status == "missing":
        assert element.evidence == []
        assert element.values == {}
    else:
        assert element.evidence, f"{element_id} is {element.status} without evidence"


# --- discounted mentions keep their ConText assertion ----------------------------------------

@pytest.mark.parametrize(
    ("element_id", "parts", "assertion"),
    [
        pytest.param("mri_contraindication",
                     {"mri": "There is no pacemaker and no other implanted device."}, "negated",
                     id="no-pacemaker-negated"),
        pytest.param("prior_spine_surgery", {"history": "She denies prior back surgery."},
                     "negated", id="denies-surgery-negated"),
        pytest.param("prior_spine_surgery",
                     {"history": "Hypertension. Family history: father had a fusion."}, "family",
                     id="father-fusion-family"),
        pytest.param("contrast_agent", {"contrast": "\nContrast agent: ______\nVolume (mL): 15\n"},
                     "template_blank", id="contrast-blank"),
        pytest.param("symptoms", {"symptoms": "The patient denies back pain."}, "negated",
                     id="denies-pain-negated"),
        # a checklist's question answered "no", then the next question: on its own line, in a column
        # layout, and joined into one line
        pytest.param("prior_spine_surgery", {"history": "Prior lumbar surgery?  NO\nAnticoagulation?  NO"},
                     "negated", id="question-no-own-line"),
        pytest.param("prior_spine_surgery", {"history": "Prior lumbar surgery?  NO      Allergy?  NO"},
                     "negated", id="question-no-columns"),
        pytest.param("prior_spine_surgery", {"history": "Prior lumbar surgery? NO Anticoagulation? NO"},
                     "negated", id="question-no-joined"),
    ],
)
def test_discounted_mentions_are_reported(analyzer: Analyzer, element_id: str,
                                          parts: dict[str, str], assertion: str) -> None:
    element = run(analyzer, myelogram_note(**parts)).element(element_id)
    assert element.status == "missing"
    assert assertion in {ev.assertion for ev in element.discounted}, (
        f"discounted: {[(ev.text, ev.assertion) for ev in element.discounted]}"
    )


# --- extracted values --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("access", "level"),
    [
        pytest.param("A spinal needle was placed into the thecal sac at the L2-3 interspace.",
                     "L2-L3", id="L2-3"),
        pytest.param("A spinal needle was placed into the thecal sac at L3/4.", "L3-L4", id="L3/4"),
        pytest.param("A spinal needle was placed into the thecal sac at l3/4.", "L3-L4", id="l3/4"),
        pytest.param("A spinal needle was placed into the thecal sac at L2-L3.", "L2-L3",
                     id="L2-L3"),
        pytest.param("A spinal needle was placed into the thecal sac at L4 to L5.", "L4-L5",
                     id="L4-to-L5"),
        pytest.param("A spinal needle was placed into the thecal sac at L2\u20133.", "L2-L3",
                     id="L2-en-dash-3"),
        pytest.param("A spinal needle was placed into the thecal sac at L5-S1.", "L5-S1",
                     id="L5-S1"),
    ],
)
def test_injection_level_is_normalised(analyzer: Analyzer, access: str, level: str) -> None:
    element = run(analyzer, myelogram_note(access=access)).element("injection_site")
    assert element.status == "documented"
    assert element.values.get("level") == level
    assert element.values.get("approach") == "lumbar"


@pytest.mark.parametrize(
    ("contrast", "agent", "concentration", "volume"),
    [
        pytest.param("15 mL of Omnipaque 180 was injected intrathecally.", "iohexol", 180, 15,
                     id="15mL-Omnipaque-180"),
        pytest.param("12 mL of Isovue-M 200 was injected intrathecally.", "iopamidol", 200, 12,
                     id="12mL-Isovue-M-200"),
        pytest.param("Omnipaque 300, 10 mL, was instilled intrathecally.", "iohexol", 300, 10,
                     id="Omnipaque-300-10mL"),
        pytest.param("17 cc of iohexol 240 mgI/mL was injected intrathecally.", "iohexol", 240, 17,
                     id="17cc-iohexol-240"),
    ],
)
def test_contrast_values(analyzer: Analyzer, contrast: str, agent: str, concentration: float,
                         volume: float) -> None:
    element = run(analyzer, myelogram_note(contrast=contrast)).element("contrast_agent")
    assert element.status == "documented"
    assert element.values.get("agent") == agent
    assert element.values.get("concentration_mgi_ml") == concentration
    assert element.values.get("volume_ml") == volume
    assert element.values.get("iodine_mg") == concentration * volume
    assert element.values.get("intrathecal_approved") is True


def test_contrast_values_name_as_written_is_quoted_from_the_note(analyzer: Analyzer) -> None:
    text = myelogram_note(contrast="15 mL of Omnipaque 180 was injected intrathecally.")
    element = run(analyzer, text).element("contrast_agent")
    assert element.values.get("name_as_written", "").lower().startswith("omnipaque")
    assert element.values["name_as_written"] in text


@pytest.mark.parametrize(
    ("parts", "regions", "codes"),
    [
        pytest.param({}, ["lumbosacral"], ["62304"], id="lumbar"),
        pytest.param(
            {"title": "THORACIC AND LUMBAR MYELOGRAM",
             "images": "AP and lateral images of the thoracic and lumbar spine were obtained.",
             "findings": "Mild spinal stenosis at L3-4. The thoracic spinal canal is normal.",
             "impression": "Mild L3-4 spinal stenosis; normal thoracic myelogram."},
            ["thoracic", "lumbosacral"], ["62305"], id="thoracic-and-lumbar",
        ),
        pytest.param(
            {"title": "CERVICAL MYELOGRAM",
             "images": ("The contrast was run up into the cervical region with the patient "
                        "prone and images of the cervical spine were obtained."),
             "findings": "Moderate spinal stenosis at C5-6 with compression of the left C6 root.",
             "impression": "Moderate C5-6 spinal stenosis with left C6 nerve root compression."},
            ["cervical"], ["62302"], id="cervical-via-lumbar",
        ),
        pytest.param(
            {"title": "THORACIC MYELOGRAM",
             "images": "AP and lateral images of the thoracic spine were obtained.",
             "findings": "Spinal stenosis at T10-11 from a calcified disc.",
             "impression": "Spinal stenosis at T10-11."},
            ["thoracic"], ["62303"], id="thoracic",
        ),
    ],
)
def test_regions_and_codes(analyzer: Analyzer, parts: dict[str, str], regions: list[str],
                           codes: list[str]) -> None:
    report = run(analyzer, myelogram_note(**parts))
    assert report.procedure_status == "performed"
    assert report.regions == regions
    assert report.element("region_imaged").status == "documented"
    assert report.element("region_imaged").values.get("regions") == regions
    assert [c.code for c in report.code_review.suggested_codes] == codes


def test_mri_contraindication_device_value(analyzer: Analyzer) -> None:
    element = run(analyzer, myelogram_note()).element("mri_contraindication")
    assert any("pacemaker" in device for device in element.values.get("devices", []))


# --- procedure status: consults, history, plans, plain punctures -----------------------------

PROCEDURE_ELEMENTS = ("injection_site", "contrast_agent", "fluoroscopic_guidance",
                      "region_imaged", "interpretation")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(consult_note(history=(
            "PAST SURGICAL HISTORY: None.\n\nIMAGING: A previous myelogram in 2019 at an outside "
            "hospital, with Omnipaque injected at L2-3 under fluoroscopy, showed mild stenosis "
            "at L4-5."
        )), id="historical-previous-myelogram-2019"),
        pytest.param(consult_note(plan=(
            "1. If symptoms persist, consider a lumbar myelogram with Omnipaque via L2-3 puncture "
            "under fluoroscopy.\n2. Continue naproxen."
        )), id="hypothetical-if-persist-consider"),
        pytest.param(consult_note(plan=(
            "1. Lumbar myelogram was scheduled today but not performed because anticoagulation "
            "had not been held; the myelogram will be rescheduled."
        )), id="plan-will-be-rescheduled"),
        pytest.param(consult_note(plan=(
            "1. CT myelogram of the lumbar spine will be ordered.\n2. Physical therapy referral."
        )), id="plan-ct-myelogram-ordered"),
    ],
)
def test_consult_mentioning_a_myelogram_is_not_a_performed_myelogram(analyzer: Analyzer,
                                                                      text: str) -> None:
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    assert report.regions == []
    assert report.code_review.suggested_codes == []
    assert report.verdict == "not_applicable"
    for element_id in PROCEDURE_ELEMENTS:
        assert report.element(element_id).status == "missing", element_id


@pytest.fixture(scope="module")
def unscreened() -> Analyzer:
    return Analyzer(screen=False)


def test_consult_keeps_necessity_elements(unscreened: Analyzer) -> None:
    report = run(unscreened, consult_note())
    assert report.procedure_status == "not_documented"
    assert not report.screened_out
    assert report.element("symptoms").status == "documented"
    assert report.element("conservative_treatment_failed").status == "documented"


def test_note_without_any_procedure_cue_is_screened_out(analyzer: Analyzer) -> None:
    """No myelogram, intrathecal or contrast cue: the checklist cannot apply (patterns/screening.json)."""
    report = run(analyzer, consult_note())
    assert report.screened_out
    assert (report.procedure_status, report.verdict, report.elements) == ("not_documented", "not_applicable", [])


def test_screening_never_hides_a_consult_that_mentions_a_myelogram(analyzer: Analyzer) -> None:
    report = run(analyzer, consult_note(plan="If MRI remains nondiagnostic, consider a CT myelogram."))
    assert not report.screened_out
    assert report.element("symptoms").status == "documented"


def test_plain_lumbar_puncture_no_contrast_was_injected(analyzer: Analyzer) -> None:
    text = """PROCEDURE NOTE: DIAGNOSTIC LUMBAR PUNCTURE

INDICATION: Headache and fever; evaluate for meningitis.

PROCEDURE: Written consent was obtained. With the patient in the left lateral decubitus position,
a 20-gauge spinal needle was inserted at the L3-4 interspace and entered the subarachnoid space.
Opening pressure was 18 cm H2O. Clear CSF was collected in four tubes. No contrast was injected.

IMPRESSION: Technically successful lumbar puncture. CSF sent for analysis.
"""
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    assert report.element("contrast_agent").status == "missing"
    assert report.code_review.suggested_codes == []


def test_epidural_injection_with_omnipaque_is_not_a_myelogram(analyzer: Analyzer) -> None:
    text = """PROCEDURE: Right L5-S1 transforaminal epidural steroid injection.

INDICATION: Right leg pain in an L5 distribution despite physical therapy.

TECHNIQUE: Under fluoroscopic guidance a 22-gauge spinal needle was advanced to the right L5-S1
foramen. 1 mL of Omnipaque 240 confirmed epidural spread without intrathecal or vascular uptake.
40 mg of triamcinolone with 1 mL of 1% lidocaine was injected.

IMPRESSION: Successful right L5-S1 transforaminal epidural steroid injection.
"""
    report = run(analyzer, text)
    assert report.procedure_status == "not_documented"
    for element_id in PROCEDURE_ELEMENTS:
        assert report.element(element_id).status == "missing", element_id


def test_attempted_myelogram_gets_modifier_53(analyzer: Analyzer) -> None:
    text = myelogram_note(
        contrast=("Despite three attempts at L2-3 and L3-4 no CSF could be obtained, and the "
                  "procedure was aborted before any contrast was injected."),
        access="A 22-gauge spinal needle was advanced toward the thecal sac at L2-3.",
        images="No images were obtained.",
        findings="None; the myelogram was not completed.",
        impression="Unsuccessful attempted lumbar myelogram (dry tap).",
    )
    report = run(analyzer, text)
    assert report.procedure_status == "attempted"
    assert [m.code for m in report.code_review.modifiers] == ["53"]
    assert [c.code for c in report.code_review.suggested_codes][:1] == ["62304"]


def test_billed_code_is_carried_into_code_review(analyzer: Analyzer) -> None:
    report = analyzer.analyze(myelogram_note(), document_id="x", billed_code="62304")
    assert report.code_review.billed_code == "62304"
    assert report.document_id == "x"


def test_level_value_comes_from_the_puncture_not_the_history(analyzer: Analyzer) -> None:
    text = myelogram_note(
        prior_imaging="A lumbar MRI was equivocal at L5-S1, and the surgeon requests myelography.",
        access="A 22-gauge spinal needle was placed into the thecal sac at L3-4 with clear CSF return.",
    )
    element = run(analyzer, text).element("injection_site")
    assert (element.status, element.values.get("level")) == ("documented", "L3-L4")
