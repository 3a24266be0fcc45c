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

from medspacy.section_detection import Sectionizer, SectionRule
from medspacy.section_detection.section import Section
from spacy.attrs import IDX
from spacy.tokens import Doc, Span

from docanalyzer.letter_case import has_lower, has_upper
from docanalyzer.pipeline.context import refuse_unsupported
from docanalyzer.pipeline.fast_matching import doc_text

# The standard shape of a header pattern in sections.json: flags, a line start, an optional
# bullet, the header names, then a colon, a spaced dash, a pipe or the line end.
_STANDARD_START = re.compile(r"^\(\?[a-z]+\)\^\[ \\t\]\*\(\?:\[-\*\\u2022>#\]\+\[ \\t\]\*\)\?")
_STANDARD_ENDS = ("[ \\t]*(?::|-(?=[ \\t]|$)|\\|(?!\\|)|(?<=\\t)|$)", ":")


def header_names(pattern: str) -> str | None:
    """The header-names part of a standard-shape pattern (None for another shape)."""
    start = _STANDARD_START.match(pattern)
    if start is None:
        return None
    for end in _STANDARD_ENDS:
        if pattern.endswith(end):
            return pattern[start.end() : len(pattern) - len(end)]
    return None


class InlineHeaders:
    """Headers in running text ("... no block. IMPRESSION: ...", "... DOB 1/2/60 Reason for exam:
    ..."), as notes flattened to one paragraph carry them. A note has few colons and pipes, so the
    search starts from those marks and looks back a short way for a header name ending there,
    instead of trying every position of the note."""

    LOOK_BACK = 80

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        parts: list[str] = []
        self.categories: dict[str, str] = {}
        for index, (category, pattern) in enumerate(rules):
            names = header_names(pattern)
            if names is not None:
                parts.append(f"(?P<c{index}>{names})")
                self.categories[f"c{index}"] = category
        named = [p for p in parts if "(?-i:" not in p]  # real names, not the catch-all "any words in capitals"
        self.regex = re.compile(r"(?<![^\s|])(?:" + "|".join(parts) + r")[ \t]*[:|]$", re.IGNORECASE)
        # in a note in one case, words in capitals say nothing: only real names are headers
        self.named_regex = re.compile(r"(?<![^\s|])(?:" + "|".join(named) + r")[ \t]*[:|]$", re.IGNORECASE)
        # a tab-delimited export ends its field names with a tab, "Header - text" with a spaced dash,
        # as line-start headers may: in running text only a name counts
        self.named_only_regex = re.compile(r"(?<![^\s|])(?:" + "|".join(named) + r")(?:\t|[ \t]+-)$", re.IGNORECASE)
        catch_all = [p for p in parts if "(?-i:" in p]
        self.catch_all_regex = (re.compile(r"(?<![^\s|])(?:" + "|".join(catch_all) + r")[ \t]*[:|]$", re.IGNORECASE)
                                if catch_all else None)
        self.bare = re.compile("|".join(named), re.IGNORECASE)  # names without a colon

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(category, start, end) of each header in running text, in order."""
        found: list[tuple[str, int, int]] = []
        # in a note all in lower case no header can start with a capital: any word may start one
        lower_note = not has_upper(text)
        mixed_case = not lower_note and has_lower(text)
        regex = self.regex if mixed_case else self.named_regex
        for mark in _MARK.finditer(text):
            if mark.group() == "-" and not mixed_case:
                continue  # (in one case a spaced dash joins the words of a title as often as it ends a header)
            header = self._header_before(text, _line_start(text, mark.start()), mark, regex, lower_note, mixed_case)
            if header is not None:
                found.append(header)
        if mixed_case:
            found = sorted(found + self._capitals_without_colon(text), key=lambda h: h[1])
        return found

    def _capitals_without_colon(self, text: str) -> list[tuple[str, int, int]]:
        """Header names in capitals with no colon, in running text of a note that uses both cases
        ("... non-insulin requiring HISTORY OF PRESENT ILLNESS 71-year-old man ..."): a header that
        stood alone on its line before the note was flattened into one paragraph."""
        found: list[tuple[str, int, int]] = []
        for run in _CAPITALS_RUN.finditer(text):
            if sum(c.isalpha() for c in run.group()) < 4 or not _in_running_text(text, run.start()):
                continue
            if _COLON_NEXT.match(text, run.end()) or not _CONTENT_NEXT.match(text, run.end()):
                continue
            match = self.bare.fullmatch(run.group())
            if match is not None:
                found.append((self.category_of(match), run.start(), run.end()))
        return found

    def _header_before(
        self, text: str, line_start: int, mark: re.Match[str], regex: re.Pattern[str], lower_note: bool,
        mixed_case: bool,
    ) -> tuple[str, int, int] | None:
        """The header ending at ``mark``. A named header is tried from the farthest word that may
        start one (a capital letter, or a word after a full stop) to the nearest, so the longest
        wins, and it wins over a run of capitals ending at the same mark. A run of capitals with no
        name is tried from the nearest word: in "EXAMINATION: GUIDED LUMBAR PUNCTURE DATE: ..." (lines
        joined) the label is "DATE", not the title's words before it."""
        low = max(line_start, mark.start() - self.LOOK_BACK)
        context = (text, line_start, mark, lower_note, mixed_case)
        if mark.group() in ("\t", "-"):
            return self._farthest(context, self.named_only_regex, low)
        named = self._farthest(context, self.named_regex, low)
        if named is not None or regex is self.named_regex or self.catch_all_regex is None:
            return named
        last = mark.start() - 1
        while last > low and text[last] in " \t":
            last -= 1
        if text[last] not in _CAPITALS_LABEL:
            return None  # (a run of capitals ends in capitals)
        for word in reversed(list(_WORD_START.finditer(text, low, mark.start()))):
            match = self.catch_all_regex.match(text, word.start(), mark.end())
            if match is not None and _may_start(context, word.start()):
                return self._found(match, word.start())
        return None

    def _farthest(self, context: tuple, regex: re.Pattern[str], low: int) -> tuple[str, int, int] | None:
        """The farthest start of ``regex`` that ends at the mark and may start a header: one search
        in C, again from the next character when a start may not begin a header."""
        text, mark = context[0], context[2]
        position = low
        while position < mark.start():
            match = regex.search(text, position, mark.end())
            if match is None:
                return None
            if _may_start(context, match.start()):
                return self._found(match, match.start())
            position = match.start() + 1
        return None

    def _found(self, match: re.Match[str], start: int) -> tuple[str, int, int]:
        return self.category_of(match), start, match.end()

    def category_of(self, match: re.Match[str]) -> str:
        """The section category of the rule whose names matched (one named group per rule)."""
        return self.categories[next(name for name, value in match.groupdict().items() if value is not None)]


