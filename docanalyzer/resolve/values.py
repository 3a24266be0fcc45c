"""Extracts the values an auditor checks: interspace level, contrast concentration and volume."""

from __future__ import annotations

import re

_LEVEL = re.compile(
    r"\b([CTL])\s*(\d{1,2})\s*(?:-|–|/|to|and)\s*([CTLS])?\s*(\d{1,2})\b|\b(L5)\s*(?:-|–|/)\s*(S1)\b",
    re.IGNORECASE,
)
# "180 mgI/mL", "240 mg I/ml", "Omnipaque 300", "Isovue-M 200", "isovue-m200"
_CONCENTRATION = re.compile(
    r"(?:\b(\d{3})\s*(?:mg\s*(?:I|iodine)?\s*/\s*m[lL]|mgi/ml|mgi)\b)"
    r"|(?:(?:omnipaque|isovue(?:\s*-?\s*m)?|visipaque|optiray|conray|iohexol|iopamidol)\s*-?\s*(\d{3})\b)",
    re.IGNORECASE,
)
_VOLUME = re.compile(r"\b(\d{1,3}(?:\.\d+)?)\s*(?:ml|mls|cc|cc's|milliliters?)\b", re.IGNORECASE)


def normalize_level(text: str) -> str | None:
    """'l3/4' -> 'L3-L4'; 'L5-S1' stays; None when no level is found."""
    match = _LEVEL.search(text)
    if not match:
        return None
    if match.group(5):
        return "L5-S1"
    region, first, second_region, second = match.group(1, 2, 3, 4)
    region = region.upper()
    second_region = (second_region or region).upper()
    if not _adjacent(region, int(first), second_region, int(second)):
        return None  # a span of levels ("L2 to S1", a fusion) is no puncture interspace
    return f"{region}{int(first)}-{second_region}{int(second)}"


_LAST = {"C": 7, "T": 12, "L": 5}
_NEXT_REGION = {"C": "T", "T": "L", "L": "S"}


def _adjacent(region: str, first: int, second_region: str, second: int) -> bool:
    """Two neighbouring vertebrae (L3-L4, T12-L1, C7-T1, L5-S1): an interspace."""
    if region == second_region:
        return second == first + 1
    return _NEXT_REGION.get(region) == second_region and first == _LAST.get(region) and second == 1


def contrast_values(sentence: str, agent_start: int) -> dict[str, float]:
    """Concentration (mgI/mL) and volume (mL) stated near the agent in its sentence.

    ``agent_start`` is the agent's offset inside ``sentence``; values closest to it win, so a
    sentence naming two agents keeps each agent's own numbers as far as the text allows.
    """
    values: dict[str, float] = {}
    conc = _closest(_CONCENTRATION, sentence, agent_start)
    if conc is not None:
        values["concentration_mgi_ml"] = float(conc.group(1) or conc.group(2))
    volume = _closest(_VOLUME, sentence, agent_start)
    if volume is not None:
        values["volume_ml"] = float(volume.group(1))
    if "concentration_mgi_ml" in values and "volume_ml" in values:
        values["iodine_mg"] = round(values["concentration_mgi_ml"] * values["volume_ml"], 1)
    return values


def _closest(pattern: re.Pattern[str], text: str, anchor: int) -> re.Match[str] | None:
    best: re.Match[str] | None = None
    for match in pattern.finditer(text):
        if best is None or abs(match.start() - anchor) < abs(best.start() - anchor):
            best = match
    return best
