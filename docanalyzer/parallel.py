"""Multi-core batch analysis with results in input order, that survives a worker dying.

Each worker process builds its pipeline once (loading is the expensive part) and then takes
notes in chunks. Chunks are submitted in a bounded window, so memory stays flat whatever the
batch size, and their results are yielded in submission order.

A worker that dies (killed by an operator or the OOM killer, or crashing in native code) breaks
the pool: ``concurrent.futures`` reports it on every unfinished chunk instead of waiting forever.
The pool is then rebuilt and the first unfinished chunk is re-run one note at a time; a note whose
worker dies again gets an error result (``E008_WORKER_DIED``), the other chunks are re-submitted.
Every break settles at least one chunk, so the run always ends and every note gets one result.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, TimeoutError
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path

from docanalyzer.errors import ErrorCode
from docanalyzer.heap import frozen_heap
from docanalyzer.inputs import NoteInput
from docanalyzer.interrupts import deferred, stop_if_asked
from docanalyzer.report import InputInfo, Report

_WORKER = None  # the worker process's Analyzer
_OPTIONS: dict = {}

Item = tuple[int, str | NoteInput]


def _die_with_parent(parent: int) -> None:
    """Linux: end this worker when the parent process ends (a parent killed by SIGTERM or SIGKILL
    must not leave workers behind waiting on a queue nobody writes, holding the caller's pipes)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above could take effect
        os._exit(0)


def _init_worker(checklist: str, billed_code: str | None, screen: bool, inherited: bool,
                 claim_type: str = "professional", parent: int = 0, analyzer_class: type | None = None,
                 billed_dx: list[str] | None = None, analyzer_options: dict | None = None) -> None:
    global _WORKER, _OPTIONS
    # Ctrl-C goes to the whole process group: the parent alone answers it (one line, no traceback from
    # each worker) and stops the pool between notes. SIGTERM ends a worker silently (the pool itself
    # uses it to end the workers of a broken pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent or os.getppid())
    if not inherited:  # spawned (not forked) workers build their own pipeline once
        assert analyzer_class is not None
        _WORKER = analyzer_class(checklist, screen=screen, claim_type=claim_type, **(analyzer_options or {}))
    _OPTIONS = {"billed_code": billed_code, "billed_dx": billed_dx}


def _analyze_chunk(chunk: list[Item]) -> bytes:
    """Reports travel back as JSON lines (pydantic parses JSON faster than it unpickles a model, and
    the parent process, which also feeds the workers, is the bottleneck of a 2-core run), compressed:
    a chunk's message then fits the pipe in one write, so a worker killed while sending is very
    unlikely to leave a torn message behind (which would stall the pool's reader)."""
    assert _WORKER is not None
    out = []
    for index, note in chunk:
        if isinstance(note, NoteInput):
            report = _WORKER.analyze_input(note, billed_code=_OPTIONS["billed_code"], billed_dx=_OPTIONS["billed_dx"])
        else:
            report = _WORKER.analyze(note, document_id=f"doc-{index}", billed_code=_OPTIONS["billed_code"],
                                     billed_dx=_OPTIONS["billed_dx"])
        out.append(report.__pydantic_serializer__.to_json(report))  # one line: JSON escapes newlines
    return zlib.compress(b"\n".join(out), 1)


def _reports(payload: bytes, chunk: list[Item], checklist: str, billed_code: str | None,
             claim_type: str) -> Iterator[Report]:
    """The chunk's reports, in its order. Each is validated (pydantic builds a report from JSON faster
    than Python code can rebuild one, validated or not: 0.21 against 0.25 ms a myelography report).
    A result that cannot be read (never seen: the workers run this module) gives that note an error
    result: a batch never stops, nor loses a note, over one result."""
    for item, line in zip(chunk, _lines(payload, len(chunk)), strict=True):
        stop_if_asked()  # (a SIGTERM or Ctrl-C stops here, between notes, never inside the pool's locks)
        try:
            yield Report.model_validate_json(line)
        except ValueError:  # (pydantic's ValidationError; no line at all for a torn payload)
            yield _unreadable_report(item, checklist, billed_code, claim_type)


def _lines(payload: bytes, count: int) -> list[bytes]:
    """One JSON line per note of the chunk, or empty lines (each then unreadable) for a payload that is
    not ``count`` compressed lines."""
    try:
        lines = zlib.decompress(payload).split(b"\n")
    except zlib.error:
        return [b""] * count
    return lines if len(lines) == count else [b""] * count


def _result(future: Future) -> bytes:
    """Wait for a chunk, answering a stop request meanwhile (a worker stuck or killed mid-result
    would otherwise keep Ctrl-C and SIGTERM waiting)."""
    while True:
        try:
            return future.result(timeout=0.25)
        except TimeoutError:
            stop_if_asked()


class _Workers:
    """A process pool that can be rebuilt after a worker dies."""

    def __init__(self, workers: int, setup: tuple) -> None:
        forking = "fork" in mp.get_all_start_methods()
        self._context = mp.get_context("fork") if forking else mp.get_context()
        self._workers = workers
        self._setup = setup
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self._workers, mp_context=self._context, initializer=_init_worker,
                                   initargs=self._setup)

    def submit(self, chunk: list[Item]) -> Future:
        """A future for the chunk's results; a broken pool gives one that fails (handled by the caller
        like a worker dying during the chunk), so no chunk taken from the input is ever dropped."""
        try:
            return self.pool.submit(_analyze_chunk, chunk)
        except BrokenProcessPool as exc:
            failed: Future = Future()
            failed.set_exception(exc)
            return failed

    def rebuild(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def close(self, *, abandon: bool) -> None:
        """Normal end: wait for the workers. Interrupted: cancel what has not started and do not wait;
        the workers finish their current chunk (never killed mid-result) and end."""
        self.pool.shutdown(wait=not abandon, cancel_futures=True)


def _died_report(item: Item, checklist: str, billed_code: str | None, claim_type: str) -> Report:
    """The result of a note whose worker died twice while analyzing it."""
    return _failed_report(item, checklist, billed_code, claim_type, ErrorCode.WORKER_DIED,
                          "the worker process analyzing this note died (killed, or out of memory) twice; "
                          "analyze it again on its own")


def _unreadable_report(item: Item, checklist: str, billed_code: str | None, claim_type: str) -> Report:
    """The result of a note whose worker's result could not be read."""
    return _failed_report(item, checklist, billed_code, claim_type, ErrorCode.INTERNAL,
                          "internal error: the worker's result for this note could not be read; analyze it "
                          "again on its own")


def _failed_report(item: Item, checklist: str, billed_code: str | None, claim_type: str, code: ErrorCode,
                   message: str) -> Report:
    from docanalyzer.checklist import load_checklist
    from docanalyzer.short_reports import error_report

    index, note = item
    spec = load_checklist("62304" if checklist == "auto" else checklist)
    document_id = note.document_id if isinstance(note, NoteInput) else f"doc-{index}"
    source = note.source if isinstance(note, NoteInput) else None
    billed = billed_code or (note.billed_code if isinstance(note, NoteInput) else None)
    claim = (note.claim_type if isinstance(note, NoteInput) else None) or claim_type
    return error_report(document_id, spec, code, message, InputInfo(chars=0, source=source), billed, claim)


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
    analyzer_class: type | None = None,
    billed_dx: list[str] | None = None,
    analyzer_options: dict | None = None,
) -> Iterator[Report]:
    """Yield one report per item, in input order, using ``workers`` processes.

    With the fork start method (Linux), an already built ``analyzer`` is inherited by the workers
    instead of being rebuilt in each of them; otherwise each worker builds an ``analyzer_class``
    (given by ``Analyzer.analyze_many``: this module does not import the analyzer)."""
    global _WORKER
    inherited = "fork" in mp.get_all_start_methods() and analyzer is not None
    if inherited:
        _WORKER = analyzer
    numbered = enumerate(items, start=1)
    if analyzer_class is None and analyzer is not None:
        analyzer_class = type(analyzer)
    with frozen_heap():  # (the workers, forked from here, do not walk or copy the heap they inherit)
        yield from _run(numbered, workers, chunksize, str(checklist), billed_code, claim_type,
                        (str(checklist), billed_code, screen, inherited, claim_type, os.getpid(), analyzer_class,
                         billed_dx, analyzer_options))


