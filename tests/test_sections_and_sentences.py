"""Sections and sentences as notes arrive from many EHRs (issue 11): headers in running text,
sections that end with their paragraph, sentences in one-case and hard-wrapped text, dictation."""

from __future__ import annotations

import pytest

from docanalyzer import Analyzer
from docanalyzer.normalize import normalize
from docanalyzer.pipeline.sentences import sentence_start_chars
from docanalyzer.resolve.mentions import build_view


def sections_of(analyzer: Analyzer, text: str) -> list[tuple[str | None, str]]:
    doc = analyzer.nlp.make_doc(normalize(text))
    analyzer.component.annotate(doc)
    view = build_view(doc)
    return [(s.category, text[s.start : s.end].strip()) for s in view.sections]


def category_at(analyzer: Analyzer, text: str, phrase: str) -> str | None:
    position = text.index(phrase)
    doc = analyzer.nlp.make_doc(normalize(text))
    analyzer.component.annotate(doc)
    for section in build_view(doc).sections:
        if section.start <= position < section.end:
            return section.category
    return None


@pytest.mark.parametrize(("text", "phrase", "category"), [
    ("Lumbar myelogram done. IMPRESSION: mild stenosis.", "mild stenosis", "impression"),
    ("DOB 1/1/1960 Exam: lumbar myelogram Reason for exam: leg pain", "leg pain", "indication"),
    ("OBX|1|TX PROC|myelogram AIR_KERMA_MGY|4 FINDINGS|normal thecal sac", "normal thecal sac", "findings"),
    ("Prior CT: limited by motion\nTechnique: LP at L2-3", "limited by motion", None),
    ("Plan -\nCT myelogram next week", "CT myelogram", "plan"),
    ("lumbar myelogram with lp at l3-4 impression: mild stenosis", "mild stenosis", "impression"),
    ("Lumbar myelogram with LP at L3-4 impression: mild stenosis", "mild stenosis", None),
    # a header alone on its line before the note was flattened: capitals, no colon
    ("Diabetes, diet controlled HISTORY OF PRESENT ILLNESS 71-year-old man", "71-year-old", "indication"),
    ("Laminectomy done, EBL 150 mL. Discharged home.", "150 mL", None),
    # a whole field of a pipe export, right after its pipes, whatever comes before on the line
    ("OBX|5|TX|&GDT^REPORT||FINDINGS: Conus at L1-2, no stenosis.||||||F", "Conus at L1-2", "findings"),
    # premedication for a contrast allergy is a medication list, not a treatment tried and failed
    ("ALLERGIES|iodinated contrast - hives\nPREMED|Prednisone 50 mg PO 13 h prior", "Prednisone", "medications"),
    ("Exam: lumbar myelogram. Premedication: prednisone 50 mg x3 doses", "prednisone", "medications"),
    # a title line joined to the header after it: the named header wins over the run of capitals
    ("EXAMINATION: MRI LUMBAR SPINE WITH MR MYELOGRAPHY CLINICAL HISTORY: 43M, leg pain", "MR MYELOGRAPHY", "title"),
    ("EXAMINATION: MRI LUMBAR SPINE WITH MR MYELOGRAPHY CLINICAL HISTORY: 43M, leg pain", "43M", "indication"),
    # a letterhead joined to the header below it: a run of capitals that ends in a name is that header
    ("LAKESHORE COMMUNITY HOSPITAL - RADIOLOGY PROCEDURE: Intrathecal contrast injection", "Intrathecal", "title"),
    ("PRINCIPAL DIAGNOSIS: lumbar stenosis", "lumbar stenosis", "other"),
    # a label in capitals with no name is the nearest word, not the title's words before it
    ("EXAMINATION: FLUOROSCOPIC LUMBAR PUNCTURE WITH OPENING PRESSURE DATE: 10/29/2025", "OPENING", "title"),
    # a tab export's field, joined into running text
    ("Exam\tLumbar myelogram Indication\tLow back pain, 3 months", "Low back pain", "indication"),
    ("Discharge summary.\nPROCEDURES THIS ADMISSION:\n- Myelogram, lumbar (10/20/2025)", "Myelogram", "title"),
    # "Header - text" in running text, as it is at a line start (a name only)
    ("Outpatient procedure note, Lumbar Myelogram Indication - Low back pain, 8 months", "Low back pain", "indication"),
    # a template drawn in a box: the bars and rules are layout
    ("+--------------------------+\n| FINDINGS - LUMBAR        |\n|  Thecal sac opacified.   |\n"
     "+--------------------------+\n", "Thecal sac", "findings"),
])
def test_headers_in_running_text(analyzer: Analyzer, text: str, phrase: str, category: str | None) -> None:
    assert category_at(analyzer, text, phrase) == category


