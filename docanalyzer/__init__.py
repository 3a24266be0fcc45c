"""docanalyzer: does this procedure note document what a coding auditor needs?

Library entry points: ``analyze(text)`` for one note, ``Analyzer`` for many (the pipeline is
built once), and the spaCy factory ``"docanalyzer"``. Importing this module loads no rules and
builds no pipeline; that happens when an ``Analyzer`` is created.
"""

from __future__ import annotations

from docanalyzer.version import __version__

__all__ = ["Analyzer", "Report", "__version__", "analyze"]


def __getattr__(name: str) -> object:
    """``Analyzer``, ``analyze`` and ``Report`` load spaCy and pydantic models on first use, so
    ``import docanalyzer`` (and the command line's own start-up checks) stay light."""
    if name in ("Analyzer", "analyze"):
        from docanalyzer.heap import long_lived

        with long_lived("modules"):  # (spaCy, medspaCy, the rules' models: loaded for the process)
            from docanalyzer import analyzer

        return getattr(analyzer, name)
    if name == "Report":
        from docanalyzer.report import Report

        return Report
    raise AttributeError(f"module 'docanalyzer' has no attribute {name!r}")
