"""The patient's age as the note states it ("a 9-year-old boy", "14 yo", "Age: 6", "an 18-month-old").

Only rules that depend on age read it (the paediatric contrast limit), so a simple, strict reading
is enough: a number tied to "year(s) old", "yo", "y/o", "month(s) old" or an "Age:" field. The first
one in the note wins (demographics come first); a note that states none gives None, and no rule
assumes an age it was not told.
"""

from __future__ import annotations

import re

_AGE = re.compile(
    r"(?i)\b(?:age[d]?\s*[:=]?\s*(?P<field>\d{1,3})(?!\s*(?:mm|cm|ml|mg|%|-\d))\b"
    r"|(?P<years>\d{1,3})\s*-?\s*(?:years?|yrs?)[\s-]*old\b"
    r"|(?P<yo>\d{1,3})\s*(?:yo|y/o|y\.o\.)(?![a-z])"
    r"|(?P<months>\d{1,2})\s*-?\s*(?:months?|mos?)[\s-]*old\b)"
)


def patient_age_years(text: str) -> float | None:
    """Age in years (months as a fraction), or None when the note does not say."""
    match = _AGE.search(text)
    if match is None:
        return None
    if match.group("months"):
        return int(match.group("months")) / 12
    return float(next(group for group in (match.group("field"), match.group("years"), match.group("yo")) if group))
