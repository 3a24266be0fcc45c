"""The garbage collector's view of the pipeline: loaded and built once, it lives as long as the process.

The analyzer's modules and pipeline are a few hundred thousand Python objects (spaCy, medspaCy and
pydantic's modules, spaCy's vocabulary and matchers, the rules, compiled patterns) that stay alive
until the process ends. The cyclic collector still walks them: while they are made (about 75 ms of
collections during the imports, which free next to nothing), in a full collection during the run (a
tiny note's analysis triggered one of about 40 ms), and when the interpreter ends (a one-note run
spent about a tenth of a second tearing them down). Forked workers share the parent's memory page
by page until a page is written, and a collection writes to every object it visits, so it also
copies the pages of the pipeline they inherited. ``gc.freeze()`` moves the objects alive now out of
the collector's sight: CPython's documented recipe for long-lived objects and pre-fork servers.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

_KEPT: set[str] = set()  # what docanalyzer has frozen in this process ("modules", "pipeline")
OPT_OUT = "DOCANALYZER_GC_FREEZE"
"""Set to ``0`` in a host program that must keep every object it made before docanalyzer's first use
collectable as cyclic garbage: docanalyzer then never freezes the heap (start-up is slower)."""


def _allowed() -> bool:
    return os.environ.get(OPT_OUT, "1").strip().lower() not in ("0", "false", "no", "off")


def keep_for_process(what: str) -> None:
    """Freeze the heap once per process for ``what``: after the analyzer's modules are loaded, and when
    the first pipeline is built (a second analyzer in the same process is collected as usual). A host
    program that froze the heap itself keeps its own freeze. What is frozen is never collected as
    cyclic garbage: modules, the pipeline, and whatever the host made before them."""
    if what in _KEPT or (gc.get_freeze_count() and not _KEPT) or not _allowed():
        return
    gc.freeze()
    _KEPT.add(what)


@contextmanager
def long_lived(what: str) -> Iterator[None]:
    """Objects made inside the block live as long as the process (the modules being imported, the
    pipeline being built): no collection while they are made (it would free next to nothing: a
    module import triggered about 75 ms of them), then ``keep_for_process(what)``; the collector is
    left as enabled or disabled as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        keep_for_process(what)
        if enabled:
            gc.enable()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the duration of the block (workers are forked inside it), unless it is
    frozen already; nothing is collected less than before, only later: unfrozen when the block ends."""
    if gc.get_freeze_count() or not _allowed():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
