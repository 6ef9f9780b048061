"""The edition "view in browser" page: /e/{segment}/{date}, rendered as the sender renders it.

It uses the very render function the sender uses (``digest.editions.render_variant``) and
fills the personal parts with neutral values, so the page holds nothing about any reader.
Only editions that went out (sending or sent) are shown; drafts stay private.
"""

from __future__ import annotations

import logging
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from digest.web.context import WebContext
from digest.web.strings import Strings

log = logging.getLogger(__name__)
EDITION_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
        "font-src https: data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    ),
}


def render_public_edition(ctx: WebContext, segment_name: str, edition_date: date) -> str | None:
    """The edition's HTML with neutral personal values; None if it is not published."""
    from digest.archive import decorate_edition_page, edition_nav
    from digest.previews import public_edition_html

    app = ctx.app
    html = public_edition_html(app, segment_name, edition_date)
    if html is None:
        return None
    segment = app.config.segment(segment_name)
    t = Strings(segment.locale)
    labels = {
        "previous": t("edition_previous"),
        "next": t("edition_next"),
        "all": t("edition_all"),
        "nav": t("archive_title"),
    }
    nav = edition_nav(app, segment.name, edition_date)
    return decorate_edition_page(html, nav, labels, t.direction)


def router(ctx: WebContext) -> APIRouter:
    """The route for /e/{segment}/{date}."""
    api = APIRouter()

    @api.get("/e/{segment}/{edition_date}", response_class=HTMLResponse)
    async def edition_page(request: Request, segment: str, edition_date: str) -> HTMLResponse:
        try:
            day = date.fromisoformat(edition_date)
        except ValueError:
            day = None
        html = None
        if day is not None:
            html = await run_in_threadpool(render_public_edition, ctx, segment, day)
        if html is None:
            locale = ctx.public_locale(request)
            t = Strings(locale)
            return ctx.pages.page(
                "message.html",
                locale,
                status=404,
                title=t("not_found_title"),
                body=t("not_found_body"),
            )
        return HTMLResponse(html, headers=EDITION_HEADERS)

    return api
