"""The package version, in a module of its own so every module can import it without importing the
package's ``__init__`` (which re-exports the library API).

It is the single source: pyproject.toml reads it (``[tool.setuptools.dynamic]``), so the installed
metadata always agrees, and start-up does not pay for ``importlib.metadata`` (about 20 ms).
"""

from __future__ import annotations

__version__ = "0.1.0"
