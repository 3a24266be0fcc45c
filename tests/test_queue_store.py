"""The queue's store (issue 16), on SQLite and on a real PostgreSQL server: migrations, idempotent
enqueue, versions that keep decisions, hash-only storage, the append-only audit trail, filters,
sorting, paging, trends and exports."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from conftest import all_evidence

pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")

from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from docanalyzer.queue.export import rows, write_csv, write_jsonl
from docanalyzer.queue.records import NoteMeta, entry_for, parse_date
from docanalyzer.queue.store import Conflict, QueueError, QueueStore
from docanalyzer.queue.trends import trends
from docanalyzer.queue.worklist import Filters


@pytest.fixture
def store(queue_url):
    store = QueueStore.open(queue_url)
    yield store
    store.close()


def _meta(i: int) -> NoteMeta:
    return NoteMeta(provider=("Dr Adams", "Dr Baker")[i % 2], site=("North", "South")[i % 3 == 0],
                    service_date=parse_date(("2026-10-05", "2026-11-12")[i % 2]))


def _fill(store: QueueStore, sample_reports) -> None:
    store.enqueue_reports((report, text, _meta(i)) for i, (report, text) in enumerate(sample_reports))


def test_migrations_create_what_the_models_describe(store: QueueStore) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from docanalyzer.queue.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    QueueStore.open(str(store.engine.url.render_as_string(hide_password=False))).close()  # again: a no-op


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    store = QueueStore.open(f"sqlite:///{tmp_path / 'q.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(sql("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_enqueue_is_idempotent_on_document_and_text(store: QueueStore, sample_reports) -> None:
    first = store.enqueue_reports((r, t, None) for r, t in sample_reports)
    assert (first.documents, first.versions, first.unchanged) == (14, 14, 0)
    again = store.enqueue_reports((r, t, None) for r, t in sample_reports)
    assert (again.documents, again.versions, again.unchanged) == (0, 0, 14)
    assert store.page().total == 14


def test_reanalysis_adds_a_version_and_keeps_decisions(store: QueueStore, sample_reports, analyzer) -> None:
    report, text = sample_reports[1]
    store.enqueue_reports([(report, text, None)])
    pk = store.find(report.document_id)
    store.decide(pk, "hold", user="alice", comment="waiting for the addendum")
    addendum = text + "\nADDENDUM: Omnipaque 180, 10 mL, was the contrast agent.\n"
    store.enqueue_reports([(analyzer.analyze(addendum, document_id=report.document_id), addendum, None)])
    detail = store.note(pk)
    assert [a.version for a in detail.analyses] == [2, 1]
    assert detail.text == addendum and detail.state == "held"
    assert [(d.user, d.action, d.analysis_version) for d in detail.decisions] == [("alice", "hold", 1)]
    assert detail.version == 3  # first analysis, the decision, the new analysis: each moves the version


def test_same_text_under_new_rules_is_a_new_version(store: QueueStore, sample_reports) -> None:
    report, text = sample_reports[0]
    entry = entry_for(report, text)
    store.enqueue([entry])
    store.enqueue([dataclasses.replace(entry, rules_version="0123456789abcdef")])
    store.enqueue([dataclasses.replace(entry, rules_version="0123456789abcdef")])
    detail = store.note(store.find(report.document_id))
    assert [a.rules_version for a in detail.analyses] == ["0123456789abcdef", entry.rules_version]


def test_hash_only_keeps_no_note_text(queue_url, sample_reports) -> None:
    store = QueueStore.open(queue_url, keep_text=False)
    report, text = sample_reports[1]  # 02_contrast_unnamed: evidence quotes "fluoroscopic guidance"
    store.enqueue_reports([(report, text, None)])
    detail = store.note(store.find(report.document_id))
    assert detail.text is None and detail.analyses[0].text_kept is False
    ev = detail.report.element("fluoroscopic_guidance").evidence[0]
    assert ev.text == f"@{ev.start}-{ev.end}"  # offsets in place of the quote
    with store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sql("SELECT text, report_json FROM queue_analyses"))
                          for v in row)
    store.close()
    # quotes long enough to be the note's own words (short ones such as "fluoroscopic guidance" are rule names too)
    quotes = {json.dumps(ev.text)[1:-1] for _, ev in all_evidence(report) if len(ev.text) >= 25}
    assert quotes and not [q for q in quotes if q in stored]
    assert '"level"' not in stored and '"devices"' not in stored  # extracted values are dropped too
    assert json.dumps(text[:200])[1:-1] not in stored


def test_decisions_are_append_only(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    store.decide(1, "release", user="alice")
    for statement in ("UPDATE queue_decisions SET \"user\" = 'mallory'", "DELETE FROM queue_decisions"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sql(statement))
    assert [d.user for d in store.decisions()] == ["alice"]


def test_decide_records_who_what_and_the_previous_state(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    first = store.decide(3, "hold", user="alice", comment="query the radiologist", expected_version=1)
    second = store.decide(3, "query_sent", user="bob", expected_version=2)
    third = store.decide(3, "comment", user="carol", comment="called the office", expected_version=3)
    trail = [(d.user, d.action, d.previous_state, d.new_state, d.document_version) for d in store.decisions()]
    assert trail == [("alice", "hold", "open", "held", 1), ("bob", "query_sent", "held", "query_sent", 2),
                     ("carol", "comment", "query_sent", "query_sent", 3)]
    assert first.created_at <= second.created_at <= third.created_at
    assert store.note(3).version == 4


def test_a_stale_version_is_a_conflict_and_changes_nothing(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    store.decide(2, "hold", user="alice", expected_version=1)
    with pytest.raises(Conflict, match="now version 2, state held") as caught:
        store.decide(2, "release", user="bob", expected_version=1)
    assert caught.value.by == "alice"
    assert store.note(2).state == "held" and len(list(store.decisions())) == 1
    with pytest.raises(QueueError, match="unknown action"):
        store.decide(2, "delete", user="bob")
    with pytest.raises(QueueError, match="comment needs its text"):
        store.decide(2, "comment", user="bob", comment="  ")


def test_worklist_puts_what_blocks_billing_first(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    order = {"error": 0, "deficient": 1, "needs_review": 2, "needs_query": 3, "complete": 4, "not_applicable": 5}
    listed = store.page(per_page=200).rows
    assert [order[r.verdict] for r in listed] == sorted(order[r.verdict] for r in listed)
    released = listed[0].pk
    store.decide(released, "release", user="alice")
    assert store.page(per_page=200).rows[-1].pk == released  # decided notes go to the end


def test_filters_and_paging(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    everything = store.page(per_page=200)
    assert everything.total == 14
    pages = [store.page(page=n, per_page=4) for n in (1, 2, 3, 4)]
    assert [p.pages for p in pages] == [4, 4, 4, 4]
    assert [r.pk for p in pages for r in p.rows] == [r.pk for r in everything.rows]
    needs_query = store.page(Filters(verdict="needs_query"))
    assert needs_query.total == sum(r.verdict == "needs_query" for r, _ in sample_reports) > 0
    contrast = store.page(Filters(missing="contrast_agent"))
    assert contrast.total > 0 and all(any(g.startswith("contrast_agent") for g in r.gaps) for r in contrast.rows)
    adams = store.page(Filters(provider="Dr Adams"))
    assert adams.total == 7 and {r.provider for r in adams.rows} == {"Dr Adams"}
    november = store.page(Filters(date_from=parse_date("2026-11-01"), date_to=parse_date("2026-11-30")))
    assert november.total == 7 and {r.note_date for r in november.rows} == {"2026-11-12"}
    assert store.page(Filters(severity=3)).total == sum(
        any(f.severity == "error" for f in r.code_review.findings) for r, _ in sample_reports)
    store.decide(everything.rows[0].pk, "hold", user="alice")
    assert [r.pk for r in store.page(Filters(state="held")).rows] == [everything.rows[0].pk]


def test_trends_per_provider_site_and_month(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    with store.session() as session:
        by_provider = {row.key: row for row in trends(session, ("provider",))}
        full = trends(session)
    scored = [(i, r) for i, (r, _) in enumerate(sample_reports) if r.verdict in ("complete", "needs_query",
                                                                                    "deficient")]
    adams = by_provider[("Dr Adams",)]
    assert adams.notes == 7
    assert adams.scored == sum(1 for i, _ in scored if i % 2 == 0)
    assert adams.complete == sum(1 for i, r in scored if i % 2 == 0 and r.verdict == "complete")
    assert sum(row.notes for row in full) == 14
    assert [row.key[2] for row in full] == sorted((row.key[2] for row in full), reverse=True)  # newest month first
    assert any(row.top_missing for row in full)


def test_exports_as_csv_and_jsonl(store: QueueStore, sample_reports) -> None:
    _fill(store, sample_reports)
    store.decide(1, "hold", user="alice", comment="=HYPERLINK(\"x\")")
    out = io.StringIO()
    assert write_csv(out, rows(store, "decisions")) == 1
    assert "'=HYPERLINK" in out.getvalue() and out.getvalue().startswith("id,document_id,action,comment,user,")
    out = io.StringIO()
    assert write_jsonl(out, rows(store, "notes")) == 14
    first = json.loads(out.getvalue().splitlines()[0])
    assert {"document_id", "state", "verdict", "gaps", "provider", "site", "month"} <= first.keys()
    out = io.StringIO()
    write_csv(out, rows(store, "trends"))
    assert out.getvalue().startswith("provider,site,month,notes,scored,complete,share_complete,top_missing")


def test_database_errors_never_carry_note_text(store: QueueStore, sample_reports) -> None:
    report, text = sample_reports[0]
    marker = text[:40]
    broken = dataclasses.replace(entry_for(report, text, NoteMeta(provider=marker)), verdict=None)  # NOT NULL
    with pytest.raises(QueueError) as caught:
        store.enqueue([broken])
    assert "refused" in str(caught.value) and marker not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
