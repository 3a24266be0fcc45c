"""Characters that stand for several letters: ligatures ("ﬂuoroscopy") and squared units ("15 ㎖").

Normalization (``normalize``) keeps the text's length so that offsets need no mapping; these
characters cannot be folded that way ("ﬂ" is two letters). A note holding them (rare: text
copied from a PDF or typeset document) is analyzed with each one expanded by NFKC, and every
evidence offset of its report is mapped back to the user's text afterwards, so quotes are the
user's characters and ``text[start:end] == evidence.text`` still holds.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from docanalyzer.report import Report

# Latin ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ), Dutch ĳ, the DŽ/Lj/Nj digraphs, squared units (㎎ ㎖ ㏄ ㎜).
EXPANDING = re.compile("[\ufb00-\ufb06\u0132\u0133\u01c4-\u01cc\u3380-\u33df]")


def expand(text: str) -> tuple[str, list[int] | None]:
    """The text with each expanding character spelled out, and for each character of it the offset
    it came from in ``text`` (None when there is nothing to expand: the common case)."""
    if text.isascii() or not EXPANDING.search(text):
        return text, None
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        spelled = unicodedata.normalize("NFKC", char) if EXPANDING.match(char) else char
        parts.append(spelled)
        origin.extend([index] * len(spelled))
    return "".join(parts), origin


def map_back(report: Report, original: str, origin: list[int]) -> Report:
    """The report of the expanded text with every evidence span in the user's offsets."""
    data = report.model_dump()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if {"start", "end", "text", "label"} <= node.keys():  # an Evidence
                start = origin[min(node["start"], len(origin) - 1)]
                end = origin[node["end"] - 1] + 1 if node["end"] > node["start"] else start
                node.update(start=start, end=end, text=original[start:end])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(data)
    data["input"]["chars"] = len(original)
    return Report.model_validate(data)
