"""A form's answer to a history row (resolve/form_answers.py): ticked yes/no, a YES/NO grid, a value
after a separator, a blank field; read the same when the form is wrapped or joined into one line."""

from __future__ import annotations

import pytest

from docanalyzer.metamorphic import REWRITES
from docanalyzer.resolve.form_answers import row_answer

GRID = ("HISTORY / INDICATION                YES    NO    N/A    Comment\n"
        "  Prior spine surgery               [X]    [ ]   [ ]    L4-5 laminectomy 2016\n"
        "  Prior CT/MRI nondiagnostic        [ ]    [X]   [ ]    no imaging since 2016\n"
        "  Failed conservative care          [ ]    [ ]   [ ]\n")


def answer_for(text: str, phrase: str) -> str | None:
    start = text.index(phrase)
    return row_answer(text, start, start + len(phrase))


@pytest.mark.parametrize(("text", "phrase", "expected"), [
    ("Prior spine surgery .................. [ ] yes  [X] no\n", "spine surgery", "no"),
    ("Prior spine surgery .................. [X] yes  [ ] no\n", "spine surgery", "yes"),
    ("Failed conservative tx ............... [ ] yes  [ ] no\n", "conservative tx", "blank"),
    ("MRI contraindicated: [X] No    Reason: ______\n", "MRI contraindicated", "no"),
    ("Prior spine surgery:  Yes [ ]  No [X]\n", "spine surgery", "no"),
    ("HX_PRIOR_SPINE_SURG\tN\nHX_PRIOR_IMG_NONDX\t\nHX_MRI_CI\tY\n", "SPINE_SURG", "no"),
    ("HX_PRIOR_SPINE_SURG\tN\nHX_PRIOR_IMG_NONDX\t\nHX_MRI_CI\tY\n", "NONDX", "blank"),
    ("OBX|5|CE|PRIOR_SPINE_SURG^Prior spine surgery||N^^L||||||F\n", "SPINE_SURG", "no"),
    ("10\tHX\tPrior spine surgery\tNo\n11\tHX\tPrior imaging\tCT limited by habitus\n", "spine surgery", "no"),
    ("Prior imaging nondiagnostic .......... N/A\n", "nondiagnostic", "blank"),
    (GRID, "spine surgery", "yes"),
    (GRID, "nondiagnostic", "no"),
    (GRID, "conservative care", "blank"),
    # prose, a comment after the answer, and a value that is not yes/no: no answer
    ("No prior spine surgery. MRI is contraindicated because of a pacemaker.\n", "spine surgery", None),
    ("Prior spine surgery: L4-5 laminectomy 2016\n", "spine surgery", None),
    (GRID, "laminectomy", None),
    ("[X] Failed conservative therapy -- details: PT 8 wks, naproxen\n     no lasting relief\n", "PT", None),
])
def test_row_answer(text: str, phrase: str, expected: str | None) -> None:
    assert answer_for(text, phrase) == expected


GRID_NO_COMMENTS = "\n".join(line[:54].rstrip() for line in GRID.splitlines()) + "\n"


@pytest.mark.parametrize("rewrite", ["wrap60", "one_paragraph"])
@pytest.mark.parametrize("phrase", ["spine surgery", "nondiagnostic", "conservative care"])
def test_a_grid_reads_the_same_wrapped_or_joined(rewrite: str, phrase: str) -> None:
    """Boxes and heading words are read in order, not by column."""
    assert answer_for(REWRITES[rewrite](GRID_NO_COMMENTS), phrase) == answer_for(GRID, phrase) is not None


def test_a_comment_joined_to_the_next_rows_label_lends_it_no_answer() -> None:
    """Joined into one line, a row's comment runs into the next row's label: where one ends is
    unknown, so neither the comment nor that label takes the next boxes' answer (ConText reads them)."""
    joined = REWRITES["one_paragraph"](GRID)
    assert answer_for(joined, "laminectomy") is None
    assert answer_for(joined, "nondiagnostic") is None
    assert answer_for(joined, "spine surgery") == "yes"


@pytest.mark.parametrize("rewrite", ["wrap60", "one_paragraph"])
def test_ticked_rows_read_the_same_wrapped_or_joined(rewrite: str) -> None:
    rows = ("Contrast reaction hx ................. [ ] yes  [X] no\n"
            "Prior spine surgery .................. [ ] yes  [X] no   (per patient)\n"
            "MRI contraindication ................. [X] yes  [ ] no   metallic FB L orbit\n")
    text = REWRITES[rewrite](rows)
    assert answer_for(text, "spine surgery") == "no"
    assert answer_for(text, "MRI contraindication") == "yes"


JOINED_ROWS = ("Response:  [ ] Adequate relief   [X] Inadequate / no relief PRIOR SPINE SURGERY:  [ ] Yes  [X] No "
               "MRI_CONTRAINDICATION PRIOR_IMAGING\tNone")


def test_a_label_stops_where_the_next_fields_header_starts() -> None:
    """Rows joined into one line: the next row's label and answer are not this mention's."""
    start = JOINED_ROWS.index("no relief")
    end = start + len("no relief")
    assert row_answer(JOINED_ROWS, start, end) == "no"  # (read through to the next row's boxes)
    assert row_answer(JOINED_ROWS, start, end, JOINED_ROWS.index("PRIOR SPINE")) is None


def test_a_field_name_followed_at_once_by_the_next_fields_is_blank() -> None:
    start = JOINED_ROWS.index("MRI_CONTRAINDICATION")
    end = start + len("MRI_CONTRAINDICATION")
    assert row_answer(JOINED_ROWS, start, end, JOINED_ROWS.index("PRIOR_IMAGING")) == "blank"


def test_the_analyzer_reads_a_joined_rows_own_answer(analyzer) -> None:
    from docanalyzer.normalize import normalize
    from docanalyzer.resolve.mentions import build_view

    text = ("LUMBAR MYELOGRAM FORM CONSERVATIVE TREATMENT: [X] Physical therapy   [X] NSAIDs " + JOINED_ROWS)
    doc = analyzer.nlp.make_doc(normalize(text))
    analyzer.component.annotate(doc)
    failure = [m for m in build_view(doc).mentions if m.label == "TX_FAILURE"]
    assert failure and failure[0].assertion == "affirmed"


def test_a_phrase_in_a_note_all_in_capitals_is_no_field_name() -> None:
    """In a note all in capitals, "NO RELIEF" right before the next header is a phrase, not a blank field."""
    text = "CONS TX: PT X12 VISITS, MELOXICAM, CHIRO - NO RELIEF\nPSH: S/P L5-S1 LAMINOTOMY\n"
    start = text.index("NO RELIEF")
    assert row_answer(text, start, start + len("NO RELIEF"), text.index("PSH")) is None
    assert row_answer(text, start, start + len("NO RELIEF"), text.index("PSH"), "NO_RELIEF") == "blank"
