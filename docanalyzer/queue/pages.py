"""The auditor's pages: worklist, one note, the decision form, trends, sign-in. Server-rendered,
no scripts; every form is checked for its CSRF token, and a stale decision is a 409 page."""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from docanalyzer.output.html import CSS as REPORT_CSS
from docanalyzer.output.html import render_note
from docanalyzer.output.view_model import VERDICT_LABEL
from docanalyzer.queue.context import QueueContext
from docanalyzer.queue.export import WHAT, rows, write_csv, write_jsonl
from docanalyzer.queue.records import ACTIONS, BLOCKING, SEVERITY, STATES
from docanalyzer.queue.security import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS
from docanalyzer.queue.store import Conflict, QueueError, UnknownDocument
from docanalyzer.queue.trends import GROUPS, trends
from docanalyzer.queue.worklist import Filters, facets

FILTERS = ("verdict", "missing", "severity", "state", "provider", "site", "date_from", "date_to")
MAX_COMMENT = 4000
STATIC_HEADERS = {"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(params) -> Filters:
    """Filters from a query string; empty or unknown values mean 'any' (a form sends every field)."""
    def get(name: str, allowed=None) -> str | None:
        value = (params.get(name) or "").strip()[:256] or None
        return value if value is None or allowed is None or value in allowed else None

    severity = get("severity", SEVERITY)
    return Filters(verdict=get("verdict", BLOCKING), missing=get("missing"), severity=SEVERITY.get(severity or ""),
                   state=get("state", STATES), provider=get("provider"), site=get("site"),
                   date_from=_date(get("date_from")), date_to=_date(get("date_to")))


def _query(params, **changes) -> str:
    kept = {k: params.get(k) for k in (*FILTERS, "per_page") if params.get(k)}
    kept.update({k: v for k, v in changes.items() if v is not None})
    return urlencode(kept)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form body (the pages send nothing else)."""
    body = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}


def add_page_routes(ctx: QueueContext, app: FastAPI) -> None:
    """The pages, registered on the app itself (so the access log knows their paths); not in the OpenAPI."""

    def signed_in(request: Request) -> str | None:
        return ctx.page_user(request)

    def to_login() -> Response:
        return RedirectResponse("/queue/login", status_code=303)

    def forbidden(request: Request, message: str) -> Response:
        return ctx.render(request, "message.html", status=403, title="Refused", message=message,
                          user=signed_in(request))

    @app.get("/queue", include_in_schema=False)
    def worklist(request: Request) -> Response:
        user = signed_in(request)
        if user is None:
            return to_login()
        params = request.query_params
        filters = parse_filters(params)
        page = ctx.store.page(filters, page=_int(params.get("page"), 1), per_page=_int(params.get("per_page"), 50))
        with ctx.store.session() as session:
            menus = facets(session)
        prev_q = _query(params, page=str(page.page - 1)) if page.page > 1 else None
        next_q = _query(params, page=str(page.page + 1)) if page.page < page.pages else None
        return ctx.render(request, "worklist.html", user=user, title="Worklist", page=page, menus=menus,
                          params=params, verdicts=list(BLOCKING), verdict_label=VERDICT_LABEL, states=STATES,
                          severities=list(SEVERITY), prev_q=prev_q, next_q=next_q)

    @app.get("/queue/notes/{pk}", include_in_schema=False)
    def note(request: Request, pk: int, decided: int | None = None) -> Response:
        user = signed_in(request)
        if user is None:
            return to_login()
        try:
            detail = ctx.store.note(pk)
        except UnknownDocument:
            return ctx.render(request, "message.html", status=404, title="Not found", user=user,
                              message="There is no such note in the queue.")
        return _note_page(ctx, request, detail, user=user, decided=decided)

    @app.post("/queue/notes/{pk}/decisions", include_in_schema=False)
    async def decide(request: Request, pk: int) -> Response:
        user = signed_in(request)
        if user is None:
            return to_login()
        form = await _form(request)
        if not ctx.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            return forbidden(request, "The form has expired or did not come from this page. Reload the note and "
                             "decide again.")
        action, comment = form.get("action", ""), (form.get("comment") or "").strip()[:MAX_COMMENT]
        version = _int(form.get("version"), -1)
        try:
            record = await run_in_threadpool(ctx.store.decide, pk, action, user=user, comment=comment or None,
                                             expected_version=version)
        except UnknownDocument:
            return ctx.render(request, "message.html", status=404, title="Not found", user=user,
                              message="There is no such note in the queue.")
        except Conflict as exc:
            detail = await run_in_threadpool(ctx.store.note, pk)
            return _note_page(ctx, request, detail, user=user, status=409, conflict=str(exc))
        except QueueError as exc:
            return ctx.render(request, "message.html", status=422, title="Not recorded", user=user, message=str(exc))
        return RedirectResponse(f"/queue/notes/{pk}?decided={record.id}#decision", status_code=303)

    @app.get("/queue/trends", include_in_schema=False)
    def trends_page(request: Request) -> Response:
        user = signed_in(request)
        if user is None:
            return to_login()
        by = tuple(name for name in GROUPS if request.query_params.get(name)) or tuple(GROUPS)
        with ctx.store.session() as session:
            found = trends(session, by)
        return ctx.render(request, "trends.html", user=user, title="Trends", rows=found, by=by, groups=list(GROUPS),
                          by_query=urlencode({name: "1" for name in by}))

    @app.get("/queue/export/{what}.{fmt}", include_in_schema=False)
    def export(request: Request, what: str, fmt: str) -> Response:
        if signed_in(request) is None:
            return to_login()
        if what not in WHAT or fmt not in ("csv", "jsonl"):
            return PlainTextResponse("unknown export", status_code=404)
        by = tuple(name for name in GROUPS if request.query_params.get(name)) or tuple(GROUPS)
        buffer = io.StringIO()
        (write_csv if fmt == "csv" else write_jsonl)(buffer, rows(ctx.store, what, by))
        media = "text/csv" if fmt == "csv" else "application/x-ndjson"
        return Response(buffer.getvalue(), media_type=f"{media}; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="queue-{what}.{fmt}"', "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff"})

    @app.get("/queue/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        if ctx.guard.open:
            return RedirectResponse("/queue", status_code=303)
        return ctx.render(request, "login.html", title="Sign in")

    @app.post("/queue/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await _form(request)
        if not ctx.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            return forbidden(request, "The sign-in form has expired. Open it again.")
        user = ctx.guard.user_for_token(form.get("token") or "")
        if ctx.guard.open or user is None:
            return ctx.render(request, "login.html", status=401, title="Sign in", error="That token is not valid.")
        response = RedirectResponse("/queue", status_code=303)
        # (Secure when the page came over TLS, directly or through a proxy uvicorn trusts)
        response.set_cookie(SESSION_COOKIE, ctx.guard.session_cookie(user), max_age=SESSION_SECONDS, httponly=True,
                            samesite="strict", path="/queue", secure=request.url.scheme == "https")
        return response

    @app.post("/queue/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await _form(request)
        if not ctx.guard.csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
            return forbidden(request, "The form has expired. Reload the page.")
        response = RedirectResponse("/queue/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/queue")
        return response

    @app.get("/queue/static/report.css", include_in_schema=False)
    def report_css() -> Response:
        return Response(REPORT_CSS, media_type="text/css; charset=utf-8", headers=STATIC_HEADERS)

    @app.get("/queue/static/queue.css", include_in_schema=False)
    def queue_css() -> Response:
        from importlib.resources import files

        css = (files("docanalyzer.queue") / "static" / "queue.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css; charset=utf-8", headers=STATIC_HEADERS)


def _note_page(ctx: QueueContext, request: Request, detail, *, user: str, status: int = 200,
               decided: int | None = None, conflict: str | None = None) -> Response:
    article = render_note(detail.report, detail.text, 1)  # the HTML report's own rendering, evidence highlighted
    just = next((d for d in detail.decisions if d.id == decided), None) if decided else None
    return ctx.render(request, "note.html", status=status, user=user, title=detail.document_id, note=detail,
                      article=article, actions=list(ACTIONS), verdict_label=VERDICT_LABEL, just=just,
                      conflict=conflict)
