"""The wheel must carry every subpackage and every rule file (an installed package runs outside
the checkout, where a missing subpackage only shows up as an ImportError for the user)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def test_every_subpackage_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "docanalyzer").rglob("__init__.py")
        if "patterns" not in init.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_every_rule_file_is_shipped_as_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    for rule_file in (REPO / "patterns").rglob("*"):
        if rule_file.suffix not in {".json", ".yaml"}:
            continue
        folder = rule_file.parent.relative_to(REPO / "patterns").parts
        package = ".".join(("docanalyzer", "patterns", *folder))
        assert f"*{rule_file.suffix}" in package_data.get(package, []), rule_file


def test_every_html_template_is_shipped_as_package_data() -> None:
    """The HTML report renders from docanalyzer/output/templates/ (a PackageLoader): a template or
    the stylesheet left out of package-data works in a checkout and fails in an installed wheel."""
    from fnmatch import fnmatch

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"].get("docanalyzer.output", [])
    folder = REPO / "docanalyzer" / "output" / "templates"
    files = sorted(f"templates/{path.name}" for path in folder.iterdir() if path.is_file())
    assert "templates/report.css" in files and "templates/report.html.j2" in files
    assert [f for f in files if not any(fnmatch(f, g) for g in globs)] == []
    assert not any(path.is_dir() for path in folder.iterdir()), "the package-data globs do not reach subfolders"
