"""Provider webhooks: POST /webhooks/sendgrid (signed Event Webhook posts).

The signature headers are checked before the body is read, the body is capped
(``web.max_body_bytes``), and the events are applied off the event loop.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from digest.web.context import WebContext
from digest.web.errors import WebhookRejected
from digest.web.sendgrid_events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    apply_events,
    parse_events,
)

log = logging.getLogger(__name__)


def router(ctx: WebContext) -> APIRouter:
    """Routes for the provider webhooks."""
    api = APIRouter()

    @api.post("/webhooks/sendgrid")
    async def sendgrid_events(request: Request) -> JSONResponse:
        verifier = ctx.sendgrid_verifier
        if verifier is None:
            log.error("sendgrid webhook refused: SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
            return JSONResponse(
                {"error": "the SendGrid webhook is not configured on this server"},
                status_code=503,
            )
        signature = request.headers.get(SIGNATURE_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        try:
            verifier.check_headers(signature, timestamp, ctx.app.clock())
            body = await request.body()
            verifier.verify(body, signature, timestamp, ctx.app.clock())
            post = parse_events(body)
        except WebhookRejected as exc:
            log.warning("sendgrid webhook refused from %s: %s", ctx.client_ip(request), exc)
            return JSONResponse(
                {"error": str(exc)},
                status_code=exc.status,
                headers={"Connection": "close"} if exc.status == 401 else None,
            )
        summary = await run_in_threadpool(apply_events, ctx.app, post)
        return JSONResponse(
            {
                "received": summary.received,
                "applied": summary.applied,
                "duplicates": summary.duplicates,
                "ignored": summary.ignored,
            }
        )

    return api
