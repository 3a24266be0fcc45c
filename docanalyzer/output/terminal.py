"""The terminal: text made safe for it (a document id, a file name or a quote can carry escape
sequences that retitle the window or clear the screen, or bidi overrides: they are shown as escapes,
never sent raw), and the progress bar of long batches (tqdm: stderr only, only on a terminal, after two
seconds, erased when done, so it never ends up in a log)."""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters as ``\\x..`` / ``\\u....`` escapes (tab and newline kept)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def progress_enabled(stream: TextIO, *, quiet: bool) -> bool:
    """A bar is shown only on an interactive terminal, and never with --quiet or TERM=dumb."""
    if quiet or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def progress_bar(total: int | None, *, enabled: bool, stream: TextIO | None = None, delay: float = 2.0):
    """A tqdm bar counting notes: ``update()`` per note, ``clear()`` before printing on the same terminal,
    ``close()`` erases it. Disabled, every call is a no-op."""
    from tqdm import tqdm

    stream = stream if stream is not None else sys.stderr
    return tqdm(total=total, file=stream, disable=not enabled, delay=delay, unit=" notes", mininterval=0.1,
                leave=False, dynamic_ncols=True, ascii=not _can_encode(stream, "█▏"))


def _can_encode(stream: TextIO, chars: str) -> bool:
    try:
        chars.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
