"""Plain ASGI middleware: request-size limit (413) and an access log without note text.

The access log records method, path (never the query string), status, duration and a request id;
never a header value or a byte of the body. uvicorn's own access log is switched off by
``docanalyzer serve``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

access_log = logging.getLogger("docanalyzer.service.access")

Scope = dict[str, Any]


async def _send_json(send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


DRAIN_BYTES = 32 * 1024 * 1024
"""How much of an oversized body is read (and dropped) before the 413, so that a client still sending
it gets the answer instead of a connection reset; past this the connection is just closed."""


async def _drain(receive, limit: int) -> None:
    drained = 0
    while drained <= limit:
        event = await receive()
        if event["type"] != "http.request":
            return
        drained += len(event.get("body", b""))
        if not event.get("more_body", False):
            return


class BodySizeLimitMiddleware:
    """413 for a request body larger than ``max_bytes``, decided from Content-Length before the app
    sees anything; a body without one (chunked) is buffered up to the limit, answered 413 as soon as
    it passes it, else handed on. The rest of an oversized body is read and dropped (up to
    ``DRAIN_BYTES``), never kept in memory."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = {"detail": f"request body larger than {self.max_bytes} bytes"}
        declared = None
        expects_continue = False
        for name, value in scope.get("headers", []):
            if name == b"expect":
                expects_continue = value.lower() == b"100-continue"
            elif name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "invalid Content-Length header"})
                    return
        if declared is not None:
            if declared > self.max_bytes:
                if not expects_continue and declared <= self.max_bytes + DRAIN_BYTES:
                    await _drain(receive, declared)
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return
            await self.app(scope, receive, send)  # the server holds the client to Content-Length
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        buffered: list[dict] = []
        size = 0
        while True:
            event = await receive()
            buffered.append(event)
            if event["type"] != "http.request":
                break
            size += len(event.get("body", b""))
            if size > self.max_bytes:
                if event.get("more_body", False):
                    await _drain(receive, DRAIN_BYTES)
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return
            if not event.get("more_body", False):
                break

        async def replay():
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, replay, send)


class AccessLogMiddleware:
    """One log line per request: ``METHOD /path STATUS 12.3ms rid=...``; adds ``X-Request-ID``.

    Only the service's own paths are logged as they are; any other path is logged as
    ``<other path>`` (a client could put anything in a URL)."""

    def __init__(self, app, known_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        start = time.perf_counter()
        status = 500

        async def logging_send(event):
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]
                event = {**event, "headers": [*event.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(event)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            path = scope.get("path", "")
            shown = path if path in self.known_paths else "<other path>"
            method = scope.get("method", "-")
            access_log.info("%s %s %d %.1fms rid=%s", method if len(method) <= 16 else "<method>", shown, status,
                            elapsed, request_id)
