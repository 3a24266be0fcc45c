"""Every error docanalyzer reports, with a stable machine-readable code.

Codes are part of the output contract (the ``errors`` list of a report and the CLI's messages),
so tools that route failed notes can rely on them. Messages never contain note text.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Stable codes for per-note and configuration errors."""

    EMPTY_INPUT = "E001_EMPTY_INPUT"
    BINARY_INPUT = "E002_BINARY_INPUT"
    DECODE_FAILED = "E003_DECODE_FAILED"
    TOO_LARGE = "E004_TOO_LARGE"
    UNREADABLE = "E005_UNREADABLE"
    UNSUPPORTED_FORMAT = "E006_UNSUPPORTED_FORMAT"
    NOT_TEXT = "E007_NOT_TEXT"
    WORKER_DIED = "E008_WORKER_DIED"
    INTERNAL = "E099_INTERNAL"
    RULE_FILE = "E101_RULE_FILE"
    CHECKLIST_FILE = "E102_CHECKLIST_FILE"
    CHECKLIST_NOT_FOUND = "E103_CHECKLIST_NOT_FOUND"


class DocAnalyzerError(Exception):
    """Base class: carries a code so callers can route on it."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InputError(DocAnalyzerError):
    """One note could not be analyzed (empty, binary, too large...). The batch goes on."""


class RuleFileError(DocAnalyzerError):
    """A pattern or checklist file is malformed. Raised before any note is processed."""

    code = ErrorCode.RULE_FILE

    def __init__(self, path: str, field: str, problem: str, code: ErrorCode | None = None, *,
                 more: list[tuple[str, str]] | None = None) -> None:
        """``field``/``problem``: the first problem (its line, when known, is part of ``problem``);
        ``more``: every other one, so a rule author fixes a file in one pass, as with spaCy's configs."""
        self.path = path
        self.field = field
        self.problem = problem
        self.problems = [(field, problem), *(more or [])]
        shown = "; ".join(f"field '{f}': {p}" for f, p in self.problems)
        count = f"{len(self.problems)} problems: " if len(self.problems) > 1 else ""
        super().__init__(f"{path}: {count}{shown}", code)
