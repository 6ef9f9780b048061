"""How the desk answers a visitor who is not signed in or not allowed."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from digest.i18n import N_
from digest.web.desk.auth import (
    FORBIDDEN_CSRF,
    FORBIDDEN_ROLE,
    SAFE_METHODS,
    Forbidden,
    NotSignedIn,
    desk_context,
    signin_url,
)
from digest.web.desk.pages import DeskText, desk_locale

_MESSAGES = {"csrf": FORBIDDEN_CSRF, "role": FORBIDDEN_ROLE}


def install_handlers(api: FastAPI) -> None:
    """Register the desk's exception handlers on ``api``."""

    @api.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.method in SAFE_METHODS:
            target = exc.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(signin_url(target), status_code=303)
        ctx = desk_context(request)
        t = DeskText(desk_locale(request))
        return ctx.pages.page(
            request,
            "forbidden.html",
            status=403,
            message=t(N_("You are not signed in, so nothing was changed. Sign in and try again.")),
        )

    @api.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        ctx = desk_context(request)
        t = DeskText(desk_locale(request))
        session = getattr(request.state, "desk_session", None)
        return ctx.pages.page(
            request,
            "forbidden.html",
            status=403,
            staff=session,
            csrf_token=session.csrf_token if session else "",
            message=t(_MESSAGES[exc.reason]),
        )
