"""The edition "view in browser" page: /e/{segment}/{date}, rendered as the sender renders it.

It uses the very render function the sender uses (``digest.editions.render_variant``, in its
``web`` form: no greeting, no "you receive this because <address>") and fills the links with
neutral ones, so the page holds nothing about any reader. ``?lang=`` picks another of the
segment's languages (the link in each variant's email carries it).
Only editions that went out (sending or sent) are shown; drafts stay private.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from digest.web.context import WebContext
from digest.web.i18n import Translator

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


def render_public_edition(
    ctx: WebContext, segment_name: str, edition_date: date, lang: str | None = None
) -> str | None:
    """The edition's web page in ``lang`` (one of the segment's locales, else its own), with
    neutral links and nothing about any reader; None if it is not published."""
    from digest.archive import decorate_edition_page, edition_nav
    from digest.previews import public_edition_html, public_locale

    app = ctx.app
    html = public_edition_html(app, segment_name, edition_date, lang)
    if html is None:
        return None
    segment = app.config.segment(segment_name)
    locale = public_locale(segment, lang)
    _ = Translator(locale)
    labels = {
        "previous": _("Previous edition"),
        "next": _("Next edition"),
        "all": _("All editions"),
        "nav": _("Past editions"),
    }
    nav = edition_nav(app, segment.name, edition_date)
    if locale != segment.locale:  # the neighbours in the same language
        nav = replace(
            nav,
            previous_url=f"{nav.previous_url}?lang={locale}" if nav.previous_url else None,
            next_url=f"{nav.next_url}?lang={locale}" if nav.next_url else None,
        )
    return decorate_edition_page(html, nav, labels, _.direction)


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
            lang = request.query_params.get("lang")
            html = await run_in_threadpool(render_public_edition, ctx, segment, day, lang)
        if html is None:
            locale = ctx.public_locale(request)
            _ = Translator(locale)
            return ctx.pages.page(
                "message.html",
                locale,
                status=404,
                title=_("Page not found"),
                body=_("There is nothing at this address."),
            )
        return HTMLResponse(html, headers=EDITION_HEADERS)

    return api