def _may_start(context: tuple, start: int) -> bool:
    """A header in running text may start at ``start``: with a capital letter, any word of a note in
    lower case, or after a full stop; in a pipe export, a whole field ("|HPI|"), not its tail."""
    text, line_start, mark, lower_note, mixed_case = context
    if not (text[start].isupper() or lower_note or _SENTENCE_END.match(text, max(start - 2, 0), start)):
        return False
    if mark.group().endswith("|") and not _field_start(text, line_start, start, mixed_case=mixed_case):
        return False
    return _inline_header_ok(text, line_start, start, lower_note=lower_note)


_CAPITALS_LABEL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/&()'-")


# a header ends with a word, not "10:30"; after a tab or a spaced dash only a name counts
# ("INDICATION\tLow back pain", "... Indication - Low back pain")
_MARK = re.compile(r"(?<=[A-Za-z)])[:|\t]|(?<=[A-Za-z)] )[:|]|(?<=[A-Za-z)] )-(?=[ \t])")
# a run of words in capitals, whole (not the tail of a longer run), and what may follow a header
_CAPITALS_RUN = re.compile(r"(?<![A-Za-z0-9/&'-])[A-Z][A-Z/&'-]*(?:[ \t]+[A-Z][A-Z/&'-]*)*(?![A-Za-z0-9/&'-])")
_COLON_NEXT = re.compile(r"[ \t]*[:|]")
_CONTENT_NEXT = re.compile(r"[ \t]+[A-Z0-9(\[#*\u2022-]")
_WORD_START = re.compile(r"(?<![^\s|])[^\s|]")  # a word starts after a space or a field's pipe
_SENTENCE_END = re.compile(r"[.!?;][\"')\]]?[ \t]")
_AFTER_SENTENCE = re.compile(r"[.!?;][\"')\]]?[ \t]+$")
_BULLET_START = re.compile(r"[*\u2022\u25cf\u25aa-]")
_INLINE_ITEM = re.compile(r"(?<=\S)[ \t]+[*\u2022\u25cf\u25aa][ \t]")
_LIST_NUMBER = re.compile(r"\s*\d{1,2}[.)]\s*")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BLANK_FIELD_THEN_TEXT = re.compile(r"_{3,}(?:\s+_{3,})*(?=[ \t]+[A-Z])")
_FIELD_LINE = re.compile(
    r"\n[ \t]*(?:[-*\u2022>#]+[ \t]*)?[A-Za-z][A-Za-z0-9 /&()'.-]{0,40}:(?=\s|$)"
    # the same field in running text, after a full stop (notes flattened to one paragraph)
    r"|(?<=[.!?] )[A-Z][A-Za-z0-9/&()'-]*(?: [A-Za-z0-9/&()'-]+){0,3}:(?=\s)"
)
# a new sentence on a new line (not a list item: "1. ...", which belongs to the section above)
_NEW_SENTENCE_LINE = re.compile(r"[.!?][\"')\]]?[ \t]*\n[ \t]*(?=[A-Za-z0-9])(?!\d{1,2}[.)][ \t])")


