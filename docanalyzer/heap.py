"""The garbage collector's view of the pipeline: built once, it lives as long as the process.

An analyzer's pipeline is a few hundred thousand Python objects (spaCy's vocabulary and matchers,
medspaCy's rules, compiled patterns) that stay alive until the process ends. The cyclic collector
still walks them: in a full collection during the run (a tiny note's analysis triggered one of
about 40 ms), and when the interpreter ends (a one-note run spent about a tenth of a second
tearing them down). Forked workers share the parent's memory page by page until a page is
written, and a collection writes to every object it visits, so it also copies the pages of the
pipeline they inherited. ``gc.freeze()`` moves the objects alive now out of the collector's sight:
CPython's documented recipe for long-lived objects and pre-fork servers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def keep_for_process() -> None:
    """Freeze the heap once per process, when the first pipeline is built; a host program that froze
    it itself keeps its own freeze. What is frozen is never collected as cyclic garbage: the pipeline,
    the modules and whatever the host made before it (objects built later are collected as usual)."""
    if not gc.get_freeze_count():
        gc.freeze()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the duration of the block (workers are forked inside it), unless it is
    frozen already; nothing is collected less than before, only later: unfrozen when the block ends."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
