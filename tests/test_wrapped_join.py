"""normalize joins hard-wrapped lines by trying its patterns only at line starts (a speed-up of
``pattern.sub``, which tries every character): the same text out, on every note and rewrite."""

from __future__ import annotations

import pytest
from conftest import EVAL_CORPUS, REPO

from docanalyzer import normalize as normalize_module
from docanalyzer.metamorphic import REWRITES

PATTERNS = {
    "mixed case": normalize_module._WRAPPED,
    "lower case": normalize_module._one_case_wrap(normalize_module._WRAPPED_LOWER, 40),
    "capitals": normalize_module._one_case_wrap(normalize_module._WRAPPED_CAPITALS, 40),
}
EDGES = [
    "",
    "\n\n",
    "x" * 45 + "\n- and a bullet put before the wrapped part\n- " + "y" * 45 + "\n* again\n",
    "A line long enough to have been wrapped at a fixed width\nand the rest of it\n\u2022 next item",
    "NOTE IN CAPITALS THAT WAS WRAPPED AT SIXTY COLUMNS OR SO\nAND GOES ON HERE\n10\tHX\tROW",
]


def _texts() -> list[str]:
    notes = [p.read_text(encoding="utf-8") for folder in (EVAL_CORPUS, REPO / "eval" / "dev")
             for p in sorted(folder.glob("*.txt"))][:120]
    return EDGES + notes + [REWRITES[r](t) for t in notes[:40] for r in ("lower", "upper", "wrap60")]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_joining_at_line_starts_equals_the_patterns_own_substitution(name: str) -> None:
    pattern = PATTERNS[name]
    for text in _texts():
        expected = pattern.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
        assert normalize_module._join_wrapped(pattern, text) == expected
