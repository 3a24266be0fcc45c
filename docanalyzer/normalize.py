"""Length-preserving text normalization.

Every replacement maps one character to one character, so a character offset in the normalized
text is the same offset in the text the user gave: evidence offsets need no mapping back.
"""

from __future__ import annotations

import functools
import re

from docanalyzer.letter_case import has_lower, has_upper

# Line breaks that are not "\n": lone CR, CR of CRLF (becomes a space), form feed, Unicode separators.
_CRLF = re.compile(r"\r(?=\n)")
_OTHER_BREAKS = re.compile(r"[\r\f\v\u2028\u2029\x85]")
# C0/C1 controls except tab and newline, NUL included; lone surrogates (invalid in UTF-8 output).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff]")


# A line break inside a sentence that was wrapped at a fixed width: the line before is long and
# does not end a sentence or a field, and the next line goes on in lower case or with a number
# (trailing spaces, or the CR of a CRLF, before the break do not matter), unless that line starts
# with a field label ("exam: ...", as notes written all in lower case have them, or a tab export's
# "exam<TAB>...") or an export's row number. A bullet put before the wrapped part ("... without\n-
# meaningful relief", as list templates do to every line) goes too, in a note that uses both cases
# (in one all in lower case, every list item starts in lower case).
# (a line starts at its start, or after the bullet of a list line that the join before consumed)
_TABLE_ROW = r"(?!\d+(?:\t|[ \t]*\|))"  # an export's numbered row ("10<TAB>HX<TAB>...") is no wrapped text
_LONG_OPEN_LINE = r"(?m)(?:^|(?<=\n- )|(?<=\n\* )|(?<=\n\u2022 ))([^\n]{%d,}[^\n.:;?!\s])"
_GOES_ON_LOWER = r"(?=[a-z0-9(])(?![a-z][a-z0-9 /&()'.-]{0,40}[:|\t])" + _TABLE_ROW
_WRAPPED_LOWER = _LONG_OPEN_LINE + r"([ \t]*\n)" + _GOES_ON_LOWER
_WRAPPED = re.compile(_LONG_OPEN_LINE % 40 + r"([ \t]*\n(?:[ \t]*[-*\u2022][ \t]+)?)" + _GOES_ON_LOWER)
# In a note written all in capitals the case of the next line says nothing: a long line goes on
# into the next unless that one starts a field or a list item.
_WRAPPED_CAPITALS = (
    _LONG_OPEN_LINE + r"([ \t]*\n)"
    r"(?=[A-Z0-9(])(?![A-Z][A-Z0-9 /&()'.-]{0,40}[:|\t])(?![-*\u2022]|\d{1,2}[.)]\s)" + _TABLE_ROW
)


# Dictation read back by speech recognition keeps the spoken punctuation as words ("... 8 months
# period He has ..."); each becomes its mark padded with spaces, so sentences end where they should.
_SPOKEN = (
    (re.compile(r"[ \t]+(?:period|full stop)(?=[ \t]+(?!of\b)[A-Za-z0-9]|[ \t]*(?:\n|$))"), "."),
    (re.compile(r"[ \t]+comma(?=[ \t])"), ","),
    (re.compile(r"[ \t]+(?:new line|next line|new paragraph)(?=[ \t]|$)", re.IGNORECASE), "\n"),
)


_SPOKEN_ANY_CASE = tuple((re.compile(p.pattern, p.flags | re.IGNORECASE), mark) for p, mark in _SPOKEN)
_SPOKEN_WORDS = ("period", "full stop", "comma")  # (their patterns are case-sensitive)
_SPOKEN_BREAK = re.compile(r"new line|next line|new paragraph", re.IGNORECASE)


def _spoken_punctuation(text: str) -> str:
    # a note all in capitals says "PERIOD" as the same word; in mixed case, "Period" is another word
    capitals = not has_lower(text)
    probe = text.lower() if capitals else text
    if not (any(word in probe for word in _SPOKEN_WORDS) or _SPOKEN_BREAK.search(text)):
        return text
    for pattern, mark in _SPOKEN_ANY_CASE if capitals else _SPOKEN:
        text = pattern.sub(lambda m, mark=mark: mark + " " * (len(m.group()) - 1), text)
    return text


# EHR exports join the words of field names with underscores ("REASON_FOR_EXAM|"): read them as spaces.
_FIELD_UNDERSCORE = re.compile(r"(?<=[A-Za-z])_(?=[A-Za-z])")


# A template drawn in a box ("| FINDINGS - LUMBAR          |" between "+-----+" rules): the box is
# layout, not text. Its rules become blank lines and the bars at a row's ends spaces, so its headers
# start their lines as they would without the box (the bars inside a row, a table's columns, stay).
_BOX_RULE = re.compile(r"(?m)^[ \t]*\+[-=+]{3,}\+[ \t]*$")
_BOX_ROW = re.compile(r"(?m)^([ \t]*)\|([^\n]*)\|([ \t]*)$")


