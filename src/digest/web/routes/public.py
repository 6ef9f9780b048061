"""Public pages: the subscribe form, the "email me a link" page and the health check."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from digest.web.actions import CONFIRM_VALID_DAYS, request_manage_link, request_subscription
from digest.web.context import WebContext
from digest.web.errors import InvalidSubmission
from digest.web.forms import normalise_email, parse_subscription
from digest.web.i18n import Translator
from digest.web.mail import SEND_FAILED, EmailNotSent
from digest.web.routes.common import error_texts, read_body_mapping, timezone_field

log = logging.getLogger(__name__)
HONEYPOT_FIELD = "website_url"


def _default_timezone(ctx: WebContext, locale: str) -> str:
    for segment in ctx.app.config.segments:
        if segment.locale == locale:
            return segment.timezone
    return "UTC"


def _form_values(data: Any, ctx: WebContext, locale: str) -> dict[str, Any]:
    """What to put back in the form after a failed submission (or the defaults)."""
    if data is None:
        data = {}
    getlist = getattr(data, "getlist", None)

    def many(key: str) -> list[str]:
        raw = getlist(key) if getlist else data.get(key) or []
        return [str(v) for v in (raw if isinstance(raw, list) else [raw])]

    return {
        "email": str(data.get("email") or ""),
        "name": str(data.get("name") or ""),
        "segments": many("segments"),
        "topics": many("topics"),
        "locale": str(data.get("locale") or locale),
        "timezone": str(data.get("timezone") or _default_timezone(ctx, locale)),
        "timezone_chosen": bool(data.get("timezone")),
        "consent": bool(data.get("consent")),
    }


def _send_manage_link(ctx: WebContext, email: str) -> None:
    """Email the address a fresh link, if it is known; failures are logged, never shown."""
    try:
        request_manage_link(ctx.app, ctx.mailer, ctx.pages, email)
    except EmailNotSent as exc:
        log.warning("manage link not sent: %s", exc)
    except Exception:  # a background task has nobody to answer: log it, keep serving
        log.exception("manage link not sent")


def router(ctx: WebContext) -> APIRouter:
    """Routes for /, /subscribe, /manage and /healthz."""
    api = APIRouter()
    config = ctx.app.config

    def form_page(
        locale: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> HTMLResponse:
        return ctx.pages.page(
            "subscribe.html",
            locale,
            status=status,
            form=values,
            errors=errors,
            honeypot=HONEYPOT_FIELD,
            **timezone_field(
                locale,
                values["timezone"],
                error=errors.get("timezone"),
                from_browser=not values["timezone_chosen"],
            ),
        )

    @api.get("/", response_class=HTMLResponse)
    @api.get("/subscribe", response_class=HTMLResponse)
    def subscribe_form(request: Request) -> HTMLResponse:
        locale = ctx.public_locale(request)
        return form_page(locale, _form_values(None, ctx, locale), {})

    @api.post("/subscribe")
    async def subscribe(request: Request) -> Response:
        locale = ctx.public_locale(request)
        _ = Translator(locale)
        data, is_json = await read_body_mapping(request)
        wait = await ctx.subscribe_limiter.hit_async(ctx.client_ip(request))
        if wait is not None:
            headers = {"Retry-After": str(int(wait) + 1)}
            if is_json:
                return JSONResponse(
                    {"error": _("Please wait a minute and try again.")},
                    status_code=429,
                    headers=headers,
                )
            return ctx.pages.page(
                "message.html",
                locale,
                status=429,
                headers=headers,
                title=_("Too many requests"),
                body=_("Please wait a minute and try again."),
            )
        if data is None:
            return JSONResponse(
                {"errors": {"body": _("The request could not be read.")}}, status_code=400
            )
        try:
            subscription = parse_subscription(data, config, default_locale=locale)
        except InvalidSubmission as exc:
            errors = error_texts(_, exc.fields)
            if is_json:
                return JSONResponse({"errors": errors}, status_code=422)
            return form_page(locale, _form_values(data, ctx, locale), errors, status=422)
        if str(data.get(HONEYPOT_FIELD) or "").strip():
            outcome = "honeypot"
        else:
            evidence = ctx.evidence(request, "web-api" if is_json else "web-form")
            try:
                outcome = await run_in_threadpool(
                    request_subscription, ctx.app, ctx.mailer, ctx.pages, subscription, evidence
                )
            except EmailNotSent:
                if is_json:
                    return JSONResponse({"error": _(SEND_FAILED[1])}, status_code=503)
                return ctx.pages.page(
                    "message.html",
                    locale,
                    status=503,
                    title=_(SEND_FAILED[0]),
                    body=_(SEND_FAILED[1]),
                )
        log.info("subscribe request from %s: %s", ctx.client_ip(request), outcome)
        body = _(
            "If this address can receive our digests, a confirmation link is on its way to it. "
            "Open the email and press the link to start your subscription. "
            "The link works for %(days)s days.",
            days=CONFIRM_VALID_DAYS,
        )
        if is_json:
            return JSONResponse({"status": "check_inbox", "message": body}, status_code=202)
        return ctx.pages.page("message.html", locale, title=_("Check your inbox"), body=body)

    @api.get("/manage", response_class=HTMLResponse)
    def manage_form(request: Request) -> HTMLResponse:
        return ctx.pages.page("manage.html", ctx.public_locale(request), errors={}, email="")

    @api.post("/manage", response_class=HTMLResponse)
    async def manage(request: Request) -> HTMLResponse:
        locale = ctx.public_locale(request)
        _ = Translator(locale)
        form = await request.form()
        raw_email = str(form.get("email") or "")
        wait = await ctx.subscribe_limiter.hit_async(ctx.client_ip(request))
        if wait is not None:
            return ctx.pages.page(
                "message.html",
                locale,
                status=429,
                headers={"Retry-After": str(int(wait) + 1)},
                title=_("Too many requests"),
                body=_("Please wait a minute and try again."),
            )
        try:
            email = normalise_email(raw_email)
        except InvalidSubmission as exc:
            return ctx.pages.page(
                "manage.html",
                locale,
                status=422,
                errors=error_texts(_, exc.fields),
                email=raw_email,
            )
        allowed = await ctx.manage_limiter.hit_async(email) is None
        page = ctx.pages.page(
            "message.html",
            locale,
            title=_("Manage your subscription"),
            body=_("If this address is on our list, a link to manage it is on its way."),
        )
        if allowed:
            # after the answer, so a known address takes as long to answer as an unknown one
            page.background = BackgroundTask(_send_manage_link, ctx, email)
        return page

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with ctx.app.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.error("health check: database unreachable: %s", exc)
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return api
