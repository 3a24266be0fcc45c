"""A pattern's parse tree, read once: ``regex_gates`` and ``regex_starts`` both read it.

The gate of every pattern is read on a pipeline's first note, its starter later, when a note first
needs the pattern: parsing a large target pattern again (Python's ``re`` parser is pure Python) cost
about a third of reading its starter. The trees are only read, never changed, by both.
"""

from __future__ import annotations

from functools import lru_cache

try:  # the parser behind re.compile (private; renamed in Python 3.11, deprecated under its old name)
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    sre_parse = None


@lru_cache(maxsize=1024)
def parse_tree(source: str, flags: int):
    """``re``'s parse tree of ``source`` under ``flags`` (raises ``re.error`` as ``re.compile`` would)."""
    return sre_parse.parse(source, flags)
