"""The auditor's page in headless Chromium (issue 16), on SQLite and PostgreSQL: open the worklist,
filter it, open a note, record a decision, see it in the audit trail. Screenshots of each step are
saved in the test's temporary folder (and in $DOCANALYZER_SCREENSHOTS when set); the page must raise
no Content-Security-Policy violation and load nothing from another host."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")
pytest.importorskip("fastapi", reason="the server extra is not installed")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright comes with the test extra")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_queue(queue_url, analyzer, sample_reports, monkeypatch):
    import uvicorn

    import docanalyzer.service.app as service_app
    from docanalyzer.queue.records import NoteMeta, parse_date
    from docanalyzer.queue.store import QueueStore
    from docanalyzer.service.settings import Settings

    store = QueueStore.open(queue_url)
    store.enqueue_reports((report, text, NoteMeta(provider=("Dr Adams", "Dr Baker")[i % 2], site="North",
                                                  service_date=parse_date("2026-11-0" + str(1 + i % 9))))
                          for i, (report, text) in enumerate(sample_reports))
    store.close()
    monkeypatch.setattr(service_app, "Analyzer", lambda: analyzer)
    app = service_app.create_app(Settings(queue_db=queue_url, queue_user="alice"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _shot(page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    copy_to = os.environ.get("DOCANALYZER_SCREENSHOTS")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)")
def test_filter_open_decide_and_see_the_audit_trail(live_queue, tmp_path, queue_url) -> None:
    problems: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{live_queue}/queue")
        assert page.locator("h1").inner_text() == "Worklist"
        assert "14 notes" in page.locator("#count").inner_text()
        _shot(page, tmp_path, "1-worklist")

        page.select_option("select[name=verdict]", "needs_query")
        page.select_option("select[name=provider]", "Dr Baker")
        page.click("#apply")
        page.wait_for_url("**/queue?*verdict=needs_query*")
        listed = page.locator("table.worklist tbody tr")
        count = listed.count()
        assert count >= 1 and f"{count} note" in page.locator("#count").inner_text()
        assert all(listed.nth(i).locator(".pill").inner_text() == "Needs query" for i in range(count))
        _shot(page, tmp_path, "2-filtered")

        document = listed.first.locator("a.doc").inner_text()
        listed.first.locator("a.doc").click()
        page.wait_for_selector("#decision")
        assert page.locator("h2").first.inner_text().endswith(document)
        assert page.locator("mark.ev").count() > 0 and page.locator(".query").count() > 0
        _shot(page, tmp_path, "3-note")

        page.check("input[name=action][value=hold]")
        page.fill("#comment", "Contrast agent not named: query sent to the radiologist's office.")
        page.click("#record")
        page.wait_for_selector("#recorded")
        assert "hold by alice" in page.locator("#recorded").inner_text()
        trail = page.locator("#trail table.audit").first.locator("tbody tr").first.inner_text()
        assert "alice" in trail and "open → held" in trail and "query sent to the radiologist" in trail
        assert page.locator("#state").inner_text() == "held"
        page.locator("#decision").scroll_into_view_if_needed()
        _shot(page, tmp_path, "4-decided")

        page.goto(f"{live_queue}/queue?state=held")
        assert page.locator("table.worklist a.doc").all_inner_texts() == [document]
        page.goto(f"{live_queue}/queue/trends")
        assert page.locator("table.trends tbody tr").count() >= 2
        _shot(page, tmp_path, "5-trends")
        browser.close()
    assert not [m for m in problems if "Content Security Policy" in m or "Refused" in m], problems
    assert all(url.startswith(live_queue) for url in requests), [u for u in requests if not u.startswith(live_queue)]
