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
from digest.i18n import N_
from digest.web import desk
from digest.web.body_limit import BodyLimit
from digest.web.context import WebContext
from digest.web.i18n import Translator
from digest.web.mail import SEND_FAILED, EmailNotSent
from digest.web.routes import archive, assets, browser, links, metrics, public, push, webhooks

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
    for module in (public, links, webhooks, push, archive, browser, metrics, assets):
        api.include_router(module.router(ctx))
    desk.install(api, app)

    def message(request: Request, status: int, title: str, body: str) -> Response:
        """A page (or JSON for machine endpoints) with ``title`` and ``body`` translated."""
        locale = ctx.public_locale(request)
        _ = Translator(locale)
        if request.url.path.startswith("/webhooks/") or request.url.path in (
            "/healthz",
            "/metrics",
        ):
            return JSONResponse({"error": _(body)}, status_code=status)
        return ctx.pages.page("message.html", locale, status=status, title=_(title), body=_(body))

    unavailable = (
        N_("Briefly unavailable"),
        N_(
            "Something went wrong on our side. Nothing was changed; please try again in a few "
            "minutes."
        ),
    )

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return message(
                request, 404, N_("Page not found"), N_("There is nothing at this address.")
            )
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return message(
            request, 400, N_("This link does not work"), N_("The request could not be read.")
        )

    @api.exception_handler(EmailNotSent)
    async def not_sent(request: Request, exc: EmailNotSent) -> Response:
        return message(request, 503, *SEND_FAILED)

    @api.exception_handler(SQLAlchemyError)
    async def database_down(request: Request, exc: SQLAlchemyError) -> Response:
        log.error("database error serving %s: %s", request.url.path, exc)
        return message(request, 503, *unavailable)

    @api.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error serving %s", request.url.path)
        return message(request, 500, *unavailable)

    return api