def test_a_history_line_does_not_swallow_the_procedure(analyzer: Analyzer) -> None:
    text = "Hx: low back pain.\nLumbar puncture at L2-3 under fluoroscopy.\nOmnipaque 180 injected.\n"
    assert category_at(analyzer, text, "low back pain") == "indication"
    assert category_at(analyzer, text, "Lumbar puncture") is None


def test_an_indication_in_running_text_goes_on_while_it_tells_history(analyzer: Analyzer) -> None:
    """A note flattened to one paragraph: the indication's later sentences of history stay in it (so
    a past outside attempt is history there too), and it ends where the procedure's account begins."""
    text = ("LUMBAR MYELOGRAM. Indication: 70M with leg pain for 4 months. Pacemaker, MRI contraindicated. "
            "PT for 6 weeks failed. Access at L3-4 midline. Under fluoroscopy a 22 g needle entered the thecal "
            "sac. IMPRESSION: L4-5 stenosis.")
    assert category_at(analyzer, text, "Pacemaker") == "indication"
    assert category_at(analyzer, text, "PT for 6 weeks") == "indication"
    assert category_at(analyzer, text, "Access at L3-4") is None  # no history told: the account has begun
    assert category_at(analyzer, text, "Under fluoroscopy") is None


def test_an_indication_in_running_text_goes_on_through_history_that_names_the_thecal_sac(analyzer: Analyzer) -> None:
    """A sentence of history may name what the procedure will reach (a prior CT "limited for the
    thecal sac") without starting the procedure's account; the needle does start it."""
    text = ("LUMBAR MYELOGRAM. Indication: 74M, claudication. Non-contrast CT 02/2025 limited for evaluation "
            "of the thecal sac. A 22 g needle was placed at L2-3 under fluoroscopy.")
    assert category_at(analyzer, text, "Non-contrast CT") == "indication"
    assert category_at(analyzer, text, "22 g needle") != "indication"


def test_a_blank_field_ends_at_its_blank_when_the_template_goes_on(analyzer: Analyzer) -> None:
    """A blank template field flattened into one line with the next: the blank is the field's body."""
    text = "FINDINGS: ____________ ____________ IMPRESSION: ____________ Post-procedure instructions given."
    assert category_at(analyzer, text, "Post-procedure") is None


def test_a_field_in_running_text_ends_with_its_sentence(analyzer: Analyzer) -> None:
    text = "Time out done. Allergies: none. Patient prone, LP at L2-3 under fluoroscopy."
    assert category_at(analyzer, text, "none") == "medications"
    assert category_at(analyzer, text, "LP at") is None


def test_a_section_goes_on_after_a_field_in_its_running_text(analyzer: Analyzer) -> None:
    text = ("HOSPITAL COURSE:\nAdmitted to neurosurgery. Exam: hip flexion 4-/5. A CT myelogram was done by"
            " radiology.\n\nDISCHARGE MEDICATIONS:\nnone\n")
    assert category_at(analyzer, text, "hip flexion") == "title"
    assert category_at(analyzer, text, "A CT myelogram") == "hospital_course"


def test_in_a_note_flattened_to_one_line_each_header_starts_its_own_section(analyzer: Analyzer) -> None:
    text = ("CLINICAL INFORMATION: leg pain. COMPARISON: MRI 11/2023. PROCEDURE: Consent signed. LP at L2-3"
            " under fluoroscopy.")
    assert category_at(analyzer, text, "Consent signed") == "title"
    assert category_at(analyzer, text, "LP at L2-3") not in ("indication", "comparison")


