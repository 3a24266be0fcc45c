"""Text made safe for a terminal: a document id, a file name or a quote can carry escape sequences
(retitle the window, clear the screen) or bidi overrides; they are shown as escapes, never sent raw."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters as ``\\x..`` / ``\\u....`` escapes (tab and newline kept)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)
