"""The FastAPI application behind ``docanalyzer serve``.

One ``Analyzer`` (the spaCy/medspaCy pipeline) is built per worker process when the app starts
(lifespan) and used by a single analysis thread, so the event loop stays free for health checks
and I/O while a note is analyzed; ``docanalyzer serve --workers N`` runs N such processes.

Nothing in here logs or echoes note text: validation errors (422) carry the location and the
reason but not the input, and the access log records method, path, status and duration only.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, create_model

try:
    from fastapi import Body, FastAPI, HTTPException, Query, Request, Security
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
except ImportError as exc:  # pragma: no cover - only without the extra
    from docanalyzer.service import SERVER_EXTRA_HINT

    raise ImportError(SERVER_EXTRA_HINT) from exc

from docanalyzer.analyzer import Analyzer
from docanalyzer.checklist import load_checklist
from docanalyzer.inputs import NoteInput
from docanalyzer.report import ClaimType, Report
from docanalyzer.resources import builtin_checklist_ids
from docanalyzer.service.middleware import AccessLogMiddleware, BodySizeLimitMiddleware
from docanalyzer.service.models import (
    AUTO,
    CHECKLIST_HELP,
    CHECKLIST_IDS,
    AnalyzeRequest,
    BatchNote,
    BatchRequest,
    BatchResponse,
    ChecklistElement,
    ChecklistInfo,
    ChecklistsResponse,
    ErrorMessage,
    Health,
    Readiness,
)
from docanalyzer.service.problems import InputProblem
from docanalyzer.service.problems import problems as _problems
from docanalyzer.service.settings import Settings
from docanalyzer.version import __version__

log = logging.getLogger("docanalyzer.service")
T = TypeVar("T")

DESCRIPTION = """\
Checks whether a procedure note documents what a coding auditor needs (CPT 62302-62305 family).

Every report carries evidence as character offsets into the text you sent. Limits: request body
`DOCANALYZER_MAX_BODY_BYTES` (default 8 MiB, else 413), notes per request `DOCANALYZER_MAX_BATCH`
(default 100). When `DOCANALYZER_API_TOKEN` is set, `/v1/*` needs `Authorization: Bearer <token>`.
Bad requests get 422 with the location and reason of each problem, never the note text back.
"""


# module level: the route signatures below are resolved against this module's globals
bearer = HTTPBearer(auto_error=False, description="The value of DOCANALYZER_API_TOKEN.")


class ServiceState:
    """What one worker process holds: the analyzer, the checklists it serves, the analysis thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.analyzer: Analyzer | None = None
        self.checklists: dict[str, ChecklistInfo] = {}
        self.executor: ThreadPoolExecutor | None = None
        self.closers: list[Callable[[], None]] = []  # e.g. the review queue's database connections

    def load(self) -> None:
        self.analyzer = Analyzer()  # the library's default: each note gets the checklist of its code
        for checklist_id in builtin_checklist_ids():
            spec = load_checklist(checklist_id)
            self.checklists[checklist_id] = ChecklistInfo(
                id=spec.id, version=spec.version, title=spec.title, procedure=spec.procedure, codes=list(spec.codes),
                elements=[ChecklistElement(id=e.id, name=e.name, required=e.required, weight=e.weight)
                          for e in spec.elements],
            )
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docanalyzer-analysis")

    def close(self) -> None:
        for close in self.closers:
            close()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    @property
    def ready(self) -> bool:
        return self.analyzer is not None and self.executor is not None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self.ready:
            raise HTTPException(503, "the analyzer is not loaded yet")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(fn, *args, **kwargs))


