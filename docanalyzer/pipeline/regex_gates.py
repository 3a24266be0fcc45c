"""Words a regular expression cannot match without: a cheap test that skips a pattern on a note.

Most target rules written as regular expressions start with a word boundary and an alternation under
IGNORECASE, which Python's ``re`` can only try at every position of the note. Every match of such a
pattern contains one of a few literal strings ("relief", "improvement", "benefit" ...); when the note
(case-folded) contains none of them, the pattern cannot match and is not run. The strings are read
from the pattern's own parse tree, so the test can only say "cannot match" when that is true: a
pattern it cannot analyse gets no gate and always runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from docanalyzer.pipeline.regex_tree import parse_tree

try:  # the parser behind re.compile (private; renamed in Python 3.11, deprecated under its old name)
    from re import _parser as sre_parse  # type: ignore[attr-defined]
    from re._constants import BRANCH, LITERAL, MAX_REPEAT, MIN_REPEAT, SUBPATTERN  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Pythons
    sre_parse = None

Requirement = frozenset[str]  # every match contains at least one of these (case-folded) strings


def gate_of(pattern: re.Pattern[str], *, shortest: int = 3) -> Requirement | None:
    """The strings a match of ``pattern`` always contains one of, or None (no usable gate). A gate with
    a string shorter than ``shortest`` is none ("no", "or": in nearly every note, it would never close;
    a caller whose notes rarely hold a two-letter string, "c1", may ask for 2)."""
    if sre_parse is None:
        return None
    try:
        tree = parse_tree(pattern.pattern, pattern.flags)
        found = _sequence(list(tree))
    except Exception:  # an unexpected tree: no gate, the pattern always runs
        return None
    if found is None or min(len(s) for s in found) < shortest:
        return None
    return found


def passes(gate: Requirement | None, folded_text: str) -> bool:
    """Whether the pattern must be run on a note whose case-folded text is ``folded_text``."""
    return gate is None or any(word in folded_text for word in gate)


def _sequence(items: Iterable[tuple]) -> Requirement | None:
    """The most selective requirement among the mandatory parts of a sequence of parse items."""
    candidates: list[Requirement] = []
    run: list[str] = []
    for op, arg in items:
        if op is LITERAL:
            run.append(chr(arg))
            continue
        if run:
            candidates.append(frozenset(["".join(run).casefold()]))
            run = []
        found = _item(op, arg)
        if found is not None:
            candidates.append(found)
    if run:
        candidates.append(frozenset(["".join(run).casefold()]))
    if not candidates:
        return None
    return max(candidates, key=lambda req: (min(len(s) for s in req), -len(req)))


def _item(op, arg) -> Requirement | None:
    """The requirement of one mandatory item: a group, an alternation, a repeat of at least one."""
    if op is SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            found = _sequence(list(branch))
            if found is None:
                return None  # one way through needs no literal: no requirement
            union |= found
        return frozenset(union)
    if op in (MAX_REPEAT, MIN_REPEAT) and arg[0] >= 1:
        return _sequence(list(arg[2]))
    return None
