"""The HTTP service, tested over real sockets: uvicorn serving the app on a free loopback port (in a
thread, and once as ``docanalyzer serve --workers 2`` in a subprocess), plus a bounded schemathesis
property run against the published OpenAPI document."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import REPO, SAMPLE_NOTES, read_original, sample_note_paths

pytest.importorskip("fastapi", reason="the HTTP service needs the server extra: pip install 'docanalyzer[server]'")
uvicorn = pytest.importorskip("uvicorn", reason="the HTTP service needs the server extra")
httpx = pytest.importorskip("httpx", reason="the service tests need httpx (test extra)")

from docanalyzer.service.app import create_app  # noqa: E402
from docanalyzer.service.settings import Settings  # noqa: E402

SECRET = "ZEBRA-SECRET-NOTE-TEXT"
TOKEN = "t0ken-for-tests"
NOTE_02 = SAMPLE_NOTES / "02_contrast_unnamed.txt"


class LiveServer:
    """uvicorn in a background thread on 127.0.0.1, on a port the OS picked."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_config=None, access_log=False, lifespan="on", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(Settings(max_body_bytes=256 * 1024, max_batch=5)) as live:
        yield live


@pytest.fixture(scope="module")
def secured() -> Iterator[LiveServer]:
    with LiveServer(Settings(api_token=TOKEN)) as live:
        yield live


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def library_json(analyzer, text: str, **kwargs) -> dict:
    return json.loads(analyzer.analyze(text, **kwargs).model_dump_json())


def test_health_readiness_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert "62304" in ready.json()["checklists"]
    spec = client.get("/openapi.json").json()
    for path in ("/v1/analyze", "/v1/analyze/batch", "/v1/analyze/fhir", "/v1/checklists", "/healthz", "/readyz"):
        assert path in spec["paths"]
    assert "Report" in spec["components"]["schemas"]
    checklists = client.get("/v1/checklists").json()
    assert checklists["default"] == "auto"
    [default] = [c for c in checklists["checklists"] if c["id"] == "62304"]
    assert {e["id"] for e in default["elements"]} >= {"injection_site", "contrast_agent"}


