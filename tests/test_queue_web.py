"""The auditor's pages and the queue API (issue 16), on SQLite and on a real PostgreSQL server:
strict CSP and no scripts, CSRF on every form, tokens when set, 409 on a stale decision, FHIR and
JSON enqueue, hostile text shown as text, and no note text in any log line."""

from __future__ import annotations

import base64
import logging
import re

import pytest

pytest.importorskip("sqlalchemy", reason="the queue extra is not installed")
pytest.importorskip("fastapi", reason="the server extra is not installed")

from fastapi.testclient import TestClient

import docanalyzer.service.app as service_app
from docanalyzer.service.app import create_app
from docanalyzer.service.settings import Settings

SECRET_PHRASE = "Zebrafinch-Quillwort radiculopathy"
NOTE = (f"PROCEDURE: Lumbar myelogram.\nHISTORY: {SECRET_PHRASE}; physical therapy failed. MRI contraindicated "
        "(pacemaker).\nTECHNIQUE: Under fluoroscopic guidance a 22-gauge needle was placed at L2-L3 and 10 mL of "
        "Omnipaque 180 was injected intrathecally. Lumbar images were obtained.\n"
        "IMPRESSION: Moderate spinal stenosis at L4-L5.\n")


@pytest.fixture
def make_client(queue_url, analyzer, monkeypatch):
    monkeypatch.setattr(service_app, "Analyzer", lambda: analyzer)  # the session's pipeline, built once
    clients = []

    def make(**settings) -> TestClient:
        client = TestClient(create_app(Settings(queue_db=queue_url, queue_secret="s3cret", **settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def enqueue(client: TestClient, document_id: str = "n-1", text: str = NOTE, **extra) -> dict:
    response = client.post("/v1/queue", json={"text": text, "document_id": document_id, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_pages_have_a_strict_csp_and_no_script(make_client) -> None:
    client = make_client(queue_user="alice")
    enqueue(client, provider="Dr Adams", site="North", service_date="2026-11-03")
    for path in ("/queue", "/queue/notes/1", "/queue/trends"):
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'none'" in csp and "form-action 'self'" in csp
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "<script" not in response.text.lower() and " style=" not in response.text
        assert re.findall(r'(?:href|src)="(https?:)?//', response.text) == []  # nothing from another host
    assert client.get("/queue/static/report.css").headers["content-type"].startswith("text/css")


def test_note_page_shows_evidence_queries_and_decision_form(make_client) -> None:
    client = make_client(queue_user="alice")
    enqueue(client, text=NOTE.replace("10 mL of Omnipaque 180", "10 mL of contrast"))
    page = client.get("/queue/notes/1").text
    assert '<mark class="ev' in page  # the HTML report's evidence highlighting
    assert "Physician query drafts" in page or 'class="query"' in page
    assert 'name="action" value="release"' in page and 'name="action" value="query_sent"' in page
    assert 'name="version" value="1"' in page


def test_decision_form_records_and_shows_in_the_trail(make_client) -> None:
    client = make_client(queue_user="alice")
    enqueue(client)
    form = {"csrf": csrf_of(client.get("/queue/notes/1").text), "version": "1", "action": "hold",
            "comment": "ask for the contrast lot"}
    response = client.post("/queue/notes/1/decisions", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/queue/notes/1?decided=")
    page = client.get(response.headers["location"]).text
    assert "Decision recorded" in page and "ask for the contrast lot" in page and "open → held" in page
    assert ">alice<" in page


def test_stale_form_is_a_409_with_the_current_state(make_client) -> None:
    client = make_client(queue_user="alice")
    enqueue(client)
    csrf = csrf_of(client.get("/queue/notes/1").text)
    first = client.post("/queue/notes/1/decisions", data={"csrf": csrf, "version": "1", "action": "release"})
    assert first.status_code == 200
    second = client.post("/queue/notes/1/decisions", data={"csrf": csrf, "version": "1", "action": "hold"})
    assert second.status_code == 409
    assert "409 conflict" in second.text and "now version 2, state released" in second.text
    assert client.get("/v1/queue/1").json()["state"] == "released"


def test_forms_without_a_valid_csrf_token_are_refused(make_client) -> None:
    client = make_client(queue_user="alice")
    enqueue(client)
    client.get("/queue")  # sets the CSRF cookie
    for token in (None, "", "0" * 64):
        data = {"version": "1", "action": "release"} | ({"csrf": token} if token is not None else {})
        assert client.post("/queue/notes/1/decisions", data=data).status_code == 403
    other = make_client(queue_user="mallory")  # a token minted for another browser's cookie
    other.get("/queue")
    stolen = csrf_of(other.get("/queue/notes/1").text)
    assert client.post("/queue/notes/1/decisions", data={"csrf": stolen, "version": "1",
                                                         "action": "release"}).status_code == 403
    assert client.get("/v1/queue/1").json()["decisions"] == []


def test_tokens_protect_pages_and_api_and_name_the_user(make_client) -> None:
    client = make_client(queue_tokens=(("alice", "tok-alice"), ("bob", "tok-bob")), api_token="tok-api",
                         queue_user="intake")
    assert client.post("/v1/queue", json={"text": NOTE, "document_id": "n-1"}).status_code == 401
    assert client.get("/v1/queue", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.post("/v1/queue", json={"text": NOTE, "document_id": "n-1"},
                     headers={"Authorization": "Bearer tok-api"})
    assert ok.status_code == 200
    assert client.get("/queue", follow_redirects=False).headers["location"] == "/queue/login"
    login = client.get("/queue/login")
    bad = client.post("/queue/login", data={"csrf": csrf_of(login.text), "token": "wrong"})
    assert bad.status_code == 401
    signed = client.post("/queue/login", data={"csrf": csrf_of(login.text), "token": "tok-bob"},
                         follow_redirects=False)
    assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    page = client.get("/queue/notes/1")
    assert page.status_code == 200 and "Signed in as <b>bob</b>" in page.text
    client.post("/queue/notes/1/decisions", data={"csrf": csrf_of(page.text), "version": "1", "action": "hold"})
    api = client.post("/v1/queue/1/decisions", json={"action": "release", "expected_version": 2},
                      headers={"Authorization": "Bearer tok-alice"})
    assert api.status_code == 200
    trail = client.get("/v1/queue/1", headers={"Authorization": "Bearer tok-alice"}).json()["decisions"]
    assert [(d["user"], d["action"]) for d in trail] == [("alice", "release"), ("bob", "hold")]


def test_cookies_are_secure_over_tls(make_client) -> None:
    client = make_client(queue_tokens=(("bob", "tok-bob"),))
    client.base_url = "https://testserver"
    login = client.get("/queue/login")
    assert "secure" in login.headers["set-cookie"].lower()  # the CSRF cookie
    signed = client.post("/queue/login", data={"csrf": csrf_of(login.text), "token": "tok-bob"},
                         follow_redirects=False)
    assert signed.status_code == 303 and "secure" in signed.headers["set-cookie"].lower()
    plain = make_client(queue_tokens=(("bob", "tok-bob"),)).get("/queue/login")
    assert "secure" not in plain.headers["set-cookie"].lower()  # (plain http on loopback: the demo)


def test_api_conflict_is_409(make_client) -> None:
    client = make_client()
    enqueue(client)
    assert client.post("/v1/queue/1/decisions", json={"action": "hold", "expected_version": 1}).status_code == 200
    stale = client.post("/v1/queue/1/decisions", json={"action": "release", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert client.post("/v1/queue/9/decisions", json={"action": "hold", "expected_version": 1}).status_code == 404
    form_post = client.post("/v1/queue/1/decisions", data={"action": "hold", "expected_version": "2"})
    assert form_post.status_code == 422  # JSON only: a cross-site form cannot decide


def test_enqueue_is_idempotent_and_a_changed_text_is_a_new_version(make_client) -> None:
    client = make_client()
    assert enqueue(client)["versions"] == 1
    assert enqueue(client)["unchanged"] == 1
    again = enqueue(client, text=NOTE + "ADDENDUM: patient tolerated the procedure well.\n")
    assert again["versions"] == 1 and again["notes"][0]["analysis_version"] == 2
    assert client.post("/v1/queue", json={"document_id": "x"}).status_code == 422
    assert client.post("/v1/queue", content=b"text=1",
                       headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 415


def test_fhir_document_reference_is_queued_with_provider_site_and_date(make_client) -> None:
    pytest.importorskip("fhir.resources", reason="the fhir extra is not installed")
    client = make_client()
    resource = {
        "resourceType": "DocumentReference", "id": "doc-77", "status": "current",
        "date": "2026-10-20T09:00:00Z", "author": [{"display": "Dr Chen"}], "custodian": {"display": "East Clinic"},
        "content": [{"attachment": {"contentType": "text/plain",
                                    "data": base64.b64encode(NOTE.encode()).decode()}}],
    }
    response = client.post("/v1/queue", json=resource)
    assert response.status_code == 200, response.text
    assert response.json()["notes"][0]["document_id"] == "doc-77"
    row = client.get("/v1/queue", params={"provider": "Dr Chen"}).json()["notes"][0]
    assert (row["site"], row["note_date"]) == ("East Clinic", "2026-10-20")


def test_hostile_text_and_ids_are_shown_as_text(make_client) -> None:
    client = make_client()
    enqueue(client, document_id='<img src=x onerror="alert(1)">', text=NOTE + "<script>alert(2)</script>\n")
    for path in ("/queue", "/queue/notes/1"):
        page = client.get(path).text
        assert "<img src=x" not in page and "<script>" not in page
        assert "&lt;img src=x" in page


def test_worklist_filters_and_pages(make_client) -> None:
    client = make_client()
    for i in range(7):
        enqueue(client, document_id=f"n-{i}", provider=("Dr Adams", "Dr Baker")[i % 2],
                text=NOTE if i % 3 else NOTE.replace("Omnipaque 180", "contrast"))
    page = client.get("/queue", params={"provider": "Dr Baker"}).text
    assert "3 notes" in page and "n-1" in page and "n-0" not in page
    page = client.get("/queue", params={"missing": "contrast_agent"}).text
    assert "3 notes" in page
    first = client.get("/queue", params={"per_page": "5"}).text
    assert "page 1 of 2" in first and 'rel="next"' in first
    assert "page 2 of 2" in client.get("/queue", params={"per_page": "5", "page": "2"}).text
    trends = client.get("/queue/trends", params={"provider": "1"}).text
    assert "Dr Adams" in trends and "Share complete" in trends
    csv = client.get("/queue/export/trends.csv", params={"provider": "1"})
    assert csv.text.startswith("provider,notes,scored,complete,share_complete,top_missing")


def test_no_note_text_in_any_log(make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(queue_user="alice")
    enqueue(client, provider="Dr Adams")
    page = client.get("/queue/notes/1").text
    client.post("/queue/notes/1/decisions", data={"csrf": csrf_of(page), "version": "1", "action": "hold",
                                                  "comment": SECRET_PHRASE})
    client.get("/queue", params={"missing": "contrast_agent"})
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("GET /queue 200 ") for m in messages)  # the access log knows the queue's paths
    assert any(m.startswith("POST /v1/queue 200 ") for m in messages)
    assert not [m for m in messages if "Zebrafinch" in m]
