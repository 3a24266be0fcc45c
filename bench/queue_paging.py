"""How fast the auditor's worklist pages through 10,000 queued notes (issue 16; target < 300 ms a page).

    python bench/queue_paging.py                      # SQLite in a temporary folder
    python bench/queue_paging.py --db postgresql+psycopg://user@127.0.0.1/queue_bench   # an empty database

Builds 10,000 entries from the sample notes' reports (each text made unique), enqueues them in one batch,
then times every worklist page (50 rows) twice: the store's query alone, and the whole HTML page served
by the application (query, templates, headers) through an in-process HTTP client. Prints figures; asserts
nothing (a benchmark, not a timed test).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def entries(count: int) -> list:
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.queue.records import NoteMeta, entry_for, parse_date, text_hash

    analyzer = Analyzer()
    base = []
    for path in sorted((REPO / "sample_notes").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        base.append(entry_for(analyzer.analyze(text, document_id=path.name), text))
    out = []
    for i in range(count):
        entry = base[i % len(base)]
        text = f"{entry.text}\n[note {i}]"
        meta = NoteMeta(provider=f"Dr {chr(65 + i % 12)}", site=("North", "South", "East")[i % 3],
                        service_date=parse_date(f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"))
        out.append(dataclasses.replace(entry, document_id=f"bench-{i:05d}", text=text, text_hash=text_hash(text),
                                       text_chars=len(text), meta=meta))
    return out


def summary(label: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"{label:<44} pages {len(ms):>4}  median {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {ms[-1]:7.1f} ms  {'< 300 ms' if ms[-1] < 300 else 'ABOVE 300 ms'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="An empty database URL (default: SQLite in a temporary folder).")
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--per-page", type=int, default=50)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from docanalyzer.queue.store import QueueStore
    from docanalyzer.queue.worklist import Filters
    from docanalyzer.service.app import create_app
    from docanalyzer.service.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        store = QueueStore.open(url)
        batch = entries(args.notes)
        start = time.perf_counter()
        result = store.enqueue(batch)
        print(f"enqueued {result.documents:,} notes in one batch in {time.perf_counter() - start:.1f} s "
              f"({store.engine.dialect.name})")
        pages = store.page(per_page=args.per_page).pages

        def timed(fn, n: int) -> float:
            begin = time.perf_counter()
            fn(n)
            return time.perf_counter() - begin

        query = [timed(lambda n: store.page(page=n, per_page=args.per_page), n) for n in range(1, pages + 1)]
        filtered = [timed(lambda n: store.page(Filters(verdict="needs_query", missing="contrast_agent"), page=n,
                                               per_page=args.per_page), n) for n in range(1, 21)]
        print(summary("store.page (query only)", query))
        print(summary("store.page, verdict + missing element filter", filtered))
        with TestClient(create_app(Settings(queue_db=url, queue_user="bench"))) as client:
            def get(n: int) -> None:
                response = client.get("/queue", params={"page": n, "per_page": args.per_page})
                assert response.status_code == 200

            http = [timed(get, n) for n in range(1, pages + 1)]
            print(summary("GET /queue (whole HTML page)", http))
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
