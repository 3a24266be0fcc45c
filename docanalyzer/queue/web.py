"""Mounting the review queue on the HTTP service (``docanalyzer serve --db URL``): the thin hook
``service/app.py`` calls. Opens the store (running migrations), builds the guard and templates."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from docanalyzer.queue.api import add_api_routes
from docanalyzer.queue.context import QueueContext, templates
from docanalyzer.queue.pages import add_page_routes
from docanalyzer.queue.security import Guard
from docanalyzer.queue.store import QueueStore


def install_queue(app: FastAPI, state: Any, settings: Any, *, checklist_id: Any) -> QueueContext:
    """Add ``/queue`` pages and ``/v1/queue`` to ``app``; the store closes with the service."""
    assert settings.queue_db
    store = QueueStore.open(settings.queue_db, keep_text=settings.queue_keep_text)
    guard = Guard.build(api_token=settings.api_token, users=settings.queue_tokens, user=settings.queue_user,
                        secret=settings.queue_secret)
    ctx = QueueContext(store=store, guard=guard, env=templates(), service=state, settings=settings,
                       checklist_id=checklist_id)
    state.closers.append(store.close)
    add_page_routes(ctx, app)
    add_api_routes(ctx, app)
    app.state.queue = ctx
    return ctx