def _line_start(text: str, position: int) -> int:
    """Start of the line holding ``position``, looked for at most 300 characters back (a note
    flattened to one long line must stay linear)."""
    window = max(0, position - 300)
    return max(text.rfind("\n", window, position) + 1, window)


def _field_start(text: str, line_start: int, start: int, *, mixed_case: bool) -> bool:
    """``start`` may begin a field of a pipe-delimited line: right after a pipe, the line's first
    word, after a full stop, or (in a note that uses both cases) after a word not in capitals: in
    "DOC|DISCHARGE SUMMARY|" the header "SUMMARY" would be the tail of a field, in a flattened
    export "... Gy*cm2 FINDINGS|" it starts one."""
    before = text[max(line_start, start - 80) : start].rstrip(" \t")
    if not before.strip(" \t-*\u2022>#") or before[-1] in "|.!?;":
        return True
    return mixed_case and not _capitals_text(before.split()[-1].split("|")[-1])


def _field_in_capitals(doc: Doc, text: str, rule: SectionRule, end: int) -> bool:
    """In a note in one case, "SACROILIAC JOINTS: DEGENERATIVE." is a field, as "Sacroiliac joints:
    degenerative." is in the same note in both cases: the catch-all header in capitals (a pattern
    that is case-sensitive) counts there only when it stands alone on its line."""
    if "(?-i:" not in str(rule.pattern):
        return False
    header_end = doc[end - 1].idx + len(doc[end - 1])
    line_end = text.find("\n", header_end)
    return bool(text[header_end : len(text) if line_end < 0 else line_end].strip(" \t:"))


def _mixed_case(text: str) -> bool:
    return has_lower(text) and has_upper(text)


def _capitals(span: Span) -> bool:
    """A header written in capitals ("HOSPITAL COURSE:")."""
    return _capitals_text(re.split(r"[:|]", span.text, maxsplit=1)[0])


