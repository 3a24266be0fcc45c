"""The installed version, in a module of its own so every module can import it without importing the
package's ``__init__`` (which re-exports the library API)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("docanalyzer")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0.0.0+unknown"
