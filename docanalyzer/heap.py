"""The garbage collector's view of the heap while worker processes are forked from it.

Forked workers share the parent's memory page by page until a page is written. A full collection
writes to every object it visits (its reference counts and links), so a worker that collects copies
the pages of the pipeline it inherited and spends its time walking objects that live as long as it
does; the parent, meanwhile, walks them again while it reads the workers' results. ``gc.freeze()``
moves the objects alive now out of the collector's sight (CPython's documented recipe for
pre-fork servers); nothing is collected less than before, only later: the parent unfreezes when
the batch ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the duration of the block, unless the host program froze it itself
    (then its freeze is its own to undo)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