def _unbox(text: str) -> str:
    if "|" not in text:
        return text
    text = _BOX_RULE.sub(lambda m: " " * len(m.group()), text)
    return _BOX_ROW.sub(lambda m: f"{m[1]} {m[2]} {m[3]}", text)


# Look-alike letters (issue 13): a keyword typed with a Cyrillic or Greek letter, in fullwidth forms,
# or with an invisible character inside it ("Omni\u200bpaque", "my\u00adelogram") still reads as the
# keyword. Every change keeps the text's length (offsets stay the user's).
INVISIBLE_IN_WORD = re.compile(r"[\u00ad\u200b-\u200d\u2060]")
HIDDEN_IN_WORD = re.compile(r"\w+(?:[\u00ad\u200b-\u200d\u2060]+\w+)+")
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_LOOKALIKE = dict(zip(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0410\u0412\u0415\u041a\u041c\u041d\u041e"
    "\u0420\u0421\u0422\u0425\u03bf\u03bd\u039f\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d"
    "\u03a1\u03a4\u03a5\u03a7",
    "aeopcyxijsABEKMHOPCTXovOABEZHIKMNPTYX", strict=True))
LOOKALIKE_IN_WORD = re.compile(
    "(?<=[A-Za-z])[" + "".join(_LOOKALIKE) + "]|[" + "".join(_LOOKALIKE) + "](?=[A-Za-z])")


def _fold_lookalikes(text: str) -> str:
    """Fullwidth forms to ASCII; Cyrillic/Greek look-alikes next to a Latin letter (inside a Latin
    word: real Cyrillic or Greek text is left alone) to Latin; invisible characters taken out of a
    word, the word padded at its end with as many spaces."""
    if text.isascii():
        return text
    text = text.translate(_FULLWIDTH)
    text = LOOKALIKE_IN_WORD.sub(lambda m: _LOOKALIKE[m.group()], text)
    return HIDDEN_IN_WORD.sub(lambda m: _without_hidden(m.group()), text)


def _without_hidden(word: str) -> str:
    visible = INVISIBLE_IN_WORD.sub("", word)
    return visible + " " * (len(word) - len(visible))


def wrapped_line_length(text: str) -> int:
    """The shortest line that may have been hard-wrapped, in a note in one case (where the case of the
    next line's first letter says nothing): within a long word of the note's longest line, when
    another line comes as near it. A note typed one sentence per line, without full stops, has lines
    of every length; one wrapped at a fixed width has its lines near that width."""
    lengths = [len(line) for line in text.split("\n")]
    width = max(lengths)
    near = sum(length >= width - 25 for length in lengths)
    return max(40, width - 25) if near >= 2 else width + 1  # (one long line alone: no width to wrap at)


@functools.lru_cache(maxsize=64)
def _one_case_wrap(pattern: str, length: int) -> re.Pattern[str]:
    return re.compile(pattern % length)


def normalize(text: str) -> str:
    """Return ``text`` with the same length, with line breaks, controls and odd spaces tamed,
    spoken punctuation of dictation written as marks, a template's drawn box taken away,
    underscores inside field names as spaces, and hard-wrapped lines joined (the wrapping newline
    becomes a space)."""
    text = _fold_lookalikes(text)
    text = _CRLF.sub(" ", text)
    text = _OTHER_BREAKS.sub("\n", text)
    text = _CONTROLS.sub(" ", text)
    if not text.isascii():  # (odd spaces are all outside ASCII: most notes skip the scan)
        text = _SPACES.sub(" ", text)
    text = _spoken_punctuation(text)
    text = _unbox(text)
    if "_" in text:  # (the look-behind first makes the scan slow: most notes have no underscore)
        text = _FIELD_UNDERSCORE.sub(" ", text)
    if not has_lower(text):
        wrapped = _one_case_wrap(_WRAPPED_CAPITALS, wrapped_line_length(text))
    elif has_upper(text):
        wrapped = _WRAPPED
    else:
        wrapped = _one_case_wrap(_WRAPPED_LOWER, wrapped_line_length(text))
    return _join_wrapped(wrapped, text)


# where a wrapped line may start: the note's start, a line start, after the bullet a join consumed
_LINE_STARTS = re.compile(r"\n(?:- |\* |\u2022 )?")


def _join_wrapped(wrapped: re.Pattern[str], text: str) -> str:
    """``wrapped.sub`` (each wrapping newline, and a bullet put before the wrapped part, becomes
    spaces), tried only where a line starts instead of at every character: the patterns begin at a
    line start, or right after such a bullet."""
    parts: list[str] = []
    done = 0
    for start in _line_starts(text):
        if start < done:
            continue
        match = wrapped.match(text, start)
        if match is not None:
            parts += (text[done : match.start()], match.group(1), " " * len(match.group(2)))
            done = match.end()
    return "".join(parts) + text[done:] if parts else text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for found in _LINE_STARTS.finditer(text):
        starts.append(found.start() + 1)
        if found.end() > found.start() + 1:
            starts.append(found.end())
    return starts
