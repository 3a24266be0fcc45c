"""Multi-core batch analysis with results in input order.

Each worker process builds its pipeline once (loading is the expensive part) and then takes
notes in chunks; ``Pool.imap`` hands results back in input order. The input is fed in bounded
windows, so memory stays flat whatever the batch size.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from docanalyzer.inputs import NoteInput
from docanalyzer.report import Report

_WORKER = None  # the worker process's Analyzer
_OPTIONS: dict = {}


def _init_worker(checklist: str, billed_code: str | None, screen: bool, inherited: bool,
                 claim_type: str = "professional") -> None:
    global _WORKER, _OPTIONS
    # Ctrl-C goes to the whole process group: the parent alone answers it (one line, no traceback from
    # each worker); the parent's pool ends the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not inherited:  # spawned (not forked) workers build their own pipeline once
        from docanalyzer.analyzer import Analyzer

        _WORKER = Analyzer(checklist, screen=screen, claim_type=claim_type)
    _OPTIONS = {"billed_code": billed_code}


def _analyze_one(item: tuple[int, str | NoteInput]) -> bytes:
    """Reports travel back as JSON: pydantic parses it faster than it unpickles a model, and the
    parent process (which also feeds the workers) is the bottleneck of a 2-core run."""
    index, note = item
    assert _WORKER is not None
    if isinstance(note, NoteInput):
        report = _WORKER.analyze_input(note, billed_code=_OPTIONS["billed_code"])
    else:
        report = _WORKER.analyze(note, document_id=f"doc-{index}", billed_code=_OPTIONS["billed_code"])
    return report.__pydantic_serializer__.to_json(report)


def analyze_parallel(
    items: Iterable[str | NoteInput],
    *,
    workers: int,
    checklist: str | Path = "62304",
    billed_code: str | None = None,
    chunksize: int = 16,
    screen: bool = True,
    analyzer: object | None = None,
    claim_type: str = "professional",
) -> Iterator[Report]:
    """Yield one report per item, in input order, using ``workers`` processes.

    With the fork start method (Linux), an already built ``analyzer`` is inherited by the workers
    instead of being rebuilt in each of them."""
    global _WORKER
    forking = "fork" in mp.get_all_start_methods()
    context = mp.get_context("fork") if forking else mp.get_context()
    inherited = forking and analyzer is not None
    if inherited:
        _WORKER = analyzer
    window = workers * chunksize * 8  # notes in flight at most: Pool.imap would read the whole input ahead
    numbered = enumerate(items, start=1)
    setup = (str(checklist), billed_code, screen, inherited, claim_type)
    with context.Pool(workers, initializer=_init_worker, initargs=setup) as pool:
        while batch := list(islice(numbered, window)):
            for payload in pool.imap(_analyze_one, batch, chunksize=chunksize):
                yield Report.model_validate_json(payload)
