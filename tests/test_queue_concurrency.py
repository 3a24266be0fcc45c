"""Many writers at once (issue 16), on SQLite and on a real PostgreSQL server: two auditors deciding
on the same note (one wins, the other gets a conflict, nothing lost), 10,000 notes in one batch (no
row lost or doubled), and two batches racing over the same documents."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")

from sqlalchemy import func, select

from docanalyzer.queue.models import Analysis, Decision, Document, Gap
from docanalyzer.queue.records import entry_for, text_hash
from docanalyzer.queue.store import Conflict, QueueStore


def many_entries(sample_reports, ids: range, tag: str = "") -> list:
    """Entries for ``ids`` built from the sample notes' reports (each text made unique by its id)."""
    base = [entry_for(report, text) for report, text in sample_reports]
    out = []
    for i in ids:
        entry = base[i % len(base)]
        text = f"{entry.text}\n[note {i}{tag}]"
        out.append(dataclasses.replace(entry, document_id=f"note-{i:05d}", text=text, text_hash=text_hash(text),
                                       text_chars=len(text)))
    return out


def counts(store: QueueStore) -> dict[str, int]:
    with store.session() as s:
        return {"documents": s.scalar(select(func.count()).select_from(Document)),
                "distinct_ids": s.scalar(select(func.count(Document.document_id.distinct()))),
                "analyses": s.scalar(select(func.count()).select_from(Analysis)),
                "decisions": s.scalar(select(func.count()).select_from(Decision)),
                "gap_docs": s.scalar(select(func.count(Gap.document_pk.distinct())))}


def test_two_auditors_deciding_at_once_one_wins(queue_url, sample_reports) -> None:
    stores = [QueueStore.open(queue_url), QueueStore.open(queue_url)]  # two processes' worth of connections
    stores[0].enqueue(many_entries(sample_reports, range(20)))
    try:
        for pk in range(1, 21):
            version = stores[0].note(pk).version
            barrier = threading.Barrier(2)

            def decide(who: int, pk: int = pk, version: int = version, barrier=barrier):
                barrier.wait()
                try:
                    return stores[who].decide(pk, ("release", "hold")[who], user=("alice", "bob")[who],
                                              expected_version=version)
                except Conflict as exc:
                    return exc

            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(decide, (0, 1)))
            won = [r for r in results if not isinstance(r, Conflict)]
            lost = [r for r in results if isinstance(r, Conflict)]
            assert len(won) == 1 and len(lost) == 1, results
            assert lost[0].current == version + 1 and lost[0].by == won[0].user
            detail = stores[1].note(pk)
            assert detail.state == won[0].new_state and detail.version == version + 1
            assert [d.user for d in detail.decisions] == [won[0].user]
        assert counts(stores[0])["decisions"] == 20
    finally:
        for store in stores:
            store.close()


def test_ten_thousand_notes_in_one_batch(queue_url, sample_reports) -> None:
    store = QueueStore.open(queue_url)
    try:
        entries = many_entries(sample_reports, range(10_000))
        result = store.enqueue(entries)
        assert (result.documents, result.versions, result.unchanged) == (10_000, 10_000, 0)
        found = counts(store)
        assert found["documents"] == found["distinct_ids"] == found["analyses"] == 10_000
        with_gaps = sum(1 for e in entries if e.gaps)
        assert found["gap_docs"] == with_gaps
        again = store.enqueue(entries)  # the same batch sent twice: nothing new
        assert (again.documents, again.versions, again.unchanged) == (0, 0, 10_000)
        assert counts(store)["analyses"] == 10_000
        assert store.page(page=200, per_page=50).rows[-1].pk > 0
    finally:
        store.close()


def test_two_batches_racing_over_the_same_documents(queue_url, sample_reports) -> None:
    stores = [QueueStore.open(queue_url), QueueStore.open(queue_url)]
    try:
        batches = [many_entries(sample_reports, range(0, 2000)), many_entries(sample_reports, range(1000, 3000))]
        barrier = threading.Barrier(2)

        def send(who: int):
            barrier.wait()
            return stores[who].enqueue(batches[who], chunk=250)

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(send, (0, 1)))
        assert sum(r.documents for r in results) == 3000
        assert sum(r.versions for r in results) == 3000 and sum(r.unchanged for r in results) == 1000
        found = counts(stores[0])
        assert found["documents"] == found["distinct_ids"] == found["analyses"] == 3000
    finally:
        for store in stores:
            store.close()
