"""The sign-in page (``/desk/login``) and signing out (``/desk/logout``)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from digest.signin import SignInRefused, sign_in, sign_out
from digest.web.desk.auth import (
    SIGNIN_COOKIE,
    AnyStaff,
    DeskContext,
    Forbidden,
    desk_context,
    safe_next,
)

MAX_FIELD = 1024


def _form_page(
    ctx: DeskContext,
    request: Request,
    *,
    email: str = "",
    next_path: str = "/desk/",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in form with a fresh CSRF nonce (in the form and, signed, in a cookie)."""
    nonce = secrets.token_urlsafe(24)
    response = ctx.pages.page(
        request,
        "login.html",
        status=status,
        headers=headers,
        email=email,
        next_path=safe_next(next_path),
        login_error=error,
        login_notice=notice,
        csrf_token=nonce,
    )
    ctx.set_signin_cookie(response, request, nonce)
    return response


def router() -> APIRouter:
    """Routes for signing in and out."""
    api = APIRouter()

    @api.get("/desk/login")
    async def login_form(request: Request) -> Response:
        ctx = desk_context(request)
        next_path = request.query_params.get("next") or "/desk/"
        if await ctx.session(request) is not None:
            return RedirectResponse(safe_next(next_path), status_code=303)
        notice = "signed-out" if request.query_params.get("signed_out") else None
        return _form_page(ctx, request, next_path=next_path, notice=notice)

    @api.post("/desk/login")
    async def login(request: Request) -> Response:
        ctx = desk_context(request)
        form = await request.form()
        email = str(form.get("email") or "")[:MAX_FIELD]
        password = str(form.get("password") or "")[:MAX_FIELD]
        next_path = str(form.get("next") or "/desk/")
        if not ctx.signin_nonce_ok(request, str(form.get("csrf_token") or "")):
            raise Forbidden("csrf")
        try:
            token, _ = await run_in_threadpool(
                sign_in,
                ctx.app,
                email,
                password,
                client=ctx.client(request),
                user_agent=request.headers.get("user-agent"),
            )
        except SignInRefused as exc:
            if exc.retry_after is not None:
                return _form_page(
                    ctx,
                    request,
                    email=email,
                    next_path=next_path,
                    error="rate-limited",
                    status=429,
                    headers={"Retry-After": str(exc.retry_after)},
                )
            return _form_page(
                ctx, request, email=email, next_path=next_path, error="refused", status=401
            )
        response = RedirectResponse(safe_next(next_path), status_code=303)
        ctx.set_session_cookie(response, request, token)
        response.delete_cookie(
            SIGNIN_COOKIE,
            path="/desk",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @api.post("/desk/logout")
    async def logout(request: Request, staff: AnyStaff) -> Response:
        ctx = desk_context(request)
        await run_in_threadpool(
            sign_out, ctx.app, ctx.session_token(request), client=ctx.client(request)
        )
        response = RedirectResponse("/desk/login?signed_out=1", status_code=303)
        ctx.clear_session_cookie(response, request)
        return response

    return api
