"""Sentence boundaries that follow the line structure of clinical notes.

Measured on MTSamples, PyRuSH took about 90% of stock medspaCy's time; clinical notes carry
most of their structure in line breaks (headers, template fields, bullets), so boundaries are
found with two regular expressions over the text and set on the Doc in one array operation:

- a line break starts a sentence, unless the line was wrapped mid-sentence (the line before has
  no closing punctuation and the next line goes on in lower case);
- ., ? or ! followed by white space and a capital, a digit or a non-letter starts a sentence.
"""

import itertools
import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from docanalyzer.letter_case import has_lower, has_upper
from docanalyzer.normalize import wrapped_line_length
from docanalyzer.pipeline.fast_matching import doc_text

_LINE_BREAK = re.compile(r"\n[ \t\n]*(?=\S)")
_AFTER_FULL_STOP = re.compile(r"(?<=[.?!])[ \t]+(?=[A-Z0-9]|[^\w\s])")
# Notes typed or exported in lower case still end their sentences with a full stop; a lower-case
# word after one starts a sentence unless the word before is an abbreviation or an initial.
_BEFORE_LOWER = re.compile(r"[.?!][ \t]+(?=[a-z])")
# A bullet inside a line ("... Clear CSF returned * Contrast agent: ___ * AP views ..."), as lists
# flattened to one line carry them, starts a sentence.
_INLINE_BULLET = re.compile(r"(?<=\S)[ \t]+[*\u2022\u25cf\u25aa][ \t]+(?=\S)")
# so does a dash before a capitalized word ("- Immediate CT", "- CT lumbar spine"), in a note
# that uses both cases; a word in capitals alone is a title's qualifier ("Myelogram - ABORTED")
_INLINE_DASH = re.compile(r"(?<=\S)[ \t]+-[ \t]+(?=[A-Z][a-z]|[A-Z]{2,}[A-Z0-9]*[ \t]+[a-z])")
# A capitalized field label inside a line ("... NOTE -- LUMBAR Date of service: ____ Referring
# service: ..."), as forms flattened to one line carry them, starts a sentence, so a blank field's
# scope stops at its own label (notes using both letter cases only: in one-case text any word looks
# like a label).
_FIELD_IN_LINE = re.compile(r"(?<![A-Za-z0-9/&()'-])[A-Z][A-Za-z/&()'-]*(?:[ \t]+[A-Za-z/&()'-]+){0,3}(?=:[ \t])")
_ABBREVIATIONS = frozenset(
    ["dr", "mr", "mrs", "ms", "vs", "approx", "e.g", "i.e", "etc", "cf", "al", "inc", "jr", "sr", "st", "pt",
     "no", "nos", "fig", "wt", "ht", "resp", "temp", "est", "incl", "excl", "max", "min", "sec", "hr", "hrs",
     "wk", "wks", "mo", "mos", "yr", "yrs", "rt", "lt", "bilat", "cont", "dept"]
)
_CLOSES_LINE = frozenset(".?!;")
# A line that starts with a checkbox or a blank ("[ ] yes [ ] no", "( ) Lumbar", "______")
# a checkbox, ticked or not: "[ ]", "[X]", "( )", "(x)"
_BOX = r"[\[(][ \t]*[xX\u2713\u2714]?[ \t]*[\])]"
_FORM_ANSWER = re.compile(r"[ \t]*(?:" + _BOX + r"|_{2,})")


def sentence_start_chars(text: str) -> list[int]:
    """Character offsets where a sentence starts (besides 0)."""
    starts = [m.end() for m in _AFTER_FULL_STOP.finditer(text)]
    starts += [m.end() for m in _BEFORE_LOWER.finditer(text) if _ends_sentence(_word_before(text, m.start()))]
    starts += [m.end() for m in _INLINE_BULLET.finditer(text)]
    # In a note all in capitals or all in lower case, the case of a line's first letter says nothing.
    one_case = not has_lower(text) or not has_upper(text)
    # the length of a line that was wrapped at a fixed width (in one case: near the note's widest)
    long_line = wrapped_line_length(text) if one_case else 50
    if not one_case:
        starts += [m.end() for m in _INLINE_DASH.finditer(text)]
        # (a label of several words in capitals is the sectionizer's to find: in "... WITH MR
        # MYELOGRAPHY CLINICAL HISTORY:" the four words in capitals before the colon are not all label)
        labels = [(_label_start(m), m) for m in _FIELD_IN_LINE.finditer(text)
                  if m.start() > 0 and text[m.start() - 1] in " \t"]
        starts += [start for start, m in labels if not _words_in_capitals(text[start : m.end()])]
    starts += [match.end() for match in _LINE_BREAK.finditer(text)
               if not _wrapped_line(text, match, long_line, one_case)]
    if not one_case and text.count("\n") * LINE_EVERY < len(text):
        starts += _run_on_clause_starts(text, starts)
    return starts


