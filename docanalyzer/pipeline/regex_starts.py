"""Where a regular expression's match can start: a search that skips the other positions in C.

Python's ``re`` skips ahead quickly only for a pattern that begins with a literal or a character
set it can test case-sensitively. The target and ConText rules begin with a word boundary, a
look-behind, or letters under IGNORECASE, so ``finditer`` tries the whole pattern at every
position of the note: most of the target matcher's time on long notes.

``starter_of`` reads, from the pattern's own parse tree, which characters a match can begin with
(each tried under the pattern's own flags, so the case folding is Python's; any non-ASCII
character counts as a possible start) and builds ``[first characters](?<=(?=(PATTERN)).)``: a
one-character match that ``re`` finds by skipping to the next possible first character, and that
holds only where the pattern itself matches there, its match in group 1 (a section header pattern,
``(?m)^...``, is tried after each line break instead: ``\\n(?=(PATTERN))``). The look-ahead is the
pattern tried at that position with the whole text around it (``Pattern.match`` at that position:
the same match ``search`` would find there), so ``spans`` gives the spans ``finditer`` gives. A
pattern the reading does not cover (back-references, a match that may be empty) gets no starter and
runs as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from docanalyzer.pipeline.regex_tree import parse_tree

try:  # the parser and compiler behind re.compile (private; renamed in Python 3.11)
    from re import _compiler as sre_compile  # type: ignore[attr-defined]
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    sre_parse = sre_constants = sre_compile = None

MAX_STARTS = 40  # more possible first characters than this (ASCII), and the starter would skip little
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


class _Unsupported(Exception):
    """A construct the reading does not cover: the pattern gets no starter."""


class Starter(NamedTuple):
    """A pattern behind a skip to where its match can start; its own match is group 1."""

    regex: re.Pattern[str]
    line_start: bool  # the pattern starts at a line start ("(?m)^"): the regex finds the "\n" before it


def starter_of(pattern: re.Pattern[str]) -> Starter | None:
    """``pattern`` behind a skip to its possible first characters, or to line starts for a pattern that
    begins with ``^`` in MULTILINE mode; None when that cannot be read or would skip nothing."""
    tree = _parsed(pattern)
    if tree is None:
        return None
    body = pattern.pattern
    while (flags_group := _GLOBAL_FLAGS.match(body)) is not None:  # (kept in the flags of the whole)
        body = body[flags_group.end():]
    if pattern.flags & re.MULTILINE and tree.data and tree.data[0] == (sre_constants.AT, sre_constants.AT_BEGINNING):
        return _compiled(f"\\n(?=({body}))", pattern.flags, line_start=True)
    first = _first_characters(tree, pattern.flags)
    if first is None:
        return None
    # (written as "not one of the other ASCII characters": a set with the non-ASCII range in it costs
    # re.compile a quarter of a second)
    chars = "^" + "".join(f"\\x{code:02x}" for code in range(128) if chr(code) not in first)
    return _compiled(f"(?-i:[{chars}])(?<=(?=({body}))(?s:.))", pattern.flags, line_start=False)


def _parsed(pattern: re.Pattern[str]):
    """The pattern's parse tree, or None where no starter can stand in for it: a match may be empty
    (finditer has rules of its own for those), a back-reference (wrapping renumbers groups), or ``re``
    skips ahead by itself already."""
    if sre_parse is None or not isinstance(pattern.pattern, str):
        return None
    try:
        tree = parse_tree(pattern.pattern, pattern.flags)
    except (re.error, RecursionError):
        return None
    if tree.getwidth()[0] == 0 or _refers_back(list(tree)) or _skips_already(tree, pattern.flags):
        return None
    return tree


def _first_characters(tree, flags: int) -> set[str] | None:
    """The ASCII characters a match can begin with, or None (unreadable, or nearly any character)."""
    try:
        starts, nullable = _first(list(tree), flags)
    except (_Unsupported, re.error, RecursionError):
        return None
    first = _accepted_characters(starts)
    if nullable or any(c.isspace() for c in first) or len(first) > MAX_STARTS:
        return None  # (nearly every position: nothing to skip)
    return first


def _compiled(source: str, flags: int, *, line_start: bool) -> Starter | None:
    try:
        return Starter(re.compile(source, flags), line_start)
    except re.error:
        return None


def spans(pattern: re.Pattern[str], starter: Starter | None, text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of each match of ``pattern.finditer(text)``, found through ``starter``."""
    if starter is None:
        for found in pattern.finditer(text):
            yield found.span()
        return
    search = starter.regex.search
    position = 0
    if starter.line_start:  # (a line start is the text's start or just after a "\n")
        first = pattern.match(text)
        if first is not None:
            yield first.span()
            position = first.end()
        while (found := search(text, max(position - 1, 0))) is not None:
            position = found.end(1)
            yield found.start(1), position
        return
    while (found := search(text, position)) is not None:
        position = found.end(1)  # (never empty: see _parsed)
        yield found.start(1), position