def _unprocessable(problems: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": problems})


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application. ``settings`` default to the environment (``Settings.from_env``)."""
    settings = settings if settings is not None else Settings.from_env()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.load()
        log.info("docanalyzer %s ready (checklists: %s)", __version__, ", ".join(state.checklists))
        try:
            yield
        finally:
            state.close()

    # No /docs or /redoc: Swagger UI and ReDoc load scripts from a CDN, which a page next to PHI
    # should not do. The OpenAPI document itself is served at /openapi.json.
    app = FastAPI(title="docanalyzer", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.service = state

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _unprocessable(_problems(list(exc.errors())))

    @app.exception_handler(InputProblem)
    async def _input_problem(request: Request, exc: InputProblem) -> JSONResponse:
        return _unprocessable([{"loc": list(exc.loc), "msg": exc.msg, "type": exc.type}])

    async def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> None:
        expected = settings.api_token or ""
        given = credentials.credentials if credentials is not None else ""
        # constant-time comparison of the bytes (compare_digest on str accepts ASCII only)
        if not (credentials and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))):
            raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})

    v1_dependencies = [Security(require_token)] if settings.api_token else []
    v1_responses: dict[int | str, dict[str, Any]] = {
        413: {"model": ErrorMessage, "description": "Request body larger than DOCANALYZER_MAX_BODY_BYTES."},
    }
    if settings.api_token:
        v1_responses[401] = {"model": ErrorMessage, "description": "Missing or invalid bearer token."}
    post_responses = {
        **v1_responses,
        400: {"model": ErrorMessage, "description": "The body could not be read (not UTF-8, bad Content-Length)."},
        503: {"model": ErrorMessage, "description": "The analyzer is not loaded."},
    }

    def checklist_id(value: str | None, loc: tuple[str | int, ...]) -> str | None:
        """None (the library's default), 'auto', or a built-in id; never a path on this machine."""
        if value is None or value == AUTO or value in state.checklists:
            return value
        known = ", ".join([AUTO, *state.checklists])
        raise InputProblem(loc, f"unknown checklist; available: {known}", "unknown_checklist")

    def report_response(report: Report) -> Response:
        return Response(content=report.model_dump_json(), media_type="application/json")

    def reports_json(reports: list[Report]) -> bytes:
        return b'{"reports":[' + b",".join(r.model_dump_json().encode() for r in reports) + b"]}"

    @app.get("/healthz", response_model=Health, tags=["operations"], summary="Liveness: the process answers.")
    async def healthz() -> Health:
        return Health(status="ok", version=__version__)

    @app.get("/readyz", response_model=Readiness, tags=["operations"],
             summary="Readiness: the pipeline is loaded and notes can be analyzed.",
             responses={503: {"model": Readiness, "description": "Still loading."}})
    async def readyz() -> JSONResponse:
        body = Readiness(status="ready" if state.ready else "loading", checklists=list(state.checklists))
        return JSONResponse(status_code=200 if state.ready else 503, content=body.model_dump())

    @app.get("/v1/checklists", response_model=ChecklistsResponse, tags=["analysis"], summary="Checklists served.",
             dependencies=v1_dependencies, responses=v1_responses)
    async def checklists() -> ChecklistsResponse:
        return ChecklistsResponse(default=AUTO, checklists=list(state.checklists.values()))

    @app.post("/v1/analyze", response_model=Report, tags=["analysis"], summary="Analyze one note.",
              dependencies=v1_dependencies, responses=post_responses)
    async def analyze(body: AnalyzeRequest) -> Response:
        checklist = checklist_id(body.checklist, ("body", "checklist"))
        report = await state.run(_analyze_one, state, body.text, body.document_id or "doc", body.billed_code, checklist,
                                 body.claim_type, body.billed_dx)
        return report_response(report)

    batch_model = create_model(
        "BatchRequest", __base__=BatchRequest,
        notes=(list[BatchNote], Field(min_length=1, max_length=settings.max_batch,
                                      description=f"At most {settings.max_batch} notes (DOCANALYZER_MAX_BATCH).")),
    )

    async def analyze_batch(body: BatchRequest) -> Response:
        checklist = checklist_id(body.checklist, ("body", "checklist"))
        if len(body.notes) > settings.max_batch:
            raise InputProblem(("body", "notes"), f"{len(body.notes)} notes; the limit is {settings.max_batch} "
                               "per request", "too_many_notes")
        items = [(note.text, note.document_id or f"doc-{i}", note.billed_code or body.billed_code,
                  note.claim_type or body.claim_type, note.billed_dx if note.billed_dx is not None else body.billed_dx)
                 for i, note in enumerate(body.notes, start=1)]
        reports = await state.run(_analyze_all, state, items, checklist)
        return Response(content=reports_json(reports), media_type="application/json")

    analyze_batch.__annotations__["body"] = batch_model  # this app's batch limit, in the OpenAPI schema too
    app.post("/v1/analyze/batch", response_model=BatchResponse, tags=["analysis"],
             summary="Analyze many notes; reports come back in request order.",
             dependencies=v1_dependencies, responses=post_responses)(analyze_batch)

    fhir_responses: dict[int | str, dict[str, Any]] = {
        **post_responses,
        200: {"content": {"application/fhir+json": {"schema": {
            "type": "object", "description": "With format=fhir: a FHIR Bundle (collection) of Observation and "
            "DetectedIssue resources."}}}},
        501: {"model": ErrorMessage, "description": "FHIR support is not installed (docanalyzer[fhir])."},
    }

    @app.post("/v1/analyze/fhir", response_model=BatchResponse, tags=["analysis"], responses=fhir_responses,
              summary="Analyze a FHIR R4 DocumentReference or a Bundle of them.", dependencies=v1_dependencies,
              description="The note text comes from `content[].attachment.data` (base64 text/plain), a contained "
              "Binary, or the narrative. `format=report` returns docanalyzer reports, one per DocumentReference in "
              "order; `format=fhir` returns a FHIR Bundle with an Observation per document and a DetectedIssue per "
              "element to query.")
    async def analyze_fhir(
        resource: Annotated[dict[str, Any], Body(media_type="application/fhir+json",
                                                 description="A FHIR R4 DocumentReference or Bundle (JSON).")],
        output: Annotated[Literal["report", "fhir"], Query(alias="format", description="Response format.")] = "report",
        checklist: Annotated[str | None, Query(min_length=1, max_length=64, json_schema_extra={"enum": CHECKLIST_IDS},
                                               description=CHECKLIST_HELP)] = None,
        billed_code: Annotated[str | None, Query(min_length=1, max_length=32,
                                                 description="Overrides the CPT code in context.event.")] = None,
    ) -> Response:
        chosen = checklist_id(checklist, ("query", "checklist"))
        try:
            from docanalyzer.integrations import fhir
        except ImportError:  # pragma: no cover
            raise HTTPException(501, "FHIR support needs docanalyzer[fhir]") from None
        try:  # validation, base64 decoding and the FHIR output are CPU work too: all in the analysis thread
            notes = await state.run(fhir.parse_fhir, resource, source="request", max_documents=settings.max_batch)
        except fhir.FhirExtraMissing:
            raise HTTPException(501, "FHIR support needs docanalyzer[fhir]") from None
        except fhir.FhirInputError as exc:
            raise InputProblem(("body", *exc.loc), exc.message, "fhir_invalid") from None
        reports = await state.run(_analyze_inputs, state, [n.note for n in notes], chosen, billed_code)
        if output == "fhir":
            content = await state.run(_fhir_bundle_json, fhir, reports, notes)
            return Response(content=content, media_type=fhir.FHIR_JSON)
        return Response(content=reports_json(reports), media_type="application/json")

    if settings.queue_db:  # the review queue (docanalyzer[queue]): /queue pages and /v1/queue
        from docanalyzer.queue.web import install_queue

        install_queue(app, state, settings, checklist_id=checklist_id)

    known = frozenset(getattr(route, "path", "") for route in app.routes)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLogMiddleware, known_paths=known)
    return app


def _analyze_one(state: ServiceState, text: str, document_id: str, billed_code: str | None,
                 checklist: str | None, claim_type: ClaimType = "professional",
                 billed_dx: list[str] | None = None) -> Report:
    assert state.analyzer is not None
    return state.analyzer.analyze(text, document_id=document_id, billed_code=billed_code, checklist=checklist,
                                  claim_type=claim_type, billed_dx=billed_dx)


def _analyze_all(state: ServiceState, items: list[tuple[str, str, str | None, ClaimType, list[str] | None]],
                 checklist: str | None) -> list[Report]:
    return [_analyze_one(state, text, doc_id, billed, checklist, claim, dx)
            for text, doc_id, billed, claim, dx in items]


def _analyze_inputs(state: ServiceState, notes: list[NoteInput], checklist: str | None,
                    billed_code: str | None) -> list[Report]:
    assert state.analyzer is not None
    return [state.analyzer.analyze_input(note, checklist=checklist, billed_code=billed_code) for note in notes]


def _fhir_bundle_json(fhir, reports: list[Report], notes: list) -> str:
    return json.dumps(fhir.reports_to_fhir_bundle(zip(reports, notes, strict=True)))
