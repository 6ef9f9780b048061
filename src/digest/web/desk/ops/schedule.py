"""The Schedule page (each segment's next due time, in UTC and its zone; missed, failed and
held runs; the last runs with their outcome) and the Sources page (each feed's last fetch,
last error and items of the last day)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from digest.console_views import schedule_view, sources_view
from digest.web.desk.auth import desk_context
from digest.web.desk.ops.common import OpsStaff, number, page, when


def router() -> APIRouter:
    """Routes of the Schedule and Sources pages."""
    api = APIRouter()

    @api.get("/desk/ops/schedule")
    def schedule(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        view = schedule_view(app)
        return page(request, "ops/schedule.html", staff, view=view, when=when, now=app.clock())

    @api.get("/desk/ops/sources")
    def sources(request: Request, staff: OpsStaff) -> Response:
        app = desk_context(request).app
        return page(
            request,
            "ops/sources.html",
            staff,
            sources=sources_view(app),
            when=when,
            number=number,
        )

    return api
