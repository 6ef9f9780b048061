"""The desk's home page (``/desk/``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from digest.web.desk.auth import AnyStaff, desk_context


def router() -> APIRouter:
    """Routes for the desk's home."""
    api = APIRouter()

    @api.get("/desk")
    @api.get("/desk/")
    def home(request: Request, staff: AnyStaff) -> Response:
        ctx = desk_context(request)
        return ctx.pages.page(
            request,
            "home.html",
            staff=staff,
            csrf_token=staff.csrf_token,
            segments=ctx.app.config.segments,
        )

    return api
