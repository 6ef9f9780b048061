"""Web Push routes: store and remove subscriptions, the service worker, the page script,
the server's public key, and the notification's icon and badge.

``POST /push/subscriptions`` takes the browser's PushSubscription JSON plus ``segments``,
``locale``, ``timezone`` (and ``preferences_token`` from the preference centre, which links
it to the email subscriber; ``replaces`` when the worker renews an expired one) → 201.
``DELETE /push/subscriptions`` with the same ``endpoint`` removes it → 204. A malformed
subscription gets 422 with ``{"errors": {field: why}}``.
"""

from __future__ import annotations

import logging
from functools import cache, cached_property
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.push import subscriptions as use
from digest.push.icons import badge_png, icon_png
from digest.push.vapid import load_vapid, public_key_b64
from digest.tokens import TokenError
from digest.web.context import WebContext
from digest.web.routes.common import read_body_mapping

log = logging.getLogger(__name__)
SCRIPT_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Type": "text/javascript; charset=utf-8",
}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@cache
def _static(name: str) -> bytes:
    return resources.files("digest.web").joinpath("static", name).read_bytes()


def push_segments(ctx: WebContext) -> list[str]:
    """The segments that are sent as notifications (the "notify me" button offers them)."""
    return [s.name for s in ctx.app.config.segments if "webpush" in s.channels]


def vapid_public_key(ctx: WebContext) -> str:
    """The server's VAPID public key, as ``applicationServerKey`` takes it."""
    return public_key_b64(load_vapid(ctx.app.vapid_private_key))


def _error(status: int, errors: dict[str, str]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status, headers=API_HEADERS)


def router(ctx: WebContext) -> APIRouter:
    """Routes for /push/… and /sw.js."""
    api = APIRouter()
    app = ctx.app

    def linked_subscriber(data: object) -> int | None:
        token = data.get("preferences_token") if isinstance(data, dict) else None
        if not token:
            return None
        return app.links.signer.load(str(token), "preferences").subscriber_id

    @api.post("/push/subscriptions")
    async def add_subscription(request: Request) -> Response:
        wait = await ctx.subscribe_limiter.hit_async(ctx.client_ip(request))
        if wait is not None:
            headers = {**API_HEADERS, "Retry-After": str(int(wait) + 1)}
            return JSONResponse({"error": "too many requests"}, status_code=429, headers=headers)
        data, is_json = await read_body_mapping(request)
        if not is_json:
            return _error(415, {"body": "send the subscription as application/json"})
        if data is None:
            return _error(422, {"body": "must be a JSON object"})
        try:
            subscriber_id = linked_subscriber(data)
        except TokenError as exc:
            return _error(422, {"preferences_token": f"not a valid preferences link: {exc}"})
        data = await run_in_threadpool(use.renewal_defaults, app, data)
        try:
            sub = use.parse_push_subscription(data, app.config, subscriber_id=subscriber_id)
        except use.InvalidPushSubscription as exc:
            return _error(422, exc.fields)
        sub_id, created = await run_in_threadpool(use.register_push_subscription, app, sub)
        log.info("push subscription %s %s", sub_id, "created" if created else "updated")
        body = {"status": "subscribed", "segments": list(sub.segments), "locale": sub.locale}
        return JSONResponse(body, status_code=201, headers=API_HEADERS)

    @api.delete("/push/subscriptions")
    async def remove_subscription(request: Request) -> Response:
        data, is_json = await read_body_mapping(request)
        if not is_json:
            return _error(415, {"body": "send the endpoint as application/json"})
        try:
            endpoint = use.parse_endpoint(data)
        except use.InvalidPushSubscription as exc:
            return _error(422, exc.fields)
        removed = await run_in_threadpool(use.remove_push_subscription, app, endpoint)
        if not removed:
            return _error(404, {"endpoint": "no subscription with this endpoint"})
        return Response(status_code=204, headers=API_HEADERS)

    @api.get("/push/key")
    async def public_key() -> JSONResponse:
        key = await run_in_threadpool(vapid_public_key, ctx)
        return JSONResponse({"publicKey": key}, headers={"Cache-Control": "public, max-age=300"})

    @api.get("/sw.js")
    def service_worker() -> Response:
        headers = {**SCRIPT_HEADERS, "Service-Worker-Allowed": "/"}
        return Response(_static("sw.js"), headers=headers)

    @api.get("/push/notify.js")
    def page_script() -> Response:
        return Response(_static("notify.js"), headers=SCRIPT_HEADERS)

    @api.get("/push/icon.png")
    def icon() -> Response:
        png = icon_png(app.config.email.brand_color)
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @api.get("/push/badge.png")
    def badge() -> Response:
        return Response(
            badge_png(), media_type="image/png", headers={"Cache-Control": "max-age=86400"}
        )

    return api


class PushNotice:
    """What the "notify me" section of a page needs; the key is read on first use."""

    def __init__(self, ctx: WebContext) -> None:
        self._ctx = ctx
        self.segments = push_segments(ctx)

    @cached_property
    def key(self) -> str:
        return vapid_public_key(self._ctx)


def install_page_globals(ctx: WebContext) -> None:
    """Let the subscribe page and the preference centre show the "notify me" button."""
    ctx.pages.add_global("push_notice", PushNotice(ctx))
