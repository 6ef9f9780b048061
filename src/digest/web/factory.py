"""Builds the FastAPI application from the wired App: routes, error pages, shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from digest import __version__
from digest.web import desk
from digest.web.body_limit import BodyLimit
from digest.web.context import WebContext
from digest.web.mail import EmailNotSent
from digest.web.routes import archive, browser, links, metrics, public, push, webhooks
from digest.web.strings import Strings

if TYPE_CHECKING:
    from digest.app import App

log = logging.getLogger(__name__)


def build_web_app(app: App) -> FastAPI:
    """The FastAPI application for ``app``; WebSetupError if a web setting is unusable."""
    ctx = WebContext.build(app)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.mailer.close()

    api = FastAPI(
        title=f"{app.config.publication.name} subscriptions",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    api.state.web = ctx
    api.add_middleware(BodyLimit, max_bytes=app.config.web.max_body_bytes)
    push.install_page_globals(ctx)
    for module in (public, links, webhooks, push, archive, browser, metrics):
        api.include_router(module.router(ctx))
    desk.install(api, app)

    def message(request: Request, status: int, title_key: str, body_key: str) -> Response:
        locale = ctx.public_locale(request)
        t = Strings(locale)
        if request.url.path.startswith("/webhooks/") or request.url.path in (
            "/healthz",
            "/metrics",
        ):
            return JSONResponse({"error": t(body_key)}, status_code=status)
        return ctx.pages.page(
            "message.html", locale, status=status, title=t(title_key), body=t(body_key)
        )

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return message(request, 404, "not_found_title", "not_found_body")
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return message(request, 400, "link_invalid_title", "err_body")

    @api.exception_handler(EmailNotSent)
    async def not_sent(request: Request, exc: EmailNotSent) -> Response:
        return message(request, 503, "send_failed_title", "send_failed_body")

    @api.exception_handler(SQLAlchemyError)
    async def database_down(request: Request, exc: SQLAlchemyError) -> Response:
        log.error("database error serving %s: %s", request.url.path, exc)
        return message(request, 503, "unavailable_title", "unavailable_body")

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error serving %s", request.url.path)
        return message(request, 500, "unavailable_title", "unavailable_body")

    return api
