"""Parses the code(s) on a claim: "62304-53", "62304 77003", "62304-26,62284"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"(\d{5})((?:\s*-\s*[0-9A-Z]{2})*)", re.IGNORECASE)


@dataclass(frozen=True)
class BilledCode:
    code: str
    modifiers: tuple[str, ...]

    def __str__(self) -> str:
        return "-".join((self.code, *self.modifiers))


def parse_billed(text: str | None) -> list[BilledCode]:
    if not text:
        return []
    out = []
    for match in _CODE.finditer(text):
        modifiers = tuple(m.strip().upper() for m in match.group(2).split("-") if m.strip())
        out.append(BilledCode(match.group(1), modifiers))
    return out
