"""medspaCy's Sectionizer without its per-token bookkeeping, and with clinical section ends.

The stock component sets ``token._.section`` on every token of the note, a Python-level loop
that cost more than the header matching itself on MTSamples. docanalyzer reads sections from
``doc._.sections`` only, so this subclass builds the same ``Section`` list and skips the loop.
Parent/child section rules are not used by docanalyzer's section file and are not supported here.

Two things the stock component cannot express, both needed for notes as EHRs deliver them:
- headers in running text ("... no block. IMPRESSION: ..."), as in notes exported as one
  paragraph: a header that does not start a line counts when it ends with a colon and follows a
  full stop, or starts with a capital letter;
- sections that end with their paragraph (``ends: paragraph`` in sections.json: history,
  indication, plan...), so an "Hx:" line at the top does not swallow the procedure below it, and
  sections that end with their first sentence (``ends: sentence``: the procedure title; and a
  paragraph-type field found in running text, such as "... Allergies: none. ...").
"""

from __future__ import annotations

import bisect
import re

from medspacy.section_detection import Sectionizer
from medspacy.section_detection.section import Section
from spacy.tokens import Doc

from docanalyzer.pipeline.fast_matching import doc_text

LINE_START_ANCHOR = "(?:^|(?<=[ \\t]))"
"""Replaces the ``^`` of each header pattern so headers are found in running text too; matches
that do not start a line are then kept only by ``_inline_header_ok``."""

_AFTER_SENTENCE = re.compile(r"[.!?;][\"')\]]?[ \t]+$")
_LIST_NUMBER = re.compile(r"\s*\d{1,2}[.)]\s*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_FIELD_LINE = re.compile(
    r"\n[ \t]*(?:[-*\u2022>#]+[ \t]*)?[A-Za-z][A-Za-z0-9 /&()'.-]{0,40}:(?=\s|$)"
    # the same field in running text, after a full stop (notes flattened to one paragraph)
    r"|(?<=[.!?] )[A-Z][A-Za-z0-9/&()'-]*(?: [A-Za-z0-9/&()'-]+){0,3}:(?=\s)"
)
_NEW_SENTENCE_LINE = re.compile(r"[.!?][\"')\]]?[ \t]*\n[ \t]*(?=[A-Za-z0-9])")


def inline_capable(pattern: str) -> str:
    """A header regex anchored at line starts, made to match after spaces too."""
    for flags in ("(?im)", "(?m)", "(?i)", ""):
        if pattern.startswith(flags + "^"):
            return flags + LINE_START_ANCHOR + pattern[len(flags) + 1 :]
    return pattern


def _inline_header_ok(text: str, start: int, end: int) -> bool:
    """A header found in running text: it ends with a colon (or the pipe of an EHR export) and follows
    a full stop or starts with a capital letter."""
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip(" \t-*\u2022>#"):
        return True
    header = text[start:end].rstrip()
    if ":" not in header and "|" not in header:  # (a token may run past the mark: "FINDINGS|Postop")
        return False
    if _AFTER_SENTENCE.search(text[max(0, start - 4) : start]):
        return True
    # Capitalized after running text ("... L4-5 FINDINGS: ...", "... (lumbar approach) Reason for exam: ..."),
    # as notes flattened to one paragraph carry them; not a field label such as "Prior CT:".
    letters = [c for c in header if c.isalpha()]
    return len(letters) >= 4 and header[0].isupper() and len(text[line_start:start].split()) >= 3


def paragraph_end(text: str, header_start: int, body_start: int, limit: int, *, block: bool = False) -> int:
    """Where a paragraph-type section ends (char offset): a blank line, a new field label at a
    line start, or, when the header line carries text, a new sentence on a new line. A block
    (``block=True``: an impression) ends at a blank line only. Blank lines between the header and
    the first words of the body do not count."""
    content = limit - len(text[body_start:limit].lstrip()) if body_start < limit else limit
    found = _BLANK_LINE.search(text, content, limit)
    if block:
        return found.start() if found else limit
    candidates = [limit] + ([found.start()] if found else [])
    for pattern in (_FIELD_LINE,):
        found = pattern.search(text, content, limit)
        if found:
            candidates.append(found.start())
    header_line_end = text.find("\n", header_start)
    header_line_end = limit if header_line_end < 0 else header_line_end
    if text[body_start:header_line_end].strip():
        found = _NEW_SENTENCE_LINE.search(text, header_line_end - 2 if header_line_end > 1 else 0, limit)
        if found:
            candidates.append(found.start() + 1)
    return min(candidates)


class LeanSectionizer(Sectionizer):
    """Sets ``doc._.sections`` as medspaCy would (without parents), with the section ends above."""

    ends: dict[str, str]
    inline_ends: dict[str, str]

    def __call__(self, doc: Doc) -> Doc:
        matcher = self._Sectionizer__matcher
        text = doc_text(doc)
        matches = [
            m for m in sorted(matcher(doc), key=lambda m: (m[1], m[2]))
            if _inline_header_ok(text, doc[m[1]].idx, doc[m[2] - 1].idx + len(doc[m[2] - 1]))
        ]
        matches = _drop_overlaps(matches)
        sections: list[Section] = []
        if not matches:
            sections.append(Section(None, 0, 0, 0, len(doc)))
        elif matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1]))
        token_starts = [t.idx for t in doc] if matches else []
        for index, (match_id, start, end) in enumerate(matches):
            rule = matcher.rule_map[self.nlp.vocab.strings[match_id]]
            limit = matches[index + 1][1] if index + 1 < len(matches) else len(doc)
            scope = rule.max_scope if rule.max_scope is not None else self.max_section_length
            body_end = min(end + scope, limit) if scope is not None else limit
            body_end = self._clinical_end(doc, text, token_starts, rule.category, start, end, body_end)
            sections.append(Section(rule.category, start, end, end, body_end, None, rule))
            if body_end < limit:  # the text after a closed section belongs to no section
                sections.append(Section(None, body_end, body_end, body_end, limit))
        doc._.sections = sections
        return doc

    def _clinical_end(self, doc: Doc, text: str, token_starts: list[int], category: str,
                      start: int, end: int, body_end: int) -> int:
        mode = getattr(self, "ends", {}).get(category)
        if mode is None or end >= body_end:
            return body_end
        header_char = doc[start].idx
        if mode == "paragraph" and text[text.rfind("\n", 0, header_char) + 1 : header_char].strip(" \t-*\u2022>#"):
            # a field in running text ("... Allergies: none. ...") ends with its sentence, unless told otherwise
            mode = getattr(self, "inline_ends", {}).get(category, "sentence")
        if mode == "sentence":
            # the first sentence of the body; a list number ("1.") alone is no sentence
            starts = (t.i for t in doc[end + 1 : body_end] if t.is_sent_start)
            following = next(starts, body_end)
            while following < body_end and _LIST_NUMBER.fullmatch(doc[end:following].text):
                following = next(starts, body_end)
            return max(following, end + 1)
        limit_char = doc[body_end - 1].idx + len(doc[body_end - 1])
        end_char = paragraph_end(text, doc[start].idx, doc[end].idx, limit_char, block=mode == "block")
        return max(bisect.bisect_left(token_starts, end_char), end + 1)


def _drop_overlaps(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Keep the first (then longest) of overlapping header matches."""
    kept: list[tuple[int, int, int]] = []
    for match in matches:
        if kept and match[1] < kept[-1][2]:
            if match[1] == kept[-1][1] and match[2] > kept[-1][2]:
                kept[-1] = match
            continue
        kept.append(match)
    return kept