def test_a_header_in_capitals_without_colon_is_not_a_field_inside_the_section_before(analyzer: Analyzer) -> None:
    """A consent paragraph, then a procedure header that stood alone on its line: once the note is one
    paragraph, the text after the header is the procedure's, not more of the consent."""
    text = ("LUMBAR MYELOGRAM CLINICAL INFORMATION Leg pain. CONSENT Written informed consent obtained after "
            "discussion of risks. PROCEDURE Prone position. "
            "Sterile prep. Fluoroscopic localization of the L2-3 interspace. FINDINGS Normal conus.")
    assert category_at(analyzer, text, "Written informed") == "consent"
    assert category_at(analyzer, text, "Fluoroscopic localization") != "consent"


def test_an_impression_put_first_ends_at_its_blank_line(analyzer: Analyzer) -> None:
    text = "IMPRESSION: mild L4-5 stenosis.\n\nLUMBAR MYELOGRAM\nLP at L2-3 under fluoroscopy.\n"
    assert category_at(analyzer, text, "mild L4-5") == "impression"
    assert category_at(analyzer, text, "LP at") != "impression"


def starts(text: str) -> list[str]:
    return [text[i : i + 12] for i in sentence_start_chars(text)]


def test_lower_case_sentences_split_at_full_stops_not_abbreviations() -> None:
    found = starts("lumbar myelogram. needle placed by dr. smith at l2-3. omnipaque injected.")
    assert found == ["needle place", "omnipaque in"]


def test_hard_wrapped_lines_go_on_whatever_the_case_of_the_next_word() -> None:
    text = ("Under fluoroscopic guidance a 22 gauge needle was advanced into\n"
            "L2-3 and Omnipaque 180 was injected\nFINDINGS: normal\n")
    found = starts(text)
    assert "L2-3 and Omn" not in found
    assert "FINDINGS: no" in found


def test_every_wrapped_line_of_a_bulleted_paragraph_goes_on() -> None:
    """A list template that bullets every line of a wrapped paragraph: each wrap joins, the second and
    third as well as the first (the bullet the join before consumed still starts a line)."""
    text = ("- A 72-year-old man with neurogenic claudication who underwent a lumbar myelogram with CT on\n"
            "- 03/01/2025 after an L2-3 puncture. MRI was not possible because of his spinal cord\n"
            "- stimulator (implanted 2018 for painful diabetic neuropathy), which is not conditional.\n")
    normalized = normalize(text)
    assert len(normalized) == len(text)
    assert "\n" not in normalized.rstrip("\n")
    assert "spinal cord   stimulator" in normalized


def test_each_line_of_a_checklist_is_its_own_sentence_whatever_the_case() -> None:
    text = "[x] mri contraindicated\n[ ] prior mri nondiagnostic\n[x] failed conservative therapy"
    assert starts(text) == ["[ ] prior mr", "[x] failed c"]


def test_a_checkbox_line_answers_the_field_above() -> None:
    assert starts("Prior spine surgery:\n[ ] yes [ ] no\nLevel: L2-3") == ["Level: L2-3"]


def test_spoken_punctuation_of_dictation_becomes_marks() -> None:
    said = "pain for 8 months period He failed physical therapy comma meloxicam period\nnext"
    written = normalize(said)
    assert len(written) == len(said)
    assert "months." in written and "therapy," in written and "period" not in written
    assert normalize("a period of six weeks") == "a period of six weeks"


def test_a_field_line_in_capitals_is_a_header_only_where_capitals_say_so(analyzer: Analyzer) -> None:
    """A note in both cases tells a field ("Sacroiliac joints: degenerative.") from a header in capitals;
    the same note in capitals must read the same, so a line in capitals with its value on the line is a
    field there, while a header alone on its line still starts a section."""
    text = ("CT FINDINGS: L4-5 moderate canal stenosis.\nSacroiliac joints: degenerative.\n"
            "Visualized retroperitoneum: unremarkable.\n")
    mixed = category_at(analyzer, text, "degenerative")
    assert mixed == category_at(analyzer, text.upper(), "DEGENERATIVE")
    alone = "CT FINDINGS: L4-5 MODERATE CANAL STENOSIS.\nATTESTATION:\nI PERFORMED THE PROCEDURE.\n"
    assert category_at(analyzer, alone, "PERFORMED") != category_at(analyzer, alone, "STENOSIS")


