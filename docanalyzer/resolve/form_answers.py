"""A form's own answer to the history field a mention names.

Templates and EHR exports answer a history row by its layout, not in words ConText can read:

- a ticked yes or no: ``Prior spine surgery ........ [ ] yes  [X] no``, ``MRI contraindicated: [X] No``;
- a checked box under a ``YES  NO  N/A`` heading: ``Prior spine surgery   [X]   [ ]   [ ]``;
- a value after the field's separator: ``HX_PRIOR_SPINE_SURG<TAB>N``, ``Prior spine surgery||N^^L``,
  ``Prior spine surgery: None``; or no value at all (a blank field).

The answer is read only for a mention in the row's label (before the answer), never for words in
the row's free-text comment after it. A grid is read by the order of its boxes and of its heading's
words, not by their columns, so the same form wrapped at a narrow width or joined into one line
(as exports deliver it) gives the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from docanalyzer.letter_case import has_lower

Answer = Literal["yes", "no", "blank"]

# The labels of the history elements, whose templates ask yes/no questions.
ANSWERED_LABELS = frozenset({
    "MRI_BARRIER", "MRI_CONTRAINDICATED", "MRI_UNSAFE_DEVICE", "IMAGING_INADEQUATE", "CONSERVATIVE_TX",
    "TX_FAILURE", "SPINE_SURGERY", "SPINE_SURGERY_STATUS",
})

_BOX = r"[\[(][ \t]*(?P<{name}>[xX\u2713\u2714*])?[ \t]*[\])]"
# what may stand between the label's words and the answer: more label words, then a separator
# (leaders, a colon, a tab, pipes, an HL7 component mark or a column gap), a line break at most
_LABEL_REST = re.compile(
    r"[A-Za-z0-9 /()'&,?^_-]{0,48}?(?P<sep>[ \t]*(?:\.{2,}|:|\t|\|+|\^+|[ \t]{2,}|(?=\n))[ \t.]*\n?[ \t]*)")
_ANSWER_WORD = r"(?P<{name}>yes|y|no|n)\b"
_TICKED_PAIR = re.compile(
    _BOX.format(name="first") + r"[ \t]*" + _ANSWER_WORD.format(name="first_word") + r"[\s.]*"
    + _BOX.format(name="second") + r"[ \t]*" + _ANSWER_WORD.format(name="second_word"), re.IGNORECASE)
_WORD_THEN_BOX_PAIR = re.compile(
    _ANSWER_WORD.format(name="first_word") + r"[ \t]*" + _BOX.format(name="first") + r"[\s.]*"
    + _ANSWER_WORD.format(name="second_word") + r"[ \t]*" + _BOX.format(name="second"), re.IGNORECASE)
_TICKED_ONE = re.compile(r"[\[(][ \t]*[xX\u2713\u2714][ \t]*[\])][ \t]*(?P<word>yes|no)\b", re.IGNORECASE)
_BOXES = re.compile(r"(?:" + _BOX.format(name="mark") + r"\s*){2,4}(?=\s|$)")
_ONE_BOX = re.compile(_BOX.format(name="mark"))
_ANSWER_AFTER_BOX = re.compile(r"[ \t]*(?:yes|no|y|n)\b", re.IGNORECASE)
# a value ends its field: the line ends, or a separator, or (an export joined into one line) the
# next field's name and its tab, pipe or colon
_VALUE = re.compile(
    r"(?m)(?P<value>yes|y|no|n|none|negative|denies|denied|n/?a|_{2,})?[ \t]*"
    r"(?=$|\||\^|\t|[ \t]{2,}|(?<=[ \t])(?-i:[A-Z])[A-Za-z0-9 /()-]{0,40}?[\t|:])", re.IGNORECASE)
# a grid's heading: its answer words side by side ("YES    NO    N/A")
_ANSWERS = r"(?:yes|no|n/a|unk(?:nown)?)"
_HEADING = re.compile(r"(?i)(?<![A-Za-z/\]])" + _ANSWERS + r"(?:\s+" + _ANSWERS + r")+(?![A-Za-z/])")
_HEADING_WORD = re.compile("(?i)" + _ANSWERS)
_WORDS = {"yes": "yes", "y": "yes", "no": "no", "n": "no", "none": "no", "negative": "no", "denies": "no",
          "denied": "no"}
_HEADING_LOOK_BACK = 2000  # characters: a grid's rows follow its heading
_FIELD_NAME = re.compile(r"[A-Z0-9]+(?:[_ ][A-Z0-9]+)*")  # ("HX_PRIOR_SPINE_SURG", as normalized: spaces)
_ROW_REACH = 240  # characters after the mention: its row, wrapped once at most


def row_answer(text: str, start: int, end: int, next_header: int | None = None,
               mention_text: str | None = None) -> Answer | None:
    """The answer the form gives to the field whose label holds ``text[start:end]``, or None when
    the row gives none (prose, or a value that is not a plain yes/no). The label may go on past the
    mention ("SPINE_SURG^Prior spine surgery||N"): each separator after it is tried in turn, but the
    label stops at ``next_header``, where the next field's own label starts (rows joined into one line).
    ``mention_text`` is the mention as the user wrote it (normalizing made an export's underscores spaces)."""
    after_box = _words_after_a_box(text, start)
    limit = min(len(text), end + _ROW_REACH)
    # (the label and its separator end before the next field's name: "relief 10<TAB>HX<TAB>..." is a
    # comment, then a row number, not a label whose value is the next row)
    label_limit = limit if next_header is None else min(limit, next_header - 1)
    if label_limit < limit and not text[end:next_header].strip() and _field_name(text, mention_text or text[start:end]):
        return "blank"  # a field name, then at once the next field's ("MRI_CONTRAINDICATION PRIOR_SURGERY|N")
    answer = _ticked(text, end, limit)
    position = end
    while answer is None:
        label = _LABEL_REST.match(text, position, label_limit)
        if label is None or label.end() == position:
            return None
        rest = label.end()
        answer = _ticked(text, rest, limit) or _grid(text, start, rest, limit)
        if "\n" in label.group():
            # the row ends at its line (wrapped once at most): a field with nothing after its
            # separator is blank ("MRI_CONTRAINDICATION<TAB>" then the next field's line)
            if answer is None and _is_field_separator(label["sep"].split("\n")[0]):
                answer = _value(text, label, rest, limit) or "blank"
            break
        answer = answer or _value(text, label, rest, limit)
        position = rest
    if after_box is not None and not _plausible_label(after_box + text[start:position]):
        return None  # (a comment after the row's boxes, joined to the next row's label: unknown)
    return answer


def _field_name(text: str, label: str) -> bool:
    """An export's field name: words joined by underscores, or in capitals in a note that uses both
    cases (in a note all in capitals, "NO RELIEF" is a phrase like any other)."""
    return bool(_FIELD_NAME.fullmatch(label)) and ("_" in label or has_lower(text))


def _words_after_a_box(text: str, start: int) -> str | None:
    """The words between a box earlier in the row and the mention, when nothing else stands there;
    None when no box does, or a field or the previous row's ticked answer ends there ("[ ] yes [X] no
    Prior spine surgery", "[ ]  Reason: ____ Prior MRI nondiagnostic": rows joined into one line)."""
    line_start = text.rfind("\n", max(0, start - 80), start) + 1
    window = max(line_start, start - 80)
    boxes = list(_ONE_BOX.finditer(text, window, start))
    if not boxes:
        return None
    between = text[boxes[-1].end() : start]
    if _ANSWER_AFTER_BOX.match(between) or any(mark in between for mark in (":", "__", "\t", "|")):
        return None
    return between


def _plausible_label(words: str) -> bool:
    """A row's label after the boxes of the row before: a few words and no number (a comment after
    a row's boxes tells a level or a date: "L4-5 laminectomy 2016")."""
    return len(words.split()) <= 8 and not any(c.isdigit() for c in words)


def _ticked(text: str, start: int, limit: int) -> Answer | None:
    for pattern in (_TICKED_PAIR, _WORD_THEN_BOX_PAIR):
        pair = pattern.match(text, start, limit)
        if pair is not None:
            first, second = bool(pair["first"]), bool(pair["second"])
            if first == second:
                return "blank" if not first else None
            return _WORDS[(pair["first_word"] if first else pair["second_word"]).lower()]
    one = _TICKED_ONE.match(text, start, limit)
    return _WORDS[one["word"].lower()] if one else None


def _grid(text: str, label_start: int, start: int, limit: int) -> Answer | None:
    """Boxes after the label, read against the nearest heading of answer words before the label:
    the first checked box answers with the heading's word in the same place."""
    boxes = _BOXES.match(text, start, limit)
    if boxes is None:
        return None
    heading = _nearest_heading(text, label_start)
    if not heading:
        return None
    marks = [bool(m["mark"]) for m in _ONE_BOX.finditer(text, boxes.start(), boxes.end())]
    if not any(marks):
        return "blank"
    if marks.count(True) > 1 or marks.index(True) >= len(heading):
        return None
    return {"yes": "yes", "no": "no"}.get(heading[marks.index(True)], "blank")


def _nearest_heading(text: str, before: int) -> list[str]:
    """The answer words of the last heading before ``before`` ("YES NO N/A" -> ["yes", "no", "n/a"])."""
    last = None
    for heading in _HEADING.finditer(text, max(0, before - _HEADING_LOOK_BACK), before):
        last = heading
    return [word.lower() for word in _HEADING_WORD.findall(last.group())] if last else []


def _value(text: str, label: re.Match[str], start: int, limit: int) -> Answer | None:
    """A plain value after a separator (a tab, pipes, a colon, leaders or a column gap) that ends
    its field; no value after a field's separator is a blank field."""
    value = _VALUE.match(text, start, limit)
    if value is None:
        return None
    word = (value["value"] or "").lower()
    if not word or word.startswith("_") or word.replace("/", "") == "na":
        return "blank" if _is_field_separator(label["sep"]) else None
    return _WORDS.get(word)


def _is_field_separator(separator: str) -> bool:
    """A separator that makes what follows a field's value (an empty one is a blank field)."""
    return any(mark in separator for mark in ("\t", "|", ":", "^", ".."))


def answered(assertion: str, categories: frozenset[str], answer: Answer | None,
             assertion_of: Callable[[frozenset[str]], str]) -> str:
    """The mention's assertion once the form's answer is read: "no" negates it, a blank field leaves
    it blank, "yes" takes back a negation or blank that ConText read from a neighbouring answer."""
    if answer == "no":
        return "negated"
    if answer == "blank":
        return "template_blank"
    if answer == "yes" and assertion in ("negated", "template_blank"):
        return assertion_of(categories - {"NEGATED_EXISTENCE", "TEMPLATE_BLANK"})
    return assertion
