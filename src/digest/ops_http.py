"""A long-running process's own HTTP endpoints: ``/metrics`` and ``/healthz``.

The scheduler serves them on ``--metrics-port`` and ``--health-port`` (one server when both
ports are the same). Health says whether the process still ticks and whether the database
answers: 200 when both hold, 503 otherwise, with the details as JSON.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from sqlalchemy import text

from digest.metrics import ProcessFigures, build_registry

if TYPE_CHECKING:
    from digest.app import App

log = logging.getLogger("digest.ops_http")

# a tick may run long (it can resume a large send), but not for ever
LONGEST_TICK_SECONDS = 6 * 3600
TICK_GRACE_SECONDS = 60


class OpsHttpError(Exception):
    """An endpoint could not be opened (the port is taken, the address is not ours)."""


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict and the facts behind it."""

    ok: bool
    facts: dict[str, Any]


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None


def check_health(app: App, figures: ProcessFigures, interval_seconds: float) -> Health:
    """Whether the process ticks on time and its database answers."""
    now = time.time()
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any failure to answer is the fact to report
        database = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    allowed = 2 * interval_seconds + TICK_GRACE_SECONDS
    last = figures.last_tick_finished
    running = (
        figures.last_tick_started
        if figures.last_tick_started and (last is None or figures.last_tick_started > last)
        else None
    )
    since = now - (last or figures.started)
    if running is not None and now - running <= LONGEST_TICK_SECONDS:
        ticking = True
    else:
        ticking = since <= allowed
    facts = {
        "status": "ok" if ticking and database == "ok" else "failing",
        "database": database,
        "ticking": ticking,
        "last_tick": _iso(last),
        "seconds_since_last_tick": round(now - last, 1) if last else None,
        "tick_running_since": _iso(running),
        "ticks": figures.ticks,
        "tick_errors": figures.tick_errors,
        "started": _iso(figures.started),
        "tick_interval_seconds": interval_seconds,
    }
    return Health(ok=bool(ticking and database == "ok"), facts=facts)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.debug("%s %s", self.address_string(), format % args)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _dispatch(routes: dict[str, WsgiApp]) -> WsgiApp:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        handler = routes.get(environ.get("PATH_INFO", "/"))
        if handler is None:
            body = json.dumps({"error": "not found", "paths": sorted(routes)}).encode()
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [body]
        return handler(environ, start_response)

    return application


def _health_app(check: Callable[[], Health]) -> WsgiApp:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        health = check()
        status = "200 OK" if health.ok else "503 Service Unavailable"
        start_response(
            status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        )
        return [json.dumps(health.facts).encode()]

    return application


class OpsEndpoints:
    """The metrics and health servers of one process; ``close`` stops them."""

    def __init__(self) -> None:
        self._servers: list[tuple[WSGIServer, threading.Thread]] = []

    @property
    def ports(self) -> list[int]:
        """The ports actually bound (a requested port 0 picks a free one)."""
        return [int(server.server_port) for server, _ in self._servers]

    def serve(self, host: str, port: int, routes: dict[str, WsgiApp]) -> int:
        """Serve ``routes`` on host:port in a daemon thread; the bound port."""
        try:
            server = make_server(
                host, port, _dispatch(routes), server_class=_Server, handler_class=_QuietHandler
            )
        except OSError as exc:
            raise OpsHttpError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        thread = threading.Thread(target=server.serve_forever, name=f"ops-http-{port}", daemon=True)
        thread.start()
        self._servers.append((server, thread))
        return int(server.server_port)

    def close(self) -> None:
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._servers.clear()


def start_endpoints(
    app: App,
    figures: ProcessFigures,
    *,
    host: str,
    metrics_port: int | None,
    health_port: int | None,
    interval_seconds: float,
) -> OpsEndpoints:
    """Open the requested endpoints (none when both ports are None); OpsHttpError if one fails."""
    endpoints = OpsEndpoints()
    metrics: dict[str, WsgiApp] = {}
    health: dict[str, WsgiApp] = {}
    if metrics_port is not None:
        metrics["/metrics"] = make_wsgi_app(build_registry(app, figures))
    if health_port is not None:
        health["/healthz"] = _health_app(lambda: check_health(app, figures, interval_seconds))
    try:
        if metrics_port and metrics_port == health_port:  # 0 asks for a free port: two
            endpoints.serve(host, metrics_port, {**metrics, **health})
        else:
            if metrics:
                port = endpoints.serve(host, metrics_port or 0, metrics)
                log.info("metrics on http://%s:%d/metrics", host, port)
            if health:
                port = endpoints.serve(host, health_port or 0, health)
                log.info("health on http://%s:%d/healthz", host, port)
    except OpsHttpError:
        endpoints.close()
        raise
    return endpoints
