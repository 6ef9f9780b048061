"""The pages' own small static files (no CDN, nothing external): /assets/<name>."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

from digest.web.context import WebContext

ASSETS = {"timezone-picker.js": "text/javascript; charset=utf-8"}
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
}


def router(ctx: WebContext) -> APIRouter:
    """The route for /assets/{name}: the files listed in ASSETS, from digest/web/static."""
    api = APIRouter()
    bodies = {name: (files("digest.web") / "static" / name).read_bytes() for name in ASSETS}

    @api.get("/assets/{name}")
    def asset(name: str) -> Response:
        body = bodies.get(name)
        if body is None:
            return Response(status_code=404)
        return Response(body, media_type=ASSETS[name], headers=ASSET_HEADERS)

    return api
