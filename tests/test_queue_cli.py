"""The queue on the command line (issue 16): ``analyze --db`` keeps every output and exit code and
stores as it writes; ``queue list|show|decide|export|stats|demo`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO, SAMPLE_NOTES

pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")

from docanalyzer.cli import app
from docanalyzer.queue.store import QueueStore


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv"])
def test_analyze_with_db_writes_the_same_output(runner, queue_url, fmt) -> None:
    plain = runner.invoke(app, ["analyze", str(SAMPLE_NOTES), "-f", fmt, "--quiet"])
    stored = runner.invoke(app, ["analyze", str(SAMPLE_NOTES), "-f", fmt, "--quiet", "--db", queue_url])
    assert (stored.exit_code, stored.stdout) == (plain.exit_code, plain.stdout)
    store = QueueStore.open(queue_url)
    assert store.page().total == 14
    store.close()


def test_analyze_with_db_keeps_exit_codes(runner, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "empty.txt").write_text("", encoding="utf-8")
    (notes / "ok.txt").write_text((SAMPLE_NOTES / "02_contrast_unnamed.txt").read_text(encoding="utf-8"))
    for extra, code in (([], 3), (["--fail-under", "95"], 3)):
        assert runner.invoke(app, ["analyze", str(notes), "--db", url, *extra]).exit_code == code
    assert runner.invoke(app, ["analyze", str(notes / "ok.txt"), "--db", url, "--fail-under", "95"]).exit_code == 1
    store = QueueStore.open(url)
    verdicts = {row.document_id.rsplit("/", 1)[-1]: row.verdict for row in store.page().rows}
    store.close()
    assert verdicts == {"empty.txt": "error", "ok.txt": "needs_query"}


def test_analyze_with_a_bad_db_is_a_usage_error(runner, tmp_path) -> None:
    result = runner.invoke(app, ["analyze", str(SAMPLE_NOTES), "--db", "postgresql+psycopg://u:pw@127.0.0.1:1/x"])
    assert result.exit_code == 2 and "cannot open the queue database" in result.stderr
    assert "pw" not in result.stderr and result.stdout == ""


def test_jsonl_labels_reach_the_queue(runner, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    batch = tmp_path / "batch.jsonl"
    text = (SAMPLE_NOTES / "01_complete_lumbar_myelogram.txt").read_text(encoding="utf-8")
    batch.write_text(json.dumps({"document_id": "a-1", "text": text, "provider": "Dr Adams", "site": "North",
                                 "service_date": "2026-09-30"}) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["analyze", str(batch), "--db", url, "-q"]).exit_code == 0
    listed = runner.invoke(app, ["queue", "list", "--db", url, "--jsonl", "--provider", "Dr Adams"])
    row = json.loads(listed.stdout)
    assert (row["document_id"], row["site"], row["note_date"]) == ("a-1", "North", "2026-09-30")


def test_queue_commands(runner, queue_url) -> None:
    assert runner.invoke(app, ["analyze", str(SAMPLE_NOTES), "--db", queue_url, "-q"]).exit_code == 0
    listed = runner.invoke(app, ["queue", "list", "--db", queue_url, "--verdict", "needs_query"])
    assert listed.exit_code == 0 and "02_contrast_unnamed.txt" in listed.stdout
    doc = str(SAMPLE_NOTES / "02_contrast_unnamed.txt")
    decided = runner.invoke(app, ["queue", "decide", "--db", queue_url, doc, "query_sent", "--user", "alice",
                                  "--comment", "contrast agent?", "--expect-version", "1"])
    assert decided.exit_code == 0 and "open -> query_sent by alice" in decided.stdout
    stale = runner.invoke(app, ["queue", "decide", "--db", queue_url, doc, "release", "--expect-version", "1"])
    assert stale.exit_code == 5 and "conflict" in stale.stderr
    shown = runner.invoke(app, ["queue", "show", "--db", queue_url, doc])
    assert "state query_sent  version 2" in shown.stdout and "alice query_sent" in shown.stdout
    as_json = json.loads(runner.invoke(app, ["queue", "show", "--db", queue_url, doc, "--json"]).stdout)
    assert as_json["report"]["verdict"] == "needs_query" and as_json["decisions"][0]["user"] == "alice"
    assert runner.invoke(app, ["queue", "show", "--db", queue_url, "nope"]).exit_code == 2
    exported = runner.invoke(app, ["queue", "export", "--db", queue_url, "--what", "decisions", "-f", "jsonl"])
    assert json.loads(exported.stdout)["comment"] == "contrast agent?"
    stats = runner.invoke(app, ["queue", "stats", "--db", queue_url, "--by", "month"])
    assert stats.exit_code == 0 and "share" in stats.stdout and "14" in stats.stdout
    assert runner.invoke(app, ["queue", "stats", "--db", queue_url, "--by", "planet"]).exit_code == 2


def test_export_to_a_file(runner, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    runner.invoke(app, ["analyze", str(SAMPLE_NOTES), "--db", url, "-q"])
    out = tmp_path / "trends.csv"
    result = runner.invoke(app, ["queue", "export", "--db", url, "--what", "trends", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("provider,site,month,notes,scored,complete,share_complete")


def test_demo_enqueues_the_sample_notes_and_prints_the_url(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run([sys.executable, "-m", "docanalyzer.cli", "queue", "demo", "--db", url, "--no-serve",
                             "--port", "8765"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Review queue: http://127.0.0.1:8765/queue"
    store = QueueStore.open(url)
    assert store.page().total == 14
    store.close()


def test_analyze_works_without_the_queue_extra() -> None:
    code = ("import sys; sys.modules['sqlalchemy'] = None; sys.modules['alembic'] = None\n"
            "from docanalyzer.cli import main; sys.argv = ['docanalyzer', 'analyze', 'sample_notes', '-q', '-f', "
            "'csv']; main()")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.count("\n") == 15
    code = code.replace("'-f', 'csv'", "'--db', 'sqlite:///x.db'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "pip install 'docanalyzer[queue]'" in result.stderr