def test_a_bullet_put_before_the_wrapped_part_of_a_sentence_is_read_through() -> None:
    text = ("- Completed 8 weeks of physical therapy and gabapentin without\n- meaningful relief.\n"
            "- Pacemaker.\n")
    normalized = normalize(text)
    assert len(normalized) == len(text)
    assert "without   meaningful relief" in normalized.replace("\n", " ")
    assert "\n- Pacemaker" in normalized  # an item of its own stays one
    lower = text.lower()
    assert normalize(lower) == lower  # in a note all in lower case every item starts in lower case


def test_an_abbreviation_before_a_lower_case_word_does_not_end_the_sentence() -> None:
    text = "Consent: risks incl. dural puncture and headache discussed. Patient agreed."
    assert starts(text) == ["Patient agre"]  # (the only start after the first: not at "dural")


def test_a_pipe_delimited_field_line_is_not_joined_to_a_long_line_before_it() -> None:
    text = ("triage|esi 3|bp 148/92|hr 88|rr 16|t 36.9 c|spo2 99% ra|pain 8/10\n"
            "chief_complaint|headache after myelogram yesterday\n")
    assert "\n" in normalize(text).rstrip("\n")  # (a wrapped line would be joined with a space)
    assert "\n" in normalize(text.upper()).rstrip("\n")


def test_an_indented_header_after_a_line_of_fields_holds_its_own_line(analyzer: Analyzer) -> None:
    """A form's header indented on its line (" Level:") is matched from its line start, which lies
    inside the token holding the line break: the header must still own the text after it."""
    text = ("PROCEDURE\n Guidance: [X] Fluoroscopy   Fluoro time: 0.6 min   Air kerma: 6.1 mGy\n"
            " Level: [ ] L1-2  [X] L2-3  [ ] L3-4\n Needle: 22 g Quincke\n")
    assert category_at(analyzer, text, "[X] L2-3") == "injection_site"


@pytest.mark.parametrize(("text", "starts_at"), [
    ("Procedure as documented: - Prone on the table - Immediate CT T1-L2", ["Prone", "Immediate"]),
    ("22 g needle at L2-L3 - Omnipaque 300, 14 mL", ["Omnipaque"]),
    ("MRI not permitted - CT lumbar spine (outside): nondiagnostic", ["CT lumbar"]),
])
def test_a_dash_bullet_inside_a_line_starts_a_sentence(text: str, starts_at: list[str]) -> None:
    """A list flattened into one line keeps its items apart, as the line breaks did."""
    starts = sentence_start_chars(text)
    assert all(text.index(word) in starts for word in starts_at)


def test_a_boxs_option_before_the_next_field_label_stays_with_its_box() -> None:
    """A form's rows joined into one line: "[ ] CT" is the option of the row before, not the first
    word of the label "Puncture level:", so the unticked box still blanks it."""
    text = "Imaging guidance:      [X] Fluoroscopy  [ ] CT Puncture level:        L3-L4"
    starts = sentence_start_chars(text)
    assert text.index("Puncture") in starts and text.index("CT") not in starts
    row = "INDICATIONS: [X] Radiculopathy  - side/level: bilateral L5"
    assert row.index("- side") not in sentence_start_chars(row)


def test_a_field_label_in_capitals_joined_to_a_title_starts_at_its_own_word() -> None:
    """A title joined to the field after it: the label is the run of capitals before the colon."""
    text = "PROCEDURE: Intrathecal contrast injection for CT myelogram DATE: 03/24/2025 PATIENT: Doe, Jane     MRN: 1"
    starts = sentence_start_chars(text)
    assert text.index("DATE") in starts and text.index("MRN") in starts
    assert text.index("CT myelogram") not in starts and text.index("Jane") not in starts


