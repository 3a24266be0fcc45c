"""Service settings, read from the environment when the app is created (once per worker process)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_ENV = "DOCANALYZER_API_TOKEN"
MAX_BODY_ENV = "DOCANALYZER_MAX_BODY_BYTES"
MAX_BATCH_ENV = "DOCANALYZER_MAX_BATCH"
QUEUE_DB_ENV = "DOCANALYZER_QUEUE_DB"
QUEUE_USER_ENV = "DOCANALYZER_QUEUE_USER"
QUEUE_TOKENS_ENV = "DOCANALYZER_QUEUE_TOKENS"
QUEUE_SECRET_ENV = "DOCANALYZER_QUEUE_SECRET"
QUEUE_KEEP_TEXT_ENV = "DOCANALYZER_QUEUE_KEEP_TEXT"


@dataclass(frozen=True)
class Settings:
    api_token: str | None = None
    """When set, every /v1 endpoint needs ``Authorization: Bearer <token>`` (health checks do not)."""
    max_body_bytes: int = 8 * 1024 * 1024
    """Larger request bodies get 413 before they are read."""
    max_batch: int = 100
    """Most notes (or DocumentReferences) in one request."""
    queue_db: str | None = None
    """With a database URL, the review queue is served: ``/queue`` and ``/v1/queue`` (docanalyzer[queue])."""
    queue_user: str | None = None
    """Who decides when no token is configured (a local session: ``docanalyzer serve --user``)."""
    queue_tokens: tuple[tuple[str, str], ...] = ()
    """(user, token) pairs of named auditors (``alice=TOKEN,bob=TOKEN``); the API token counts too."""
    queue_secret: str | None = None
    """Signs the queue's session and CSRF cookies; shared by the workers of one ``serve``."""
    queue_keep_text: bool = True
    """False: the queue stores only the text's hash and the evidence offsets."""

    def __repr__(self) -> str:  # never print the token
        token = "<set>" if self.api_token else None
        queue = f", queue_db=<set>, queue_users={len(self.queue_tokens)}" if self.queue_db else ""
        return (f"Settings(api_token={token}, max_body_bytes={self.max_body_bytes}, max_batch={self.max_batch}"
                f"{queue})")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV) or None
        return cls(api_token=token, max_body_bytes=_positive(env, MAX_BODY_ENV, cls.max_body_bytes),
                   max_batch=_positive(env, MAX_BATCH_ENV, cls.max_batch), queue_db=env.get(QUEUE_DB_ENV) or None,
                   queue_user=env.get(QUEUE_USER_ENV) or None, queue_tokens=_user_tokens(env.get(QUEUE_TOKENS_ENV)),
                   queue_secret=env.get(QUEUE_SECRET_ENV) or None,
                   queue_keep_text=env.get(QUEUE_KEEP_TEXT_ENV, "1").strip().lower() not in ("0", "false", "no"))


def _user_tokens(raw: str | None) -> tuple[tuple[str, str], ...]:
    """``alice=TOKEN,bob=TOKEN`` as (user, token) pairs."""
    pairs = []
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        user, sep, token = item.partition("=")
        if not sep or not user.strip() or not token.strip():
            raise ValueError(f"{QUEUE_TOKENS_ENV} must read user=token,user=token")
        pairs.append((user.strip(), token.strip()))
    return tuple(pairs)


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value
