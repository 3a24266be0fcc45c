"""Durable output: a killed run never leaves a half-written file behind, and a finished one survives a
power cut. Every output goes through here: ``atomic_writer`` (evaluation figures, screenshots),
``replace_durably`` (the batch output's ``FILE.partial`` -> ``FILE``, the HTML pages folder)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """Yield a text handle on an owner-only temp file beside ``path``; rename on success."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        replace_durably(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def replace_durably(source: str | Path, target: str | Path) -> None:
    """Rename ``source`` to ``target`` (a file already fsynced, or a folder of them) and make the rename
    itself durable by syncing the folder that holds it."""
    os.replace(source, target)
    fsync_folder(Path(target).parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every platform can open a folder)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
