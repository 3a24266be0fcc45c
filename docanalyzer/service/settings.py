"""Service settings, read from the environment when the app is created (once per worker process)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_ENV = "DOCANALYZER_API_TOKEN"
MAX_BODY_ENV = "DOCANALYZER_MAX_BODY_BYTES"
MAX_BATCH_ENV = "DOCANALYZER_MAX_BATCH"


@dataclass(frozen=True)
class Settings:
    api_token: str | None = None
    """When set, every /v1 endpoint needs ``Authorization: Bearer <token>`` (health checks do not)."""
    max_body_bytes: int = 8 * 1024 * 1024
    """Larger request bodies get 413 before they are read."""
    max_batch: int = 100
    """Most notes (or DocumentReferences) in one request."""

    def __repr__(self) -> str:  # never print the token
        token = "<set>" if self.api_token else None
        return f"Settings(api_token={token}, max_body_bytes={self.max_body_bytes}, max_batch={self.max_batch})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV) or None
        return cls(api_token=token, max_body_bytes=_positive(env, MAX_BODY_ENV, cls.max_body_bytes),
                   max_batch=_positive(env, MAX_BATCH_ENV, cls.max_batch))


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
