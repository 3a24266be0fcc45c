"""docanalyzer: does this procedure note document what a coding auditor needs?

Library entry points: ``analyze(text)`` for one note, ``Analyzer`` for many (the pipeline is
built once), and the spaCy factory ``"docanalyzer"``. Importing this module loads no rules and
builds no pipeline; that happens when an ``Analyzer`` is created.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("docanalyzer")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0.0.0+unknown"

from docanalyzer.analyzer import Analyzer, analyze
from docanalyzer.report import Report

__all__ = ["Analyzer", "Report", "__version__", "analyze"]
