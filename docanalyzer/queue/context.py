"""What the queue's pages and API share in one worker process: the store, the guard, the templates,
and the headers every page gets (a strict Content-Security-Policy: this page holds PHI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from docanalyzer.queue.security import CSRF_COOKIE, SESSION_COOKIE, Guard
from docanalyzer.queue.store import QueueStore

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'none'; script-src 'none'; "
    "connect-src 'none'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def templates() -> Environment:
    env = Environment(loader=PackageLoader("docanalyzer.queue", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["label"] = lambda value: str(value or "").replace("_", " ")
    return env


@dataclass
class QueueContext:
    store: QueueStore
    guard: Guard
    env: Environment
    service: Any
    """The service's ServiceState: its analyzer and analysis thread."""
    settings: Any
    checklist_id: Any
    """The service's check of a requested checklist id (422 for an unknown one)."""

    def page_user(self, request: Request) -> str | None:
        """The signed-in user of a browser (session cookie) or a script (bearer token)."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return self.guard.user_for_token(header[7:].strip())
        return self.guard.user_for_session(request.cookies.get(SESSION_COOKIE))

    def render(self, request: Request, name: str, *, status: int = 200, user: str | None = None,
               **values: Any) -> Response:
        """A page with the queue's headers, and a CSRF cookie when the browser has none yet."""
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = cookie is None
        if fresh:
            cookie = self.guard.new_csrf_cookie()
        body = self.env.get_template(name).render(csrf=self.guard.csrf_token(cookie), user=user,
                                                  signed_in=not self.guard.open and user is not None, **values)
        response = HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
        if fresh:
            response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/queue",
                                secure=request.url.scheme == "https")
        return response