def test_analyze_one_note_equals_the_library(client, analyzer):
    text = read_original(NOTE_02)
    response = client.post("/v1/analyze", json={"text": text, "document_id": "n-2", "billed_code": "62304"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"]
    assert response.json() == library_json(analyzer, text, document_id="n-2", billed_code="62304")


def test_batch_keeps_order_and_ids(client, analyzer):
    paths = sample_note_paths()[:4]
    notes = [{"text": read_original(p)} for p in paths]
    notes[1]["document_id"] = "second"
    notes[2]["billed_code"] = "62305"
    response = client.post("/v1/analyze/batch", json={"notes": notes, "billed_code": "62304"})
    assert response.status_code == 200
    reports = response.json()["reports"]
    assert [r["document_id"] for r in reports] == ["doc-1", "second", "doc-3", "doc-4"]
    for index, (report, note) in enumerate(zip(reports, notes, strict=True), start=1):
        expected = library_json(analyzer, note["text"], document_id=note.get("document_id", f"doc-{index}"),
                                billed_code=note.get("billed_code", "62304"))
        assert report == expected


def test_a_bad_note_is_a_report_with_errors_not_a_failed_request(client):
    response = client.post("/v1/analyze", json={"text": "   \n  "})
    assert response.status_code == 200
    assert response.json()["verdict"] == "error"
    assert response.json()["errors"][0]["code"] == "E001_EMPTY_INPUT"


@pytest.mark.parametrize("body", [
    {"text": [SECRET]},
    {"text": SECRET, "billed_code": {"x": SECRET}},
    {"text": SECRET, "unexpected": SECRET},
    {"note": SECRET},
    {"text": ""},
    {"text": SECRET, "checklist": "/etc/passwd"},
    {"text": SECRET, "document_id": "x" * 300},
])
def test_422_says_where_and_never_echoes_the_note(client, body):
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 422
    assert SECRET not in response.text
    assert "/etc/passwd" not in response.text
    for problem in response.json()["detail"]:
        assert set(problem) == {"loc", "msg", "type"}
        assert problem["loc"][0] == "body"


def test_invalid_json_and_surrogates_are_422_without_echo(client):
    response = client.post("/v1/analyze", content=b'{"text": "' + SECRET.encode() + b'"',
                           headers={"content-type": "application/json"})
    assert response.status_code == 422 and SECRET not in response.text
    response = client.post("/v1/analyze", content=('{"text": "' + SECRET + '\\ud800"}').encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422 and SECRET not in response.text


def test_batch_limits(client):
    too_many = {"notes": [{"text": "Myelogram."}] * 6}
    response = client.post("/v1/analyze/batch", json=too_many)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "notes"]
    assert client.post("/v1/analyze/batch", json={"notes": []}).status_code == 422


def test_413_for_large_bodies_declared_or_chunked(client):
    big = {"text": "x" * (300 * 1024)}
    response = client.post("/v1/analyze", json=big)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}'

    response = client.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_bearer_token(secured):
    with httpx.Client(base_url=secured.url, timeout=60) as http:
        body = {"text": "Lumbar myelogram at L2-L3."}
        assert http.get("/healthz").status_code == 200
        assert http.get("/readyz").status_code == 200
        missing = http.post("/v1/analyze", json=body)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert http.post("/v1/analyze", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.post("/v1/analyze", json=body, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert http.get("/v1/checklists").status_code == 401
        ok = http.post("/v1/analyze", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        spec = http.get("/openapi.json").json()
        assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_no_note_text_in_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/v1/analyze", json={"text": f"Lumbar myelogram. {SECRET}", "document_id": "logged"})
    client.post("/v1/analyze", json={"text": [SECRET]})
    client.get(f"/v1/{SECRET}")
    client.post("/v1/analyze?x=" + SECRET, json={"text": "Myelogram."})
    time.sleep(0.1)
    access = [r.getMessage() for r in caplog.records if r.name == "docanalyzer.service.access"]
    assert any(line.startswith("POST /v1/analyze 200") for line in access)
    assert any(line.startswith("POST /v1/analyze 422") for line in access)
    assert any(line.startswith("GET <other path> 404") for line in access)
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]  # not the client
    assert server_side and all(SECRET not in record.getMessage() for record in server_side)


def fhir_document(text: str, doc_id: str) -> dict:
    return {"resourceType": "DocumentReference", "id": doc_id, "status": "current",
            "subject": {"reference": "Patient/p1"},
            "content": [{"attachment": {"contentType": "text/plain",
                                        "data": base64.b64encode(text.encode()).decode()}}]}


def test_fhir_endpoint_reports_and_fhir_output(client, analyzer):
    pytest.importorskip("fhir.resources", reason="FHIR support needs the fhir extra")
    first, second = read_original(sample_note_paths()[0]), read_original(NOTE_02)
    data = {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": fhir_document(first, "a")}, {"resource": fhir_document(second, "b")}]}
    headers = {"content-type": "application/fhir+json"}
    response = client.post("/v1/analyze/fhir", content=json.dumps(data), headers=headers)
    assert response.status_code == 200
    reports = response.json()["reports"]
    assert [r["document_id"] for r in reports] == ["a", "b"]
    assert reports[1]["score"] == analyzer.analyze(second).score

    response = client.post("/v1/analyze/fhir?format=fhir", content=json.dumps(data), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Observation") == 2 and "DetectedIssue" in kinds

    bad = {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": {"data": SECRET}}]}
    response = client.post("/v1/analyze/fhir", json=bad)
    assert response.status_code == 422 and SECRET not in response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", "content"]
    assert client.post("/v1/analyze/fhir", json={"resourceType": "Patient"}).status_code == 422


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_docanalyzer_serve_with_two_workers():
    port = free_port()
    env = {**os.environ, "DOCANALYZER_API_TOKEN": TOKEN}
    command = [sys.executable, "-m", "docanalyzer.cli", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "docanalyzer serve did not become ready"
            time.sleep(0.25)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = {"text": f"Lumbar myelogram at L2-L3 with Omnipaque. {SECRET}"}
        for _ in range(4):
            response = httpx.post(f"{url}/v1/analyze", json=body, headers=headers, timeout=60)
            assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    log = stderr.decode()
    assert "POST /v1/analyze 200" in log
    assert SECRET not in log
    assert TOKEN not in log


# --------------------------------------------------------------------------------- schemathesis
# schemathesis' own pytest fixture loader does not work with pytest 9 yet, so the operations are
# listed here and each one is driven through hypothesis directly (positive and negative data).

OPERATIONS = ["GET /healthz", "GET /readyz", "GET /v1/checklists", "POST /v1/analyze", "POST /v1/analyze/batch",
              "POST /v1/analyze/fhir"]


@pytest.fixture(scope="module")
def api_schema(server: LiveServer):
    schemathesis = pytest.importorskip("schemathesis", reason="the property run needs schemathesis (test extra)")
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


def test_openapi_lists_every_operation(api_schema):
    labels = sorted(result.ok().label for result in api_schema.get_all_operations())
    assert labels == sorted(OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), [(op, "positive") for op in OPERATIONS]
                         + [(op, "negative") for op in OPERATIONS if op.startswith("POST")])
def test_openapi_property_run(api_schema, label, mode):
    """Generated requests (valid and invalid) never get a 5xx, and every response matches the
    published schema (status code, content type, body). Bounded: 12 examples per operation and mode."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.generation.modes import GenerationMode
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    def run(case) -> None:
        case.call_and_validate(timeout=60, excluded_checks=excluded)

    # The FHIR body is published as a JSON object; what makes it a valid DocumentReference or Bundle
    # is checked by fhir.resources, so schema-valid random objects are rightly refused with 422.
    excluded = [positive_data_acceptance] if path == "/v1/analyze/fhir" else []

    run()


def test_billed_dx_in_requests(client, analyzer):
    """A request's billed_dx (and a batch note's, which wins) starts the diagnosis review, as in the library."""
    text = read_original(NOTE_02)
    response = client.post("/v1/analyze", json={"text": text, "document_id": "n-2", "billed_dx": ["M48.06", "X"]})
    assert response.status_code == 200
    assert response.json() == library_json(analyzer, text, document_id="n-2", billed_dx=["M48.06", "X"])
    statuses = [c["status"] for c in response.json()["diagnosis_review"]["billed"]]
    assert statuses[1] == "invalid" and statuses[0] in ("not_billable", "more_specific_available")
    batch = client.post("/v1/analyze/batch", json={"billed_dx": ["M54.16"], "notes": [
        {"text": text}, {"text": text, "billed_dx": ["M48.062"]}]}).json()["reports"]
    assert [r["diagnosis_review"]["billed"][0]["code"] for r in batch] == ["M54.16", "M48.062"]
    bad = client.post("/v1/analyze", json={"text": text, "billed_dx": ["M48.06<script>"]})
    assert bad.status_code == 422 and "<script>" not in bad.text
