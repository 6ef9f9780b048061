"""Sign-in for the desk: the session cookie, CSRF tokens and ``require_role``.

A page requires a role by declaring the dependency::

    @router.get("/desk/thing")
    def thing(staff: StaffSession = Depends(require_role(Role.EDITOR))) -> Response: ...

``require_role`` answers a visitor who is not signed in with the sign-in page (a redirect
for GET, 403 for anything else), a member of staff outside the roles with 403, and for
every state-changing method (POST …) it checks the form's ``csrf_token`` against the
session's before the route runs: a forged or missing token changes nothing. Admin passes
every role check.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from digest.app import App
from digest.signin import StaffSession, session_for
from digest.staff import Role
from digest.web.desk.pages import N_, DeskPages
from digest.web.desk.preview import RenderCache

SESSION_COOKIE = "digest_desk"
SIGNIN_COOKIE = "digest_desk_signin"  # the sign-in form's CSRF nonce, before any session
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/desk"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNIN_FORM_MAX_AGE = 3600  # seconds a sign-in form stays usable


class NotSignedIn(Exception):
    """The request needs a signed-in member of staff and has none."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Forbidden(Exception):
    """The request is outside the member's role, or its CSRF token is missing or forged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


FORBIDDEN_ROLE = N_("Your role does not allow this. Ask an admin if you need it.")
FORBIDDEN_CSRF = N_(
    "This form has expired or did not come from the desk, so nothing was changed. "
    "Reload the page and try again."
)


@dataclass
class DeskContext:
    """What the desk's routes share: the App, the page renderer and the cookie signers."""

    app: App
    pages: DeskPages

    @classmethod
    def build(cls, app: App) -> DeskContext:
        return cls(app=app, pages=DeskPages(app.config))

    @cached_property
    def renders(self) -> RenderCache:
        """The last few renders of the desk's previews (the page and its frame share one)."""
        return RenderCache()

    @cached_property
    def session_signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.app.signing_key, salt="digest-desk-session")

    @cached_property
    def signin_signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.app.signing_key, salt="digest-desk-signin")

    def client(self, request: Request) -> str:
        """The client's address as uvicorn saw it (after trusted proxy headers)."""
        return request.client.host if request.client else "unknown"

    def session_token(self, request: Request) -> str | None:
        """The session token in the request's cookie, if it carries a valid signature."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            token = self.session_signer.loads(raw)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    async def session(self, request: Request) -> StaffSession | None:
        """The request's live session (looked up once per request)."""
        if not hasattr(request.state, "desk_session"):
            token = self.session_token(request)
            request.state.desk_session = await run_in_threadpool(session_for, self.app, token)
        found: StaffSession | None = request.state.desk_session
        return found

    def set_session_cookie(self, response: Response, request: Request, token: str) -> None:
        """Hand the browser its session: HttpOnly, SameSite=Strict, Secure over https."""
        response.set_cookie(
            SESSION_COOKIE,
            self.session_signer.dumps(token),
            max_age=int(self.app.config.desk.session_max_hours * 3600),
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def clear_session_cookie(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            SESSION_COOKIE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def set_signin_cookie(self, response: Response, request: Request, nonce: str) -> None:
        """Set the sign-in form's CSRF nonce, signed, in a cookie (double submit)."""
        response.set_cookie(
            SIGNIN_COOKIE,
            self.signin_signer.dumps(nonce),
            max_age=SIGNIN_FORM_MAX_AGE,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def signin_nonce_ok(self, request: Request, submitted: str) -> bool:
        """True when the sign-in form's nonce matches its signed cookie."""
        raw = request.cookies.get(SIGNIN_COOKIE)
        if not raw or not submitted:
            return False
        try:
            nonce = self.signin_signer.loads(raw, max_age=SIGNIN_FORM_MAX_AGE)
        except BadSignature:
            return False
        return isinstance(nonce, str) and hmac.compare_digest(nonce, submitted)


def desk_context(request: Request) -> DeskContext:
    """The desk's context, installed on the FastAPI app by ``digest.web.desk.install``."""
    ctx: DeskContext = request.app.state.desk
    return ctx


def safe_next(path: str | None) -> str:
    """Where to go after signing in: a desk path of ours, never another site."""
    if (
        not path
        or not path.startswith("/desk/")
        or path.startswith("//")
        or "\\" in path
        or any(ord(c) < 32 for c in path)
    ):
        return "/desk/"
    return path


def signin_url(next_path: str) -> str:
    return f"/desk/login?next={quote(safe_next(next_path), safe='/')}"


async def check_csrf(request: Request, session: StaffSession) -> None:
    """Forbidden unless the submitted form carries the session's CSRF token."""
    form = await request.form()  # parsed once; the route reads the same form again
    submitted = form.get(CSRF_FIELD)
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted.encode(), session.csrf_token.encode()
    ):
        raise Forbidden("csrf")


def require_role(*roles: Role) -> Callable[[Request], Awaitable[StaffSession]]:
    """A FastAPI dependency: the signed-in member, if their role is one of ``roles``."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def dependency(request: Request) -> StaffSession:
        ctx = desk_context(request)
        session = await ctx.session(request)
        if session is None:
            raise NotSignedIn(request.url.path)
        if request.method not in SAFE_METHODS:
            await check_csrf(request, session)
        if session.role not in allowed:
            raise Forbidden("role")
        return session

    return dependency


#: Any member of staff, whatever their role.
require_staff = require_role(*Role)

#: Route parameter types: ``def page(staff: AnyStaff)`` / ``def page(editor: EditorStaff)``.
AnyStaff = Annotated[StaffSession, Depends(require_staff)]
EditorStaff = Annotated[StaffSession, Depends(require_role(Role.EDITOR))]
