"""A progress bar for long batches, on stderr, without a dependency.

It stays silent unless the stream is a terminal, and it only appears once a batch has run for
``delay`` seconds, so short runs print nothing extra. It redraws at most ``refresh`` times per
second on one line (carriage return) and erases that line when done, so it never ends up in a log.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from docanalyzer.inputs import NOTE_SUFFIXES

_CLEAR = "\r\x1b[K"


def count_inputs(paths: Iterable[str]) -> int | None:
    """How many notes ``iter_inputs(paths)`` will yield, cheaply (None when it cannot tell).

    Folders are walked for *.txt as ``iter_inputs`` does; *.jsonl files are counted by their
    non-blank lines (bytes only: nothing is parsed or decoded); stdin counts as one note.
    """
    total = 0
    for raw in paths:
        if raw == "-":
            total += 1
            continue
        path = Path(raw)
        try:
            if path.is_dir():
                found = sum(
                    1 for _root, _dirs, files in os.walk(path) for name in files if name.endswith(NOTE_SUFFIXES)
                )
                total += max(found, 1)
            elif path.suffix == ".jsonl" and path.is_file():
                with path.open("rb") as handle:
                    total += max(sum(1 for line in handle if line.strip()), 1)
            else:
                total += 1
        except OSError:
            total += 1
    return total


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``advance()`` once per finished note; ``close()`` (or the ``with`` block) erases the bar.

    ``enabled=False`` makes every method a no-op, so callers need no branches.
    """

    def __init__(
        self,
        total: int | None,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        delay: float = 2.0,
        refresh: float = 0.1,
        unit: str = "notes",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.delay = delay
        self.refresh = refresh
        self.unit = unit
        self.done = 0
        self._clock = clock
        self._started = clock()
        self._last_draw = float("-inf")
        self._shown = False
        self._fill, self._empty = ("█", "░") if _can_encode(self.stream, "█░") else ("#", "-")

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = self._clock()
        if now - self._started < self.delay:
            return
        finished = self.total is not None and self.done >= self.total
        if self._shown and now - self._last_draw < self.refresh and not finished:
            return
        self._draw(now)

    def clear(self) -> None:
        """Erase the bar (before something else is printed on the same terminal); the next
        ``advance`` draws it again."""
        if self._shown:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self._shown = False
            self._last_draw = float("-inf")

    def close(self) -> None:
        self.clear()

    def render(self, now: float | None = None, width: int | None = None) -> str:
        """The bar's text (no control characters), e.g. ``  42% |#####     | 42/100 notes  8.1/s  ETA 0:07``."""
        now = self._clock() if now is None else now
        width = width or shutil.get_terminal_size((80, 24)).columns
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        rate_text = f"{rate:.1f}/s" if rate < 100 else f"{rate:.0f}/s"
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = f"ETA {_clock(left)}" if left is not None and self.done < self.total else _clock(elapsed)
            tail = f" {self.done}/{self.total} {self.unit}  {rate_text}  {eta}"
            head = f"{fraction * 100:4.0f}% "
            bar_width = max(10, min(40, width - len(head) - len(tail) - 3))
            filled = round(fraction * bar_width)
            line = f"{head}|{self._fill * filled}{self._empty * (bar_width - filled)}|{tail}"
        else:
            line = f"{self.done} {self.unit}  {rate_text}  {_clock(elapsed)}"
        return line[: max(width - 1, 10)]

    def _draw(self, now: float) -> None:
        self.stream.write(_CLEAR + self.render(now))
        self.stream.flush()
        self._shown = True
        self._last_draw = now


def _can_encode(stream: TextIO, chars: str) -> bool:
    try:
        chars.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def progress_enabled(stream: TextIO, *, quiet: bool) -> bool:
    """A bar is shown only on an interactive terminal, and never with --quiet or TERM=dumb."""
    if quiet or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