LINE_EVERY = 400  # characters per line break, at least, in a note delivered as one paragraph
RUN_ON_CHARS = 160
"""A stretch this long with no sentence start is a run-on: lines that ended without a full stop,
joined into one paragraph ("... Time out performed Patient placed prone Lower back prepped ...")."""
# a clause that starts with a capitalized word after a word in lower case, and goes on in lower case
# (the word before is in lower case, not a name's: "Eastbrook Medical Center on ..." is one name)
_CLAUSE_START = re.compile(r"(?<![A-Za-z])[a-z]{3,} (?P<start>[A-Z][a-z]+)(?= [a-z])")


def _run_on_clause_starts(text: str, starts: list[int]) -> list[int]:
    """Sentence starts inside run-ons: each clause that starts with a capital, as the lines did
    before they were joined. Text with sentence starts every so often is left alone."""
    found: list[int] = []
    for begin, end in itertools.pairwise([0, *sorted(set(starts)), len(text)]):
        if end - begin > RUN_ON_CHARS:
            found += [m.start("start") for m in _CLAUSE_START.finditer(text, begin + 1, end)]
    return found


_BOX_BEFORE = re.compile(_BOX + r"[ \t]+$")


def _label_start(match: re.Match[str]) -> int:
    """Where a field label starts. One that ends in a word in capitals is that run of capitals: in
    "... injection for CT myelogram DATE: ..." (a title joined to the field after it) the label is
    "DATE", not the title's tail."""
    words = list(re.finditer(r"\S+", match.group()))
    if (len(words) > 1 and words[1].group()[0].isalpha()
            and _BOX_BEFORE.search(match.string, max(0, match.start() - 8), match.start())):
        # ("[ ] CT Puncture level:": "CT" is the box's option; in "[X] Radiculopathy - level:" the
        # dash ties the option to its own field)
        return match.start() + words[1].start()
    if has_lower(words[-1].group()):
        return match.start()
    first = len(words) - 1
    while first > 0 and not has_lower(words[first - 1].group()):
        first -= 1
    return match.start() + words[first].start()


def _words_in_capitals(label: str) -> bool:
    return not has_lower(label) and len(label.split()) > 1


def _wrapped_line(text: str, match: re.Match[str], long_line: int, one_case: bool) -> bool:
    """A single line break inside a sentence: the next line answers this one's field or checkbox, this
    line is a label whose value is on the next, or the sentence goes on (``_goes_on``)."""
    if match.group().count("\n") != 1:
        return False
    previous = match.start() - 1
    while previous >= 0 and text[previous] in " \t":
        previous -= 1
    if _answers_the_line_before(text, previous, match.end()) or (previous >= 0 and text[previous] == ":"):
        return True
    closes = previous >= 0 and text[previous] in _CLOSES_LINE
    return not closes and _goes_on(text, previous, match.end(), long_line, one_case)


def _answers_the_line_before(text: str, previous: int, next_start: int) -> bool:
    """A checkbox or a blank at the start of a line answers the field on the line before, unless
    that line is itself a checkbox item: then it is the next item of a checklist."""
    if _FORM_ANSWER.match(text, next_start) is None:
        return False
    return _FORM_ANSWER.match(text, text.rfind("\n", 0, max(previous, 0)) + 1) is None


# a field: a label, then its mark (a colon, a pipe, a tab) or, in a form's row, a column gap or a box
_FIELD_START = re.compile(r"[ \t]*(?:[-*\u2022>#]+[ \t]*)?[A-Za-z][A-Za-z0-9 /&()'.-]{0,40}?"
                          r"(?::|\||\t|[ \t]{2,}|[ \t]*" + _BOX + ")")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*\u2022>]+|\d{1,2}[.)])[ \t]+")


