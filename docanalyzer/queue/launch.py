"""``docanalyzer serve --db URL`` (and ``queue demo``): prepare the queue before the server starts.

The parent process migrates the schema and enqueues the given paths, then hands the settings to the
worker processes through the environment (the service reads it with ``Settings.from_env``): the
database URL, the local user, whether to keep note text, and one signing secret for all workers.
"""

from __future__ import annotations

import os
import secrets

from docanalyzer.queue.store import EnqueueResult, QueueStore
from docanalyzer.service.settings import QUEUE_DB_ENV, QUEUE_KEEP_TEXT_ENV, QUEUE_SECRET_ENV, QUEUE_USER_ENV


def prepare(db: str, *, user: str | None, keep_text: bool, enqueue: list[str]) -> EnqueueResult:
    store = QueueStore.open(db, keep_text=keep_text)
    try:
        result = EnqueueResult()
        if enqueue:
            from docanalyzer.queue.ingest import enqueue_paths

            result = enqueue_paths(store, enqueue)
    finally:
        store.close()
    os.environ[QUEUE_DB_ENV] = db
    os.environ[QUEUE_KEEP_TEXT_ENV] = "1" if keep_text else "0"
    if user:
        os.environ[QUEUE_USER_ENV] = user
    os.environ.setdefault(QUEUE_SECRET_ENV, secrets.token_urlsafe(32))
    return result


def queue_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/queue"
