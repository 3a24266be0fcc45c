"""Getting analyzed notes into the queue from the command line.

``QueueSink`` rides along ``docanalyzer analyze --db``: it remembers each input as the analyzer takes
it and stores each report as the writer writes it (in order, 100 a transaction), so the outputs and
exit codes stay those of ``analyze``. ``NullSink`` is the same shape doing nothing (no ``--db``);
this module imports the store only when one is used, so ``analyze`` runs without the queue extra.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from docanalyzer.queue.records import NoteMeta, meta_of
from docanalyzer.report import Report

FLUSH_EVERY = 100


class NullSink:
    def track(self, items: Iterable[Any]) -> Iterable[Any]:
        return items

    def add(self, report: Report) -> None:
        pass

    def __enter__(self) -> NullSink:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class QueueSink(NullSink):
    def __init__(self, store: Any, flush_every: int = FLUSH_EVERY) -> None:
        from docanalyzer.queue.store import EnqueueResult

        self.store = store
        self.flush_every = flush_every
        self.result = EnqueueResult()
        self._pending: deque[Any] = deque()
        self._buffer: list[tuple[Report, str | None, NoteMeta]] = []

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self._pending.append(item)
            yield item

    def add(self, report: Report) -> None:
        item = self._pending.popleft()
        self._buffer.append((report, item.text, meta_of(item)))
        if len(self._buffer) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            batch, self._buffer = self._buffer, []
            self.result += self.store.enqueue_reports(batch)

    def __exit__(self, *exc: object) -> None:
        """Store what was analyzed, also when the run stops early (Ctrl-C, a full disk)."""
        self.flush()


def enqueue_paths(store: Any, paths: list[str], *, workers: int = 1) -> Any:
    """Analyze files, folders, JSONL or FHIR files and queue every result."""
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.inputs import iter_inputs
    from docanalyzer.integrations.fhir import expand_fhir_inputs

    sink = QueueSink(store)
    with sink:
        for report in Analyzer().analyze_many(sink.track(expand_fhir_inputs(paths, iter_inputs)), n_process=workers):
            sink.add(report)
    return sink.result  # an EnqueueResult
