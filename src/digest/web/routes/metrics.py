"""GET /metrics: the Prometheus text exposition of the database's figures.

With DIGEST_METRICS_TOKEN set, a scrape must send ``Authorization: Bearer <token>``;
without it, only a client on this host talking to the app directly (no proxy in between)
may read the figures.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.config import reveal
from digest.metrics import CONTENT_TYPE, build_registry, render
from digest.web.context import WebContext

FORWARDED_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"  # Starlette's in-process test client


def refusal(ctx: WebContext, request: Request) -> Response | None:
    """Why this request may not read the metrics (a response), or None if it may."""
    token = reveal(ctx.app.secrets.metrics_token)
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
            return JSONResponse(
                {"error": "metrics need Authorization: Bearer <DIGEST_METRICS_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return None
    proxied = any(h in request.headers for h in FORWARDED_HEADERS)
    if proxied or not _loopback(request.client.host if request.client else None):
        return JSONResponse(
            {
                "error": "metrics are served to this host only; set DIGEST_METRICS_TOKEN "
                "to let a scraper elsewhere read them with a bearer token"
            },
            status_code=403,
        )
    return None


def router(ctx: WebContext) -> APIRouter:
    """The /metrics route with its own registry (one per web app)."""
    api = APIRouter()
    registry = build_registry(ctx.app)

    @api.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        refused = refusal(ctx, request)
        if refused is not None:
            return refused
        body = await run_in_threadpool(render, registry)
        return Response(body, media_type=CONTENT_TYPE)

    return api
