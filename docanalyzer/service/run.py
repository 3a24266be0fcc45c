"""Starting the service: ``docanalyzer serve`` calls ``run_server``."""

from __future__ import annotations

import copy
import ipaddress
import logging
import logging.config
from typing import Any

from docanalyzer.service import SERVER_EXTRA_HINT
from docanalyzer.service.settings import TOKEN_ENV, Settings

log = logging.getLogger("docanalyzer.service")
APP_FACTORY = "docanalyzer.service.app:create_app"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging setup, plus docanalyzer's own loggers (access log included) on stderr."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["docanalyzer"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def run_server(*, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, log_level: str = "info") -> None:
    """Run uvicorn with ``workers`` processes; each builds its own pipeline once at startup.

    Raises ``ValueError`` for bad settings (environment) and ``ImportError`` without the extra."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise ImportError(SERVER_EXTRA_HINT) from exc
    settings = Settings.from_env()  # validate the environment before any worker starts
    logging.config.dictConfig(log_config(log_level))
    if not is_loopback(host) and not settings.api_token:
        log.warning("listening on %s without %s: anyone who can reach this address can submit notes",
                    host, TOKEN_ENV)
    from docanalyzer.service.protocol import NoDelayH11Protocol

    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, access_log=False,
                log_config=log_config(log_level), log_level=log_level, server_header=False,
                proxy_headers=False, http=NoDelayH11Protocol)