def _run(numbered: Iterator[Item], workers: int, chunksize: int, checklist: str, billed_code: str | None,
         claim_type: str, setup: tuple) -> Iterator[Report]:
    """The pool's loop: a bounded window of chunks in flight, results in submission order."""
    pool = _Workers(workers, setup)
    in_flight: deque[tuple[list[Item], Future]] = deque()
    window = workers * 8  # chunks in flight at most: the input is read as the results go out
    finished = False
    try:
        with deferred():
            while True:
                while len(in_flight) < window and (chunk := list(islice(numbered, chunksize))):
                    in_flight.append((chunk, pool.submit(chunk)))
                if not in_flight:
                    break
                chunk, future = in_flight.popleft()
                try:
                    payload = _result(future)
                except BrokenProcessPool:
                    stop_if_asked()  # (a SIGTERM to the whole group ends the workers too: not a crash)
                    pool.rebuild()
                    yield from _rerun_alone(pool, chunk, checklist, billed_code, claim_type)
                    in_flight = deque((waiting, pool.submit(waiting)) for waiting, _ in in_flight)
                    continue
                yield from _reports(payload, chunk, checklist, billed_code, claim_type)
        finished = True
    finally:
        pool.close(abandon=not finished)


def _rerun_alone(pool: _Workers, chunk: list[Item], checklist: str, billed_code: str | None,
                 claim_type: str) -> Iterator[Report]:
    """The notes of a chunk whose worker died, one at a time: a note that kills its worker again
    gets an error result, and the others are not lost with it."""
    for item in chunk:
        stop_if_asked()
        try:
            payload = _result(pool.submit([item]))
        except BrokenProcessPool:
            stop_if_asked()
            pool.rebuild()
            yield _died_report(item, checklist, billed_code, claim_type)
            continue
        yield from _reports(payload, [item], checklist, billed_code, claim_type)
