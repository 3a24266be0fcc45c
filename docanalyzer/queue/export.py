"""Exports for people and scripts: the audit trail, the documents, the trends, as CSV or JSONL.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) get a
leading ``'``, as in the analyzer's own CSV worklist.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from docanalyzer.queue.store import QueueStore
from docanalyzer.queue.trends import trends

WHAT = ("decisions", "notes", "trends")


def rows(store: QueueStore, what: str, by: tuple[str, ...] = ("provider", "site", "month")) -> Iterator[dict]:
    """The rows of one export, as plain dictionaries."""
    if what == "decisions":
        yield from (dataclasses.asdict(record) for record in store.decisions())
    elif what == "notes":
        yield from store.documents()
    elif what == "trends":
        with store.session() as session:
            yield from (row.as_dict(by) for row in trends(session, by))
    else:
        raise ValueError(f"export one of: {', '.join(WHAT)}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(handle: TextIO, items: Iterable[dict]) -> int:
    writer = None
    count = 0
    for item in items:
        if writer is None:
            writer = csv.DictWriter(handle, fieldnames=list(item), lineterminator="\n")
            writer.writeheader()
        writer.writerow({key: _cell(value) for key, value in item.items()})
        count += 1
    return count


def write_jsonl(handle: TextIO, items: Iterable[dict]) -> int:
    count = 0
    for item in items:
        handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count