def _goes_on(text: str, previous: int, next_start: int, long_line: int, one_case: bool) -> bool:
    """Whether the line at ``next_start`` goes on with the sentence of the line before: it starts in
    lower case (after a bullet too, when the line before is long) in a note that uses both cases,
    or the line before is as long as a wrapped line and the next one is neither a field nor a list
    item (text hard-wrapped at a fixed width, whatever the case of the next word)."""
    line_start = text.rfind("\n", 0, max(previous, 0)) + 1
    is_long = previous - line_start >= long_line
    if text[next_start].islower() and not one_case:
        return True
    item = _LIST_ITEM.match(text, next_start)
    if item:
        following = text[item.end() : item.end() + 1]
        return is_long and following.islower() and not one_case
    return is_long and text[next_start].isalpha() and not _FIELD_START.match(text, next_start)


def _word_before(text: str, end: int) -> str:
    """The run of non-space characters that ends at ``end``."""
    window = max(0, end - 64)  # (bounded: a note flattened to one line must stay linear)
    start = max(text.rfind(" ", window, end), text.rfind("\t", window, end), text.rfind("\n", window, end)) + 1
    return text[max(start, window) : end]


def _ends_sentence(word: str) -> bool:
    """Whether a full stop after ``word`` ends a sentence (not "dr.", "e.g.", "vs." or an initial)."""
    core = word.lower().lstrip("([\"'")
    return len(core.strip(".")) > 1 and core not in _ABBREVIATIONS


def set_line_sentences(doc: Doc) -> Doc:
    """Mark sentence starts on ``doc`` (first token, line starts, after sentence-final punctuation)."""
    n = len(doc)
    if n == 0:
        return doc
    token_starts = doc.to_array([IDX]).reshape(-1).astype(numpy.int64)
    flags = numpy.full((n, 1), -1, dtype=numpy.int64)
    chars = numpy.asarray(sentence_start_chars(doc_text(doc)), dtype=numpy.int64)
    if chars.size:
        positions = numpy.searchsorted(token_starts, chars)
        inside = positions < n
        positions, chars = positions[inside], chars[inside]
        flags[positions[token_starts[positions] == chars], 0] = 1
    flags[0, 0] = 1
    _cap_sentence_length(flags[:, 0])
    doc.from_array([SENT_START], flags.astype(numpy.uint64))
    return doc


MAX_SENTENCE_TOKENS = 200
"""A run of text with no line break or full stop (a pasted blob, a list joined with commas) is cut
every this many tokens: ConText compares the matches inside a sentence pairwise, so an unbounded
sentence would make analysis time grow with its square."""


def start_sentences_at_sections(doc: Doc) -> Doc:
    """A section header starts a sentence, also in running text ("... DOB: 07/30/1961 Reason for
    exam: ...", as notes flattened to one paragraph carry them), so ConText scopes stop there.
    Set in one array operation: spaCy checks the whole doc on every single ``is_sent_start`` set."""
    # (a section with no header of its own, one going on after a field, starts no sentence)
    heads = [s.title_span[0] for s in getattr(doc._, "sections", None) or []
             if 0 < s.title_span[0] < min(s.title_span[1], len(doc))]
    if heads:
        flags = doc.to_array([SENT_START]).reshape(-1).astype(numpy.int64)
        flags[heads] = 1
        doc.from_array([SENT_START], flags.reshape(-1, 1).astype(numpy.uint64))
    return doc


def _cap_sentence_length(flags: numpy.ndarray) -> None:
    """Set extra sentence starts (in place) so that no sentence exceeds MAX_SENTENCE_TOKENS."""
    starts = numpy.flatnonzero(flags == 1)
    lengths = numpy.diff(numpy.append(starts, flags.size))
    long = lengths > MAX_SENTENCE_TOKENS
    for start, length in zip(starts[long], lengths[long], strict=True):
        flags[start + MAX_SENTENCE_TOKENS : start + length : MAX_SENTENCE_TOKENS] = 1


@Language.factory("docanalyzer_sentences", assigns=["token.is_sent_start"])
def make_clinical_sentences(nlp: Language, name: str):
    """Line-aware sentence splitter for clinical notes (replaces PyRuSH)."""
    return set_line_sentences
