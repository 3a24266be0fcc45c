"""Does a text use lower-case or capital letters? Asked of every note several times (one-case notes
are read differently), so answered in C: an ASCII letter found by a regular expression settles it,
and only a non-ASCII text without one is scanned letter by letter (the same answer as
``any(c.islower() for c in text)``, without walking a note in capitals character by character)."""

from __future__ import annotations

import re

_ASCII_LOWER = re.compile(r"[a-z]")
_ASCII_UPPER = re.compile(r"[A-Z]")


def has_lower(text: str) -> bool:
    if _ASCII_LOWER.search(text):
        return True
    return not text.isascii() and any(c.islower() for c in text)


def has_upper(text: str) -> bool:
    if _ASCII_UPPER.search(text):
        return True
    return not text.isascii() and any(c.isupper() for c in text)
