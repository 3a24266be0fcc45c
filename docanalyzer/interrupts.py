"""Ctrl-C and SIGTERM as an orderly stop: one line, exit 130/143, the ``.partial`` kept, no traceback.

Raising from a signal handler at an arbitrary point can leave a lock of ``concurrent.futures``
held and hang the shutdown of the worker pool. So while the pool runs (``deferred``), a first
SIGINT or SIGTERM only sets a flag, and the parallel loop stops at the next note boundary
(``stop_if_asked``); the same signal a second time ends the process at once (the workers follow
their parent; ``FILE.partial`` is kept either way). Outside the pool, SIGTERM raises ``Terminated``
where the program is, as Ctrl-C raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """SIGTERM: not an ``Exception``, so no per-note handler turns it into an error result, and the
    output's ``with`` blocks keep ``FILE.partial``."""


_deferring = 0
_asked: int | None = None  # the signal that asked to stop, while deferring


def install() -> None:
    """The CLI's SIGTERM handler (the library leaves the host program's handlers alone)."""
    signal.signal(signal.SIGTERM, _on_signal)


def _raise_for(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated()


def _on_signal(signum: int, frame: object) -> None:
    global _asked
    if not _deferring:
        _raise_for(signum)
    if _asked is not None:  # asked twice: stop now, without cleanup
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    _asked = signum


@contextmanager
def deferred() -> Iterator[None]:
    """Inside: Ctrl-C (when Python's own handler is in place) and SIGTERM (when ``install``ed) wait for
    ``stop_if_asked``. Only the main thread can handle signals; elsewhere this changes nothing."""
    global _deferring
    main = threading.current_thread() is threading.main_thread()
    own_sigint = main and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if own_sigint:
        signal.signal(signal.SIGINT, _on_signal)
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if own_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def stop_if_asked() -> None:
    """Raise the stop a signal asked for while deferring (at a point where no lock is held)."""
    global _asked
    if _asked is not None:
        signum, _asked = _asked, None
        _raise_for(signum)
