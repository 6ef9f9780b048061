"""Running the web app under uvicorn: one process or several workers.

With ``workers`` above one, uvicorn starts that many processes; each builds its own App
from the config file named in ``$DIGEST_CONFIG`` (``app_from_environment``) and sets up
digest's logging itself (level and format travel in ``$DIGEST_SERVE_LOGGING``), so nothing
but configuration crosses the process boundary. Rate limits live in the database, so every
worker counts the same hits. uvicorn's loggers, its access log included, propagate to
digest's handler, whose redaction filter masks the tokens in link paths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from digest.app import App

CONFIG_ENV = "DIGEST_CONFIG"
LOGGING_ENV = "DIGEST_SERVE_LOGGING"
_FACTORY = "digest.web.serving:app_from_environment"


def app_from_environment() -> FastAPI:
    """The web app of one worker process: config from ``$DIGEST_CONFIG``, secrets from env."""
    from digest.app import build
    from digest.config import load_config, resolve_config_path
    from digest.logging_setup import SERVICE_LEVEL, configure_logging
    from digest.web import create_app

    level, _, fmt = os.environ.get(LOGGING_ENV, "").partition(":")
    configure_logging(level or SERVICE_LEVEL, fmt or "text")
    return create_app(build(load_config(resolve_config_path(None))))


def serve(
    app: App,
    *,
    config_path: Path,
    host: str,
    port: int,
    workers: int,
    forwarded_allow_ips: str,
    log_level: str,
    log_format: str,
) -> None:
    """Serve ``app`` (one process) or ``workers`` processes built from ``config_path``."""
    import uvicorn

    from digest.web import create_app

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "log_config": None,  # keep digest's handlers: uvicorn's loggers propagate to them
        "log_level": log_level,
        "server_header": False,
    }
    if workers <= 1:
        uvicorn.run(create_app(app), **options)
        return
    os.environ[CONFIG_ENV] = str(config_path.resolve())
    os.environ[LOGGING_ENV] = f"{log_level}:{log_format}"
    uvicorn.run(_FACTORY, factory=True, workers=workers, **options)
