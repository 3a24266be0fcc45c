"""Functions a newcomer can hold in their head (issue 14): none in the package or the benchmarks
above radon's grade C (cyclomatic complexity 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

radon_complexity = pytest.importorskip("radon.complexity", reason="radon comes with the test extra")

REPO = Path(__file__).resolve().parents[1]
LIMIT = 20


def _functions(path: Path):
    for block in radon_complexity.cc_visit(path.read_text(encoding="utf-8")):
        yield block
        yield from getattr(block, "methods", [])


def test_no_function_above_complexity_20() -> None:
    too_complex = [
        f"{path.relative_to(REPO)}:{block.lineno} {block.name} ({block.complexity})"
        for folder in ("docanalyzer", "bench") for path in sorted((REPO / folder).rglob("*.py"))
        for block in _functions(path) if block.complexity > LIMIT
    ]
    assert not too_complex, "split these into functions that each do one thing: " + ", ".join(too_complex)


def test_the_check_can_fail(tmp_path: Path) -> None:
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(LIMIT + 1))
    source = tmp_path / "branchy.py"
    source.write_text(f"def branchy(x):\n{branches}\n    return -1\n", encoding="utf-8")
    assert max(block.complexity for block in _functions(source)) > LIMIT
