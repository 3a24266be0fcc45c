"""Documentation trends for improvement work: per provider, site and month, the share of complete
notes and the elements most often missing. Counted in the database (two GROUP BY queries)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docanalyzer.queue.models import Document, Gap

SCORED = ("complete", "needs_query", "deficient")
"""Verdicts of notes the checklist was scored on (as in the HTML report): the share's denominator."""
GROUPS = {"provider": Document.provider, "site": Document.site, "month": Document.month}
TOP = 3


@dataclass(frozen=True)
class Trend:
    key: tuple[str | None, ...]
    notes: int
    scored: int
    complete: int
    top_missing: list[tuple[str, int]] = field(default_factory=list)

    @property
    def share_complete(self) -> float | None:
        return self.complete / self.scored if self.scored else None

    def as_dict(self, by: tuple[str, ...]) -> dict[str, Any]:
        share = self.share_complete
        return {**dict(zip(by, self.key, strict=True)), "notes": self.notes, "scored": self.scored,
                "complete": self.complete, "share_complete": round(share, 4) if share is not None else None,
                "top_missing": "; ".join(f"{element} ({n})" for element, n in self.top_missing)}


def trends(session: Session, by: tuple[str, ...] = ("provider", "site", "month")) -> list[Trend]:
    """One row per group, newest month first then by name; a note without a provider groups under None."""
    unknown = [name for name in by if name not in GROUPS]
    if unknown or not by:
        raise ValueError(f"group by one or more of: {', '.join(GROUPS)}")
    columns = [GROUPS[name] for name in by]
    verdicts: dict[tuple, Counter[str]] = defaultdict(Counter)
    for *key, verdict, n in session.execute(select(*columns, Document.verdict, func.count())
                                            .group_by(*columns, Document.verdict)):
        verdicts[tuple(key)][verdict] += n
    gaps: dict[tuple, Counter[str]] = defaultdict(Counter)
    for *key, element, n in session.execute(select(*columns, Gap.element_id, func.count()).join(Gap)
                                            .group_by(*columns, Gap.element_id)):
        gaps[tuple(key)][element] += n
    rows = [Trend(key=key, notes=sum(counts.values()), scored=sum(counts[v] for v in SCORED),
                  complete=counts["complete"],
                  top_missing=sorted(gaps[key].items(), key=lambda item: (-item[1], item[0]))[:TOP])
            for key, counts in verdicts.items()]
    month_first = "month" in by
    position = by.index("month") if month_first else 0

    def order(row: Trend) -> tuple:
        rest = tuple(v or "" for i, v in enumerate(row.key) if not (month_first and i == position))
        month = row.key[position] or "" if month_first else ""
        return (_descending(month), rest)

    return sorted(rows, key=order)


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)
