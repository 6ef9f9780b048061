"""The archive: /e/ (every segment's latest editions), /e/SEGMENT/ (paged, newest first)
and /e/SEGMENT/feed.xml (Atom). Only sent editions are listed; nothing personal appears."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from digest import archive
from digest.web.context import WebContext
from digest.web.i18n import Translator

ARCHIVE_HEADERS = {"Cache-Control": "public, max-age=300"}


def router(ctx: WebContext) -> APIRouter:
    """Routes for /e/, /e/{segment}/ and /e/{segment}/feed.xml."""
    api = APIRouter()
    app = ctx.app

    def not_found(request: Request) -> HTMLResponse:
        locale = ctx.public_locale(request)
        _ = Translator(locale)
        return ctx.pages.page(
            "message.html",
            locale,
            status=404,
            title=_("Page not found"),
            body=_("There is nothing at this address."),
        )

    @api.get("/e/", response_class=HTMLResponse)
    @api.get("/e", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> HTMLResponse:
        locale = ctx.public_locale(request)
        segments = await run_in_threadpool(archive.archive_index, app)
        return ctx.pages.page(
            "archive.html",
            locale,
            headers=ARCHIVE_HEADERS,
            title=Translator(locale)("Past editions"),
            segments=segments,
            single=False,
            page_size=archive.PAGE_SIZE,
        )

    @api.get("/e/{segment}/feed.xml")
    async def feed(request: Request, segment: str) -> Response:
        body = await run_in_threadpool(archive.atom_feed, app, segment, app.clock())
        if body is None:
            return not_found(request)
        return Response(
            body, media_type="application/atom+xml; charset=utf-8", headers=ARCHIVE_HEADERS
        )

    @api.get("/e/{segment}/", response_class=HTMLResponse)
    async def segment_page(request: Request, segment: str) -> HTMLResponse:
        raw_page = request.query_params.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 0
        found = await run_in_threadpool(archive.segment_archive, app, segment, page)
        if found is None:
            return not_found(request)
        locale = ctx.public_locale(request)
        _ = Translator(locale)
        name = ctx.pages.segment_titles([found.name], locale)[0]
        title = _("%(segment)s: past editions", segment=name)
        if found.page > 1:
            title = f"{title} · {_('Page %(page)s', page=found.page)}"
        return ctx.pages.page(
            "archive.html",
            locale,
            headers=ARCHIVE_HEADERS,
            title=title,
            segments=[found],
            single=True,
            page_size=archive.PAGE_SIZE,
        )

    return api
