"""The queue's JSON API: ``POST /v1/queue`` (a note as for ``/v1/analyze``, or a FHIR DocumentReference or
Bundle) analyzes and stores; ``GET /v1/queue`` lists; ``POST /v1/queue/{id}/decisions`` decides (409 on a
stale version). JSON bodies only: a cross-site form cannot send one without a CORS preflight.

No ``from __future__ import annotations`` here: FastAPI reads the routes' signatures, whose
dependencies are closures that string annotations could not resolve."""

import dataclasses
import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from docanalyzer.queue.context import QueueContext
from docanalyzer.queue.pages import parse_filters
from docanalyzer.queue.records import NoteMeta, meta_of
from docanalyzer.queue.store import Conflict, QueueError, UnknownDocument
from docanalyzer.service.models import AnalyzeRequest
from docanalyzer.service.problems import InputProblem, problems

bearer = HTTPBearer(auto_error=False, description="A queue user's token, or DOCANALYZER_API_TOKEN.")
JSON_TYPES = ("application/json", "application/fhir+json")


class QueueNote(AnalyzeRequest):
    """One note to analyze and queue: ``/v1/analyze``'s request plus where it comes from."""

    provider: str | None = Field(default=None, min_length=1, max_length=256)
    site: str | None = Field(default=None, min_length=1, max_length=256)
    service_date: date | None = None


class DecisionRequest(BaseModel):
    action: Literal["release", "hold", "query_sent", "comment"]
    comment: str | None = Field(default=None, max_length=4000)
    expected_version: int = Field(description="The note's version when the auditor read it (GET /v1/queue).")


def add_api_routes(ctx: QueueContext, app: FastAPI) -> None:
    """The JSON endpoints, registered on the app itself (so the access log knows their paths)."""

    def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        user = ctx.guard.user_for_token(credentials.credentials if credentials else None)
        if user is None:
            raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        return user

    @app.post("/v1/queue", tags=["queue"],
              summary="Analyze a note (JSON, or a FHIR DocumentReference/Bundle) and queue it.")
    async def enqueue(request: Request, user: Annotated[str, Depends(caller)]) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in JSON_TYPES:
            raise HTTPException(415, "send application/json or application/fhir+json")
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "the body is not valid JSON") from None
        if isinstance(data, dict) and "resourceType" in data:
            items = await _fhir_items(ctx, data, request.query_params.get("checklist"))
        else:
            items = await _note_items(ctx, data)
        result = await run_in_threadpool(ctx.store.enqueue_reports, items)
        queued = await run_in_threadpool(_summaries, ctx, [report.document_id for report, _, _ in items])
        return JSONResponse({"documents": result.documents, "versions": result.versions,
                             "unchanged": result.unchanged, "notes": queued})

    @app.get("/v1/queue", tags=["queue"],
              summary="The worklist, filtered and paged (the page's filters as query parameters).")
    def listing(request: Request, user: Annotated[str, Depends(caller)]) -> dict[str, Any]:
        params = request.query_params
        page = ctx.store.page(parse_filters(params), page=_int(params.get("page"), 1),
                              per_page=_int(params.get("per_page"), 50))
        return {"total": page.total, "page": page.page, "pages": page.pages, "per_page": page.per_page,
                "notes": [dataclasses.asdict(row) for row in page.rows]}

    @app.get("/v1/queue/{pk}", tags=["queue"],
              summary="One queued note: state, version, report, analyses, decisions.")
    def show(pk: int, user: Annotated[str, Depends(caller)]) -> dict[str, Any]:
        try:
            detail = ctx.store.note(pk)
        except UnknownDocument:
            raise HTTPException(404, "no such note in the queue") from None
        out = {k: v for k, v in dataclasses.asdict(detail).items() if k not in ("report", "text")}
        return {**out, "report": detail.report.model_dump(mode="json")}

    @app.post("/v1/queue/{pk}/decisions", tags=["queue"],
              summary="Record a decision; 409 when the note changed since it was read.")
    def decide(pk: int, body: DecisionRequest, user: Annotated[str, Depends(caller)]) -> JSONResponse:
        try:
            record = ctx.store.decide(pk, body.action, user=user, comment=body.comment,
                                      expected_version=body.expected_version)
        except UnknownDocument:
            raise HTTPException(404, "no such note in the queue") from None
        except Conflict as exc:
            return JSONResponse(status_code=409, content={"detail": str(exc), "current_version": exc.current,
                                                          "state": exc.state})
        except QueueError as exc:
            raise InputProblem(("body", "action"), str(exc)) from None
        return JSONResponse(dataclasses.asdict(record))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


async def _note_items(ctx: QueueContext, data: Any) -> list[tuple]:
    try:
        note = QueueNote.model_validate(data)
    except ValidationError as exc:
        raise _Unprocessable(problems([{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()])) from None
    checklist = ctx.checklist_id(note.checklist, ("body", "checklist"))
    analyzer = ctx.service.analyzer
    if analyzer is None:
        raise HTTPException(503, "the analyzer is not loaded yet")
    report = await ctx.service.run(analyzer.analyze, note.text, document_id=note.document_id or "doc",
                                   billed_code=note.billed_code, checklist=checklist, claim_type=note.claim_type)
    meta = NoteMeta(provider=note.provider, site=note.site, service_date=note.service_date,
                    billed_code=note.billed_code)
    return [(report, note.text, meta)]


async def _fhir_items(ctx: QueueContext, data: dict, checklist: str | None) -> list[tuple]:
    try:
        from docanalyzer.integrations import fhir
    except ImportError:  # pragma: no cover
        raise HTTPException(501, "FHIR support needs docanalyzer[fhir]") from None
    chosen = ctx.checklist_id(checklist, ("query", "checklist"))
    try:
        notes = await ctx.service.run(fhir.parse_fhir, data, source="request", max_documents=ctx.settings.max_batch)
    except fhir.FhirExtraMissing:
        raise HTTPException(501, "FHIR support needs docanalyzer[fhir]") from None
    except fhir.FhirInputError as exc:
        raise InputProblem(("body", *exc.loc), exc.message, "fhir_invalid") from None
    analyzer = ctx.service.analyzer
    items = []
    for note in notes:
        report = await ctx.service.run(analyzer.analyze_input, note.note, checklist=chosen)
        items.append((report, note.note.text, meta_of(note.note)))
    return items


def _summaries(ctx: QueueContext, document_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for document_id in document_ids:
        pk = ctx.store.find(document_id)
        detail = ctx.store.note(pk) if pk is not None else None
        if detail is not None:
            out.append({"document_id": document_id, "queue_id": pk, "verdict": detail.verdict, "score": detail.score,
                        "state": detail.state, "version": detail.version,
                        "analysis_version": detail.analyses[0].version})
    return out


class _Unprocessable(HTTPException):
    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(422, detail)