def _capitals_text(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _in_running_text(text: str, position: int) -> bool:
    """Text comes before ``position`` on its line (more than a bullet)."""
    return bool(text[_line_start(text, position) : position].strip(" \t-*\u2022>#"))


def _inline_header_ok(text: str, line_start: int, start: int, *, lower_note: bool = False) -> bool:
    """A header in running text follows a full stop, or starts with a capital letter after at least
    three words on its line (not a field label such as "Prior CT:"); one at a line start is the
    line-start patterns' business."""
    before = text[max(line_start, start - 200) : start]
    if not before.strip(" \t-*\u2022>#"):
        return False
    if _AFTER_SENTENCE.search(before[-4:]) or before.rstrip(" \t").endswith("|"):
        return True  # after a full stop, or the whole field of a pipe export ("OBX|5|TX||FINDINGS: ...")
    letters = sum(c.isalpha() for c in text[start : start + 40].split(":", 1)[0].split("|", 1)[0])
    return letters >= 4 and (text[start].isupper() or lower_note) and len(before.split()) >= 3


def paragraph_end(text: str, header_start: int, body_start: int, limit: int, *, block: bool = False) -> int:
    """Where a paragraph-type section ends (char offset): a blank line, a new field label at a
    line start, or, when the header line carries text, a new sentence on a new line. A block
    (``block=True``: an impression) ends at a blank line only. Blank lines between the header and
    the first words of the body do not count."""
    content = limit - len(text[body_start:limit].lstrip()) if body_start < limit else limit
    found = _BLANK_LINE.search(text, content, limit)
    # a field left blank ("IMPRESSION: ______") ends at its blank when text goes on after it in
    # capitals: the template's next field, on the same line once the note is flattened
    blank = _BLANK_FIELD_THEN_TEXT.match(text, content, limit)
    if blank:
        return blank.end()
    if block:
        return found.start() if found else limit
    candidates = [limit] + ([found.start()] if found else [])
    for pattern in (_FIELD_LINE,):
        found = pattern.search(text, content, limit)
        if found:
            candidates.append(found.start())
    header_line_end = text.find("\n", header_start, limit)
    header_line_end = limit if header_line_end < 0 else header_line_end
    if text[body_start:header_line_end].strip():
        found = _NEW_SENTENCE_LINE.search(text, header_line_end - 2 if header_line_end > 1 else 0, limit)
        if found:
            candidates.append(found.start() + 1)
        # a list flattened into the line: text after the header, then "* next item" ends it
        if not _BULLET_START.match(text, content):
            found = _INLINE_ITEM.search(text, content, min(header_line_end, limit))
            if found:
                candidates.append(found.start())
    return min(candidates)


class LeanSectionizer(Sectionizer):
    """Sets ``doc._.sections`` as medspaCy would (without parents), with the section ends above.

    Not a drop-in: it adds clinical section ends and headers in running text. What it does not
    implement (span attributes, parent sections, line and sentence requirements) is refused when
    built or when such a rule is added, rather than silently ignored."""

    def __init__(self, nlp, name: str = "medspacy_sectionizer", *, span_attrs: object = None,
                 require_start_line: bool = False, require_end_line: bool = False,
                 apply_sentence_boundary: bool = False, **options) -> None:
        refuse_unsupported("LeanSectionizer", {
            "span_attrs": span_attrs is not None, "require_start_line": require_start_line,
            "require_end_line": require_end_line, "apply_sentence_boundary": apply_sentence_boundary,
        })
        super().__init__(nlp, name=name, span_attrs=span_attrs, **options)

    def add(self, rules) -> None:
        rules = list(rules) if isinstance(rules, list | tuple) else [rules]
        refuse_unsupported("LeanSectionizer", {"parent sections": any(getattr(r, "parents", None) for r in rules)})
        super().add(rules)

    ends: dict[str, str]
    inline_ends: dict[str, str]

    def _headers(self, doc: Doc, text: str) -> list[tuple[SectionRule, int, int]]:
        """(rule, first token, end token) of each header, at line starts and in running text, in order."""
        matcher = self._Sectionizer__matcher
        rules = {rule.category: rule for rule in matcher.rule_map.values()}
        found = [(matcher.rule_map[self.nlp.vocab.strings[m[0]]], m[1], m[2]) for m in matcher(doc)]
        if not _mixed_case(text):
            found = [m for m in found if not _field_in_capitals(doc, text, m[0], m[2])]
        finder: InlineHeaders | None = getattr(self, "inline_headers", None)
        if finder is not None:
            found = [self._named_tail(doc, text, finder, rules, match) for match in found]
        for category, start, end in finder.find(text) if finder else ():
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is not None and len(span):
                found.append((rules[category], span.start, span.end))
        found = [(rule, _first_word(doc, start, end), end) for rule, start, end in found]
        return _drop_overlaps(sorted(found, key=lambda m: (m[1], m[2])))

    @staticmethod
    def _named_tail(doc: Doc, text: str, finder: InlineHeaders, rules: dict[str, SectionRule],
                    match: tuple[SectionRule, int, int]) -> tuple[SectionRule, int, int]:
        """A run of capitals that ends in a header's name is that header: "LAKESHORE HOSPITAL -
        RADIOLOGY PROCEDURE:" (a letterhead joined to the line below it) starts the procedure's
        title at "PROCEDURE", as the two lines did."""
        rule, start, end = match
        if "(?-i:" not in str(rule.pattern):
            return match
        start_char, end_char = doc[start].idx + 1, doc[end - 1].idx + len(doc[end - 1])
        named = finder.named_regex.search(text, start_char, end_char)
        if named is None or not _inline_header_ok(text, _line_start(text, named.start()), named.start()):
            return match  # ("PRINCIPAL DIAGNOSIS:" is one label, as "principal diagnosis:" is in lower case)
        span = doc.char_span(named.start(), end_char, alignment_mode="expand")
        if span is None or not len(span):
            return match
        return rules[finder.category_of(named)], span.start, span.end

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        matches = self._headers(doc, text)
        sections: list[Section] = []
        if not matches:
            sections.append(Section(None, 0, 0, 0, len(doc)))
        elif matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1]))
        token_starts = doc.to_array(IDX).tolist() if matches else []
        mixed_case = bool(matches) and _mixed_case(text)
        for index, (rule, start, end) in enumerate(matches):
            limit = matches[index + 1][1] if index + 1 < len(matches) else len(doc)
            scope = rule.max_scope if rule.max_scope is not None else self.max_section_length
            body_end = min(end + scope, limit) if scope is not None else limit
            body_end = self._clinical_end(doc, text, token_starts, rule.category, start, end, body_end)
            # (read before this section is appended: the one it may interrupt is the last so far)
            enclosing = self._enclosing(doc, text, sections, (start, end), mixed_case) if body_end < limit else None
            sections.append(Section(rule.category, start, end, end, body_end, None, rule))
            if body_end < limit:
                sections.extend(self._after_closed(doc, text, token_starts, enclosing, body_end, limit))
        doc._.sections = sections
        return doc

    def _enclosing(self, doc: Doc, text: str, sections: list[Section], header: tuple[int, int],
                   mixed_case: bool) -> Section | None:
        """The section a field in running text interrupts ("HOSPITAL COURSE: ... Exam: 4/5 ... then
        more course"): the one running up to it, when that one is a block header (it starts its
        line, or is in capitals in a note that uses both cases) and this one is a field (in running
        text, and not in capitals). In a note flattened to one line in one case, every header starts
        a section of its own."""
        start, end = header
        last = sections[-1] if sections else None
        if last is None or last.category is None or last.body_end != start:
            return None
        if not _in_running_text(text, doc[start].idx) or (mixed_case and _capitals(doc[start:end])):
            return None
        if last.title_start == last.body_start:  # a section going on after a field: no header of its own
            return last
        header = doc[last.title_start : last.title_end]
        if getattr(self, "inline_ends", {}).get(last.category) == "narrative" and _in_running_text(text, header[0].idx):
            return None  # a history in running text ran on to this header: it ended here, it was not cut
        block = not _in_running_text(text, header[0].idx) or (mixed_case and _capitals(header))
        return last if block else None

    def _after_closed(self, doc: Doc, text: str, token_starts: list[int], enclosing: Section | None,
                      start: int, limit: int) -> list[Section]:
        """The text after a section that closed before the next header: the interrupted section goes
        on (to its own end), or, after a section that started its line, the text belongs to none."""
        if enclosing is None:
            return [Section(None, start, start, start, limit)]
        mode = getattr(self, "ends", {}).get(enclosing.category)
        end = limit
        if mode in ("paragraph", "block"):
            limit_char = doc[limit - 1].idx + len(doc[limit - 1])
            end_char = paragraph_end(text, doc[start].idx, doc[start].idx, limit_char, block=mode == "block")
            end = min(max(bisect.bisect_left(token_starts, end_char), start + 1), limit)
        elif mode == "sentence":
            end = next((t.i for t in doc[start + 1 : limit] if t.is_sent_start), limit)
        resumed = Section(enclosing.category, start, start, start, end, None, enclosing.rule)
        return [resumed] if end >= limit else [resumed, Section(None, end, end, end, limit)]

    def _narrative_end(self, doc: Doc, text: str, token_starts: list[int], header: int, first_end: int,
                       body_end: int) -> int:
        """A history in running text ("... Indication: 60M, leg pain. Pacemaker. PT failed. Under
        fluoroscopy a needle ...") goes on sentence by sentence until one starts the procedure's own
        account, never past its paragraph."""
        stop: re.Pattern[str] | None = getattr(self, "narrative_stop", None)
        if stop is None or first_end >= body_end:
            return first_end
        limit_char = doc[body_end - 1].idx + len(doc[body_end - 1])
        paragraph = paragraph_end(text, doc[header].idx, doc[first_end].idx, limit_char, block=True)
        limit = min(body_end, max(bisect.bisect_left(token_starts, paragraph), first_end))
        end = first_end
        for following in _sentence_ends(doc, end, limit) if end < limit else ():
            if self._starts_the_account(stop, doc[end:following].text):
                return end
            end = following
        return end

    def _starts_the_account(self, stop: re.Pattern[str], sentence: str) -> bool:
        """The sentence starts the procedure's own account: the procedure being done ("Prepped and
        draped.", "A 22 g needle ..."), or another cue of it or a spinal level named without any
        history told ("Access at L3-4 midline.", but not "CT 02/2025 limited for the thecal sac.")."""
        action: re.Pattern[str] | None = getattr(self, "narrative_action", None)
        if action is not None and action.search(sentence):
            return True
        level: re.Pattern[str] | None = getattr(self, "narrative_level", None)
        goes_on: re.Pattern[str] | None = getattr(self, "narrative_goes_on", None)
        if not (stop.search(sentence) or (level and level.search(sentence))):
            return False
        if action is None and stop.search(sentence):
            return True  # (without action cues every stop cue is one)
        return not (goes_on and goes_on.search(sentence))

    def _clinical_end(self, doc: Doc, text: str, token_starts: list[int], category: str,
                      start: int, end: int, body_end: int) -> int:
        mode = getattr(self, "ends", {}).get(category)
        if end >= body_end:
            return body_end
        header_char = doc[start].idx
        inline = _in_running_text(text, header_char)
        if mode is None:
            # a field in a line of fields ("Pt: 58 M   Proc: Myelogram, lumbar   RN: ...") ends with
            # its line; a header that starts its line runs on to the next header
            if not inline:
                return body_end
            line_end = text.find("\n", header_char, doc[body_end - 1].idx + len(doc[body_end - 1]))
            return body_end if line_end < 0 else max(bisect.bisect_left(token_starts, line_end), end + 1)
        if mode == "paragraph" and inline:
            # a field in running text ("... Allergies: none. ...") ends with its sentence, unless told otherwise
            mode = getattr(self, "inline_ends", {}).get(category, "sentence")
        if mode in ("sentence", "narrative"):
            # the first sentence of the body; a list number ("1.") alone is no sentence
            starts = (t.i for t in doc[end + 1 : body_end] if t.is_sent_start)
            following = next(starts, body_end)
            while following < body_end and _LIST_NUMBER.fullmatch(doc[end:following].text):
                following = next(starts, body_end)
            if mode == "narrative":
                following = self._narrative_end(doc, text, token_starts, start, following, body_end)
            return max(following, end + 1)
        limit_char = doc[body_end - 1].idx + len(doc[body_end - 1])
        end_char = paragraph_end(text, doc[start].idx, doc[end].idx, limit_char, block=mode == "block")
        return max(bisect.bisect_left(token_starts, end_char), end + 1)


def _first_word(doc: Doc, start: int, end: int) -> int:
    """A header's first token that is not white space: a header indented on its line (" Level:")
    matches from the line start, inside the token that holds the line break before it, and that
    token belongs to the line above."""
    while start < end - 1 and doc[start].is_space:
        start += 1
    return start


def _sentence_ends(doc: Doc, start: int, limit: int) -> list[int]:
    return [t.i for t in doc[start + 1 : limit] if t.is_sent_start] + [limit]


def _drop_overlaps(matches: list[tuple[SectionRule, int, int]]) -> list[tuple[SectionRule, int, int]]:
    """Keep the first (then longest) of overlapping header matches."""
    kept: list[tuple[SectionRule, int, int]] = []
    for match in matches:
        if kept and match[1] < kept[-1][2]:
            if match[1] == kept[-1][1] and match[2] > kept[-1][2]:
                kept[-1] = match
            continue
        kept.append(match)
    return kept
