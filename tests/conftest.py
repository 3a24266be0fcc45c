"""Shared fixtures and paths for the docanalyzer test suite.

The analyzer (spaCy/medspaCy pipeline) is built once per session and shared by every test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from docanalyzer import Analyzer
from docanalyzer.report import Evidence, Report

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLE_NOTES = REPO / "sample_notes"
EXPECTED = REPO / "tests" / "expected"
EVAL_CORPUS = REPO / "eval" / "corpus"
MTSAMPLES_SPINE = SHARED / "corpora" / "mtsamples" / "spine"

ELEMENT_IDS = (
    "injection_site",
    "contrast_agent",
    "fluoroscopic_guidance",
    "region_imaged",
    "interpretation",
    "mri_contraindication",
    "prior_imaging_inadequate",
    "symptoms",
    "conservative_treatment_failed",
    "prior_spine_surgery",
)


def sample_note_paths() -> list[Path]:
    return sorted(SAMPLE_NOTES.glob("*.txt"))


def eval_note_paths() -> list[Path]:
    return sorted(EVAL_CORPUS.glob("*.txt"))


def read_original(path: Path) -> str:
    """The file's text exactly as stored (bytes decoded as UTF-8, newlines untouched)."""
    return path.read_bytes().decode("utf-8")


def all_evidence(report: Report) -> Iterator[tuple[str, Evidence]]:
    """Every evidence span anywhere in a report, with a label saying where it came from."""
    for element in report.elements:
        for ev in element.evidence:
            yield f"elements[{element.id}].evidence", ev
        for ev in element.discounted:
            yield f"elements[{element.id}].discounted", ev
    for finding in report.findings:
        for ev in finding.evidence:
            yield f"findings[{finding.concept}].evidence", ev
    for ev in report.procedure_evidence:
        yield "procedure_evidence", ev
    for code in report.code_review.suggested_codes:
        for ev in code.evidence:
            yield f"code_review.suggested_codes[{code.code}].evidence", ev
    for modifier in report.code_review.modifiers:
        for ev in modifier.evidence:
            yield f"code_review.modifiers[{modifier.code}].evidence", ev
    for code_finding in report.code_review.findings:
        for ev in code_finding.evidence:
            yield f"code_review.findings[{code_finding.rule_id}].evidence", ev
    review = report.diagnosis_review
    for dx_code in review.suggested if review is not None else []:
        for ev in dx_code.evidence:
            yield f"diagnosis_review.suggested[{dx_code.code}].evidence", ev
    for dx_check in review.billed if review is not None else []:
        for ev in dx_check.evidence:
            yield f"diagnosis_review.billed[{dx_check.code}].evidence", ev


@pytest.fixture(scope="session")
def shipped_patterns(analyzer: Analyzer) -> list[re.Pattern[str]]:
    """Every regular expression the built pipeline's matchers hold (targets, ConText, sections)."""
    out = []
    for name in ("target_matcher", "context", "sectionizer"):
        component = getattr(analyzer.component, name)
        owner = next(getattr(component, n) for n in vars(component) if n.endswith("__matcher"))
        out += [p for ps in owner._MedspacyMatcher__regex_matcher._patterns.values() for p in ps]
    return out


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """One analyzer for the whole session: building the pipeline is the expensive part."""
    return Analyzer()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(
            "../shared/ not found: the MTSamples corpus is only available beside the project "
            "checkout (CI has it)"
        )
    return SHARED


def pytest_configure(config: pytest.Config) -> None:
    # medspaCy's TargetMatcher keeps an internal token Matcher that stays empty when all rules
    # are phrases; spaCy warns (W036) on every call. Third-party noise, not a product warning.
    config.addinivalue_line(
        "filterwarnings", "ignore:.*W036.*does not have any patterns defined:UserWarning"
    )


_CLI_ANALYZERS: dict[tuple, Analyzer] = {}


@pytest.fixture
def runner(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch):
    """A CliRunner whose Analyzer is built once per (checklist, options) for the whole session
    (the default one is the session ``analyzer``); bad checklist files still raise as in real runs."""
    from typer.testing import CliRunner

    import docanalyzer.analyzer

    real = docanalyzer.analyzer.Analyzer
    _CLI_ANALYZERS.setdefault(("auto", (("screen", True),)), analyzer)

    def cached(checklist="auto", **kwargs):
        key = (str(checklist), tuple(sorted({"screen": True, **kwargs}.items())))
        if key not in _CLI_ANALYZERS:
            _CLI_ANALYZERS[key] = real(checklist, **kwargs)
        return _CLI_ANALYZERS[key]

    monkeypatch.setattr(docanalyzer.analyzer, "Analyzer", cached)
    return CliRunner()


# --- the review queue: the same tests on SQLite and on a real PostgreSQL server ---------------------

@pytest.fixture(scope="session")
def postgres_server():
    pytest.importorskip("psycopg", reason="psycopg comes with the queue extra")
    from pg_server import NO_BINARIES, PostgresServer, bin_dir

    binaries = bin_dir()
    if binaries is None:
        pytest.skip(NO_BINARIES)
    server = PostgresServer(binaries)
    server.start()
    yield server
    server.stop()


_DATABASES = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty queue database: a SQLite file, or a new database on the session's PostgreSQL."""
    pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"queue_test_{next(_DATABASES)}"
    yield server.create_database(name)
    server.drop_database(name)


@pytest.fixture(scope="session")
def sample_reports(analyzer: Analyzer) -> list[tuple[Report, str]]:
    """The sample notes' reports with their texts (analyzed once per session)."""
    pairs = []
    for path in sample_note_paths():
        text = read_original(path)
        pairs.append((analyzer.analyze(text, document_id=path.name), text))
    return pairs
