"""The ops console under ``/desk/ops/``: sends, controls, schedule, engagement, subscribers,
sources. Every page needs the ops role (admin passes); an editor gets 403.

Routes are thin: they read the request, call the use cases in ``digest.console``,
``digest.console_controls``, ``digest.engagement``, ``digest.subscriber_console`` and
``digest.alerts``, and render ``templates/ops/``. The Sends pages update themselves by
polling a JSON twin every two seconds (``static/console.js``, the console's only script).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from fastapi import FastAPI

    from digest.app import App

__all__ = ["install", "router"]


def router() -> APIRouter:
    """Every console route."""
    from digest.web.desk.ops import controls, engagement, people, schedule, sends

    api = APIRouter()
    for module in (sends, controls, schedule, engagement, people):
        api.include_router(module.router())
    return api


def install(api: FastAPI, app: App) -> None:
    """Add the console's routes, its runner of background sends and its 404 page."""
    from fastapi import Request
    from fastapi.responses import Response

    from digest.web.desk.ops.background import BackgroundSends
    from digest.web.desk.ops.common import NotFound

    api.state.console_sends = BackgroundSends(app)
    api.include_router(router())

    @api.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        from digest.web.desk.auth import desk_context
        from digest.web.desk.ops.common import CONSOLE_HEADERS

        session = getattr(request.state, "desk_session", None)
        return desk_context(request).pages.page(
            request,
            "ops/not_found.html",
            status=404,
            headers=CONSOLE_HEADERS,
            staff=session,
            csrf_token=session.csrf_token if session else "",
            message=exc.message,
        )