_ASCII = "".join(map(chr, range(128)))


def _ascii_accepted(sources: list[str], flags: int) -> set[str]:
    """The ASCII characters that one of the one-character patterns ``sources`` accepts under ``flags``
    (each character of the ASCII table tried on its own, by one ``findall``)."""
    return set(_accepted(tuple(sources), flags & (re.IGNORECASE | re.DOTALL | re.ASCII)))


@lru_cache(maxsize=4096)
def _accepted(sources: tuple[str, ...], flags: int) -> frozenset[str]:
    """(many patterns begin alike: "\\b" then a letter class, a look-behind then the same word)"""
    return frozenset(re.compile("|".join(sources), flags).findall(_ASCII))


Start = tuple[str, int]  # a one-character pattern and its flags


def _first(items: list, flags: int, from_end: bool = False) -> tuple[list[Start], bool]:
    """The possible first characters of a sequence (its last ones, ``from_end``), and whether it can
    match without consuming any."""
    starts: list[Start] = []
    for op, av in reversed(items) if from_end else items:
        found, nullable = _first_item(op, av, flags, from_end)
        starts.extend(found)
        if not nullable:
            return starts, False
    return starts, True


def _first_item(op, av, flags: int, from_end: bool = False) -> tuple[list[Start], bool]:
    """(first characters, or last ones, can it match without consuming any) for one parse item."""
    c = sre_constants
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return [], True  # (zero-width: it constrains where a match starts, never widens it)
    if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
        return [(_char_source(op, av), flags)], False
    if op is c.SUBPATTERN:
        _group, add, remove, sub = av
        return _first(list(sub), (flags | add) & ~remove, from_end)
    if op is c.ATOMIC_GROUP:
        return _first(list(av), flags, from_end)
    if op is c.BRANCH:
        starts: list[Start] = []
        nullable = False
        for branch in av[1]:
            found, empty = _first(list(branch), flags, from_end)
            starts += found
            nullable = nullable or empty
        return starts, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _high, sub = av
        found, empty = _first(list(sub), flags, from_end)
        return found, empty or low == 0
    raise _Unsupported(str(op))


def edge_characters(source: str, flags: int = 0, *, last: bool = False) -> set[str] | None:
    """The ASCII characters a match of ``source`` can begin with (end with, ``last``), or None: it may
    match nothing, or the reading does not cover it (a back-reference...). A character outside ASCII
    is never listed."""
    if sre_parse is None:
        return None
    try:
        tree = sre_parse.parse(source, flags)
        flags = tree.state.flags  # (with the expression's own global flags, "(?i)...")
        edges, nullable = _first(list(tree), flags, from_end=last)
    except (_Unsupported, re.error, RecursionError):
        return None
    if nullable:
        return None
    return _accepted_characters(edges)


def _accepted_characters(items) -> set[str]:
    """The ASCII characters that (source, flags) items accept, read once per set of flags."""
    by_flags: dict[int, list[str]] = {}
    for source, item_flags in items:
        by_flags.setdefault(item_flags, []).append(source)
    found: set[str] = set()
    for item_flags, sources in by_flags.items():
        found |= _ascii_accepted(sources, item_flags)
    return found


def _skips_already(tree, flags: int) -> bool:
    """Whether ``re`` skips ahead by itself: the pattern begins with a literal or a set it tests
    case-sensitively ("[", "(x", ":"); wrapping it would only add work."""
    try:
        return bool(sre_compile._get_literal_prefix(tree, flags)[0] or sre_compile._get_charset_prefix(tree, flags))
    except Exception:  # (private helpers: if their shape changes, assume not)
        return False


def _refers_back(items: list) -> bool:
    """Whether the parse tree holds a back-reference (by number: wrapping the pattern renumbers)."""
    c = sre_constants
    for op, av in items:
        if op in (c.GROUPREF, c.GROUPREF_EXISTS):
            return True
        nested = (av,) if isinstance(av, sre_parse.SubPattern) else av if isinstance(av, list | tuple) else ()
        for part in nested:
            if isinstance(part, sre_parse.SubPattern) and _refers_back(list(part)):
                return True
            if isinstance(part, list) and any(isinstance(b, sre_parse.SubPattern) and _refers_back(list(b))
                                              for b in part):
                return True
    return False


_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
}


def _char_source(op, av) -> str:
    """One parse item that consumes one character, written back as a pattern."""
    c = sre_constants
    if op is c.LITERAL:
        return re.escape(chr(av))
    if op is c.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]"
    if op is c.ANY:
        return "."
    parts = []
    for index, (kind, value) in enumerate(av):
        if kind is c.NEGATE and index == 0:
            parts.append("^")
        elif kind is c.LITERAL:
            parts.append(re.escape(chr(value)))
        elif kind is c.RANGE:
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is c.CATEGORY and str(value) in _CATEGORIES:
            parts.append(_CATEGORIES[str(value)])
        else:
            raise _Unsupported(str(kind))
    return "[" + "".join(parts) + "]"