@pytest.mark.parametrize("text", [
    "Stenosis at L4-5 - moderate.", "Omnipaque 180 - 15 mL injected.", "T5 - T9 filled.",
    "LUMBAR MYELOGRAM - ATTEMPTED, NOT COMPLETED", "Lumbar myelogram (planned) - ABORTED\n",
])
def test_a_dash_between_values_is_not_a_bullet(text: str) -> None:
    assert sentence_start_chars(text) == []


def test_a_tab_export_field_in_capitals_is_not_read_as_a_wrapped_line() -> None:
    """In a note all in capitals a long line goes on into the next unless that one starts a field;
    "COMPLICATIONS<TAB>NONE" starts one, as "COMPLICATIONS: NONE" does."""
    text = "IMAGES\tAP AND LATERAL SPOT FILMS OF THE LUMBAR SPINE, PRONE AND DECUBITUS\nCOMPLICATIONS\tNONE\n"
    assert "\n" in normalize(text).rstrip("\n")


def test_an_exports_numbered_row_is_not_a_wrapped_line() -> None:
    """A long row of a tab export, then the next numbered row: two rows, not one wrapped sentence."""
    text = ("9\tHX\tConservative\tPT x12 visits, duloxetine 60, 2 caudal ESIs (2024) - no durable relief\n"
            "10\tHX\tPrior spine surgery\tNo\n")
    assert normalize(text) == text
    assert normalize(text.lower()) == text.lower()


RUN_ON = ("Informed consent obtained after discussion of risks benefits and alternatives Time out performed "
          "Patient placed prone Lower back prepped with chlorhexidine and draped 22 gauge spinal needle placed "
          "at L3-L4 under fluoroscopy Clear CSF returned 17 mL Omnipaque 180 injected intrathecally")


def test_lines_without_full_stops_joined_into_one_paragraph_split_at_their_clauses() -> None:
    starts = sentence_start_chars(RUN_ON)
    for clause in ("Time out", "Patient placed", "Lower back"):
        assert RUN_ON.index(clause) in starts


def test_a_run_on_is_not_split_inside_a_name_or_in_a_note_with_line_breaks() -> None:
    named = RUN_ON + " she had an attempted myelogram at Eastbrook Medical Center on 07/22 which was aborted"
    assert named.index("Center on") not in sentence_start_chars(named)
    with_lines = RUN_ON.replace(" Clear CSF", "\nClear CSF")
    assert with_lines.index("Patient placed") not in sentence_start_chars(with_lines)


DICTATED = ("Under fluoroscopic guidance a 22 gauge spinal needle was advanced at the L2 L3 interspace into the "
            "thecal sac with return of clear CSF\n"
            "10 mL of Omnipaque 300 was injected intrathecally and seen to flow freely\n"
            "Procedure was stopped and the needle was removed\n"
            "No myelographic images of the cervical spine were obtained\n")


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_a_note_in_one_case_typed_a_sentence_per_line_keeps_its_lines(case) -> None:
    """Lines of every length, none near the note's widest, are not a text hard-wrapped at a width."""
    text = case(DICTATED)
    assert normalize(text) == text
    starts = sentence_start_chars(text)
    for line in ("10 ML", "PROCEDURE WAS", "NO MYELOGRAPHIC"):
        assert text.upper().index(line) in starts


def test_a_forms_next_row_is_not_a_wrapped_line() -> None:
    """A long form row, then the next row (a label, a column gap or a box): two rows, whatever the
    case of the next row's first letter; the next row's "[x] No" answers that row only."""
    text = ("Prior treatment  [x] PT  [ ] NSAIDs  [x] ESI    Response  no relief after any of them\n"
            "Prior spine surgery  [ ] Yes  [x] No\n")
    assert text.index("Prior spine") in sentence_start_chars(text)
    prose = ("Under fluoroscopic guidance a spinal needle was advanced at the L2-3 interspace into\n"
             "Thecal sac with return of clear CSF.\n")
    assert prose.index("Thecal") not in sentence_start_chars(prose)
