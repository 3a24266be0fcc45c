"""What in a note's characters could make what an auditor sees differ from what was analyzed.

A "Trojan source" note uses bidirectional controls so that "injected was not" displays reversed;
letters from another script or invisible characters inside a word disguise a keyword. The
analysis reads such words as the plain word (``normalize``), but the auditor must be told: these
checks give the report's ``warnings`` (codes, never note text), and bidi controls make the
verdict ``needs_review``, since the note on screen may not say what was analyzed.
"""

from __future__ import annotations

import re

from docanalyzer.normalize import HIDDEN_IN_WORD, INVISIBLE_IN_WORD, LOOKALIKE_IN_WORD
from docanalyzer.report import ReportWarning

BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

BIDI = "W001_BIDI_CONTROLS"
MIXED_SCRIPT = "W002_MIXED_SCRIPT"
INVISIBLE = "W003_INVISIBLE_IN_WORD"


def text_warnings(text: str) -> list[ReportWarning]:
    """The warnings a note's characters call for (none for plain text: one ``isascii`` check)."""
    if text.isascii():
        return []
    warnings = []
    bidi = len(BIDI_CONTROLS.findall(text))
    if bidi:
        warnings.append(ReportWarning(code=BIDI, message=(
            f"the note holds {bidi} bidirectional control character(s): on screen its text may read in another "
            "order than the order analyzed; check the original before relying on this result")))
    mixed = len(LOOKALIKE_IN_WORD.findall(text))
    if mixed:
        warnings.append(ReportWarning(code=MIXED_SCRIPT, message=(
            f"{mixed} Cyrillic or Greek letter(s) inside Latin words were read as the Latin letters they look "
            "like (a disguised keyword, or a typing slip)")))
    hidden = len(HIDDEN_IN_WORD.findall(text)) if INVISIBLE_IN_WORD.search(text) else 0
    if hidden:
        warnings.append(ReportWarning(code=INVISIBLE, message=(
            f"{hidden} word(s) hold invisible characters (zero-width or soft hyphen); they were read without them")))
    return warnings


def needs_a_person(warnings: list[ReportWarning]) -> bool:
    """Text that displays otherwise than it is read: the result cannot be released unseen."""
    return any(w.code == BIDI for w in warnings)
