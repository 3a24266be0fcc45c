"""Multi-core batch analysis with results in input order.

Each worker process builds its pipeline once (loading is the expensive part) and then takes
notes in chunks; ``Pool.imap`` hands results back in input order. The input is fed in bounded
windows, so memory stays flat whatever the batch size.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from docanalyzer.inputs import NoteInput
from docanalyzer.report import Report

_WORKER = None  # the worker process's Analyzer
_OPTIONS: dict = {}


def _init_worker(checklist: str, billed_code: str | None, screen: bool) -> None:
    global _WORKER, _OPTIONS
    from docanalyzer.analyzer import Analyzer

    _WORKER = Analyzer(checklist, screen=screen)
    _OPTIONS = {"billed_code": billed_code}


def _analyze_one(item: tuple[int, str | NoteInput]) -> Report:
    index, note = item
    assert _WORKER is not None
    if isinstance(note, NoteInput):
        return _WORKER.analyze_input(note, billed_code=_OPTIONS["billed_code"])
    return _WORKER.analyze(note, document_id=f"doc-{index}", billed_code=_OPTIONS["billed_code"])


def analyze_parallel(
    items: Iterable[str | NoteInput],
    *,
    workers: int,
    checklist: str | Path = "62304",
    billed_code: str | None = None,
    chunksize: int = 8,
    screen: bool = True,
) -> Iterator[Report]:
    """Yield one report per item, in input order, using ``workers`` processes."""
    context = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    window = workers * chunksize * 8  # notes in flight at most: Pool.imap would read the whole input ahead
    numbered = enumerate(items, start=1)
    with context.Pool(workers, initializer=_init_worker, initargs=(str(checklist), billed_code, screen)) as pool:
        while batch := list(islice(numbered, window)):
            yield from pool.imap(_analyze_one, batch, chunksize=chunksize)
