"""Per-note pages for big HTML reports: the main page keeps the summary and the worklist.

An HTML report of 100,000 notes in one file is over 600 MB, which no browser opens. Above a
threshold (``HtmlReport(pages_dir=..., page_threshold=500)``) the notes go into pages of
``NOTES_PER_PAGE`` notes in a folder beside the report (``review.html`` -> ``review_notes/``), and the
worklist links into them. The folder is written as ``review_notes.partial/`` (owner-only) and renamed
when complete, replacing the previous run's; a symbolic link planted at either name is refused.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from docanalyzer.output.atomic import replace_durably

NOTES_PER_PAGE = 100


def pages_dir_for(output: Path) -> Path:
    return output.with_name(output.stem + "_notes")


def page_name(index: int) -> str:
    """The page holding note ``index`` (1-based)."""
    return f"notes-{(index - 1) // NOTES_PER_PAGE + 1:05d}.html"


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise OSError(errno.ELOOP, f"refusing to use {path}: it is a symbolic link")


def write_pages(folder: Path, notes: Iterable[str], page: Callable[[int, int, list[str]], str]) -> None:
    """Write ``notes`` (rendered articles, in order) as pages made by ``page(first, last, articles)``."""
    partial = folder.with_name(folder.name + ".partial")
    for path in (folder, partial):
        _refuse_link(path)
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(mode=0o700)
    batch: list[str] = []
    first = 1
    for index, article in enumerate(notes, start=1):
        batch.append(article)
        if len(batch) == NOTES_PER_PAGE:
            _write(partial / page_name(first), page(first, index, batch))
            first, batch = index + 1, []
    if batch:
        _write(partial / page_name(first), page(first, first + len(batch) - 1, batch))
    if folder.exists():
        shutil.rmtree(folder)
    replace_durably(partial, folder)


def _write(path: Path, content: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
