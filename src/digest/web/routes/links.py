"""Pages behind the signed links in emails: /c (confirm), /u (unsubscribe), /p (preferences).

A GET never changes anything (link scanners open every link); every change is a POST.
The one exception the standard asks for is RFC 8058: a POST with
``List-Unsubscribe=One-Click`` unsubscribes at once and answers 200 without a redirect.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.store.subscribers import SubscriberRecord
from digest.tokens import TokenData, TokenError
from digest.web import actions
from digest.web.context import WebContext
from digest.web.errors import InvalidSubmission
from digest.web.forms import parse_pause, parse_preferences
from digest.web.i18n import Translator
from digest.web.routes.common import error_texts, timezone_field, token_failure

PREFERENCE_MESSAGES = ("saved", "paused", "resumed", "resubscribed", "unsubscribed", "blocked")


def router(ctx: WebContext) -> APIRouter:
    """Routes for /c/{token}, /u/{token} and /p/{token}."""
    api = APIRouter()
    app = ctx.app

    def load(token: str, purpose: str) -> TokenData:
        if purpose == "confirm":
            return actions.load_confirm_token(app, token)
        return app.links.signer.load(token, purpose)

    def gone(request: Request) -> HTMLResponse:
        return token_failure(ctx, request, TokenError("this link is not valid"))

    def token_data(request: Request, token: str, purpose: str) -> TokenData | HTMLResponse:
        """The link's data, or the page explaining why the link cannot be used."""
        try:
            return load(token, purpose)
        except TokenError as exc:
            return token_failure(ctx, request, exc)

    async def token_subscriber(
        request: Request, token: str, purpose: str
    ) -> tuple[TokenData, SubscriberRecord] | HTMLResponse:
        """The link's data and its subscriber, or the page explaining why it cannot be used."""
        data = token_data(request, token, purpose)
        if isinstance(data, HTMLResponse):
            return data
        sub = await run_in_threadpool(actions.subscriber_for_token, app, data)
        return gone(request) if sub is None else (data, sub)

    # ---- confirm -----------------------------------------------------------------------

    def confirm_page(
        request: Request, token: str, state: str, view: actions.ConfirmationView
    ) -> HTMLResponse:
        locale = ctx.subscriber_locale(request, view.request.locale)
        _ = Translator(locale)
        chosen = ctx.pages.segment_titles(view.request.segments, locale)
        segments = ", ".join(chosen) or _("none")
        return ctx.pages.page(
            "confirm.html",
            locale,
            state=state,
            email=view.subscriber.email,
            segments=segments,
            action=f"/c/{token}",
            preferences_url=app.links.preferences_url(view.subscriber.id),
        )

    @api.get("/c/{token}", response_class=HTMLResponse)
    async def confirm_view(request: Request, token: str) -> HTMLResponse:
        data = token_data(request, token, "confirm")
        if isinstance(data, HTMLResponse):
            return data
        view = await run_in_threadpool(actions.describe_confirmation, app, data)
        if view is None:
            return gone(request)
        return confirm_page(request, token, view.state, view)

    @api.post("/c/{token}", response_class=HTMLResponse)
    async def confirm(request: Request, token: str) -> HTMLResponse:
        data = token_data(request, token, "confirm")
        if isinstance(data, HTMLResponse):
            return data
        outcome = await run_in_threadpool(
            actions.confirm_subscription, app, data, ctx.evidence(request, "web-confirm")
        )
        view = await run_in_threadpool(actions.describe_confirmation, app, data)
        if view is None:
            return gone(request)
        state = "confirmed" if outcome == "confirmed" else view.state
        return confirm_page(request, token, state, view)

    # ---- unsubscribe -------------------------------------------------------------------

    def unsubscribe_page(
        request: Request, token: str, sub: SubscriberRecord, segment: str | None, **values: Any
    ) -> HTMLResponse:
        locale = ctx.subscriber_locale(request, sub.locale)
        return ctx.pages.page(
            "unsubscribe.html",
            locale,
            email=sub.email,
            segment=segment,
            segment_title=ctx.pages.segment_titles([segment], locale)[0] if segment else None,
            action=f"/u/{token}",
            preferences_url=app.links.preferences_url(sub.id),
            **values,
        )

    @api.get("/u/{token}", response_class=HTMLResponse)
    async def unsubscribe_view(request: Request, token: str) -> HTMLResponse:
        found = await token_subscriber(request, token, "unsubscribe")
        if isinstance(found, HTMLResponse):
            return found
        data, sub = found
        segment = data.segment if data.segment in sub.segments else None
        inactive = sub.status not in ("active", "pending")
        return unsubscribe_page(request, token, sub, segment, done=None, inactive=inactive)

    @api.post("/u/{token}", response_class=HTMLResponse)
    async def unsubscribe(request: Request, token: str) -> HTMLResponse:
        found = await token_subscriber(request, token, "unsubscribe")
        if isinstance(found, HTMLResponse):
            return found
        data, sub = found
        form = await request.form()
        one_click = str(form.get("List-Unsubscribe") or "").strip().lower() == "one-click"
        scope = str(form.get("scope") or "")
        segment = None if scope == "all" else data.segment
        source = "one-click" if one_click else "web-unsubscribe"
        outcome = await run_in_threadpool(
            actions.unsubscribe, app, data.subscriber_id, segment, ctx.evidence(request, source)
        )
        return unsubscribe_page(request, token, sub, segment, done=outcome, inactive=True)

    # ---- preferences -------------------------------------------------------------------

    def preferences_page(
        request: Request,
        token: str,
        sub: SubscriberRecord,
        *,
        message: str | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        locale = ctx.subscriber_locale(request, sub.locale)
        return ctx.pages.page(
            "preferences.html",
            locale,
            status=status,
            sub=sub,
            message=message,
            errors=errors or {},
            action=f"/p/{token}",
            push_token=token,
            now=app.clock(),
            unsubscribe_url=app.links.unsubscribe_url(sub.id, None),
            **timezone_field(locale, sub.timezone, error=(errors or {}).get("timezone")),
        )

    @api.get("/p/{token}", response_class=HTMLResponse)
    async def preferences_view(request: Request, token: str) -> HTMLResponse:
        found = await token_subscriber(request, token, "preferences")
        if isinstance(found, HTMLResponse):
            return found
        data, sub = found
        shown = request.query_params.get("m")
        return preferences_page(
            request, token, sub, message=shown if shown in PREFERENCE_MESSAGES else None
        )

    @api.post("/p/{token}")
    async def preferences(request: Request, token: str) -> Response:
        found = await token_subscriber(request, token, "preferences")
        if isinstance(found, HTMLResponse):
            return found
        data, sub = found
        form = await request.form()
        action = str(form.get("action") or "save")
        evidence = ctx.evidence(request, "preferences")
        try:
            if action == "pause":
                until = parse_pause(form, app.clock())
                await run_in_threadpool(actions.pause, app, sub.id, until, evidence)
                message = "paused"
            elif action == "resume":
                await run_in_threadpool(actions.pause, app, sub.id, None, evidence)
                message = "resumed"
            elif action == "unsubscribe_all":
                await run_in_threadpool(actions.unsubscribe, app, sub.id, None, evidence)
                message = "unsubscribed"
            elif action == "resubscribe":
                choice = parse_preferences(form, app.config)
                ok = await run_in_threadpool(actions.resubscribe, app, sub.id, choice, evidence)
                message = "resubscribed" if ok else "blocked"
            else:
                choice = parse_preferences(form, app.config)
                message = await run_in_threadpool(
                    actions.save_preferences, app, sub.id, choice, evidence
                )
        except InvalidSubmission as exc:
            _ = Translator(ctx.subscriber_locale(request, sub.locale))
            return preferences_page(
                request, token, sub, errors=error_texts(_, exc.fields), status=422
            )
        return RedirectResponse(f"/p/{token}?m={message}", status_code=303)

    return api
