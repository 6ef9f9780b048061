"""Use cases for staff sign-in: check a password, open, find and end server-side sessions.

A session is a random token held by the browser (the web layer signs it into a cookie);
the database keeps only its SHA-256, its CSRF token and its times, so signing out, removing
an account or changing its password really ends it. Sessions expire after
``desk.session_idle_minutes`` unused and ``desk.session_max_hours`` in any case.

Failed sign-ins are counted in the database per address and per client over
``desk.signin_window_minutes``: every web worker sees the same count.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from digest.addresses import InvalidAddress, normalise_address
from digest.app import App
from digest.audit import AuditAction, record_action, web_actor
from digest.staff import (
    MAX_EMAIL_LENGTH,
    Role,
    StaffError,
    StaffUser,
    hash_password,
    hasher,
    password_matches,
    staff_user,
)
from digest.store.staff import (
    count_failures,
    delete_expired_sessions,
    delete_session,
    forget_failures,
    insert_session,
    oldest_failure,
    record_failure,
    session_by_hash,
    staff_by_email,
    touch_session,
    update_staff,
)

# last_seen_at is written at most this often per session (not on every request)
TOUCH_EVERY = timedelta(seconds=60)
MAX_CLIENT = 64
MAX_USER_AGENT = 500


class SignInRefused(StaffError):
    """The sign-in was refused: wrong address or password, or too many failures."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A signed-in member of staff, as a request sees them."""

    user: StaffUser
    csrf_token: str
    created_at: datetime
    expires_at: datetime  # the absolute limit
    idle_expires_at: datetime

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def role(self) -> Role:
        return self.user.role


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Window:
    since: datetime
    seconds: int


def _window(app: App, now: datetime) -> _Window:
    minutes = app.config.desk.signin_window_minutes
    return _Window(since=now - timedelta(minutes=minutes), seconds=minutes * 60)


def _retry_after(
    conn: Connection, window: _Window, now: datetime, *, email: str | None, client: str | None
) -> int:
    oldest = oldest_failure(conn, window.since, email=email, client=client) or now
    return max(1, math.ceil(window.seconds - (now - oldest).total_seconds()))


def _check_limits(app: App, email: str, client: str, now: datetime) -> None:
    """SignInRefused (rate-limited) when the address or the client failed too often."""
    desk = app.config.desk
    window = _window(app, now)
    with app.engine.connect() as conn:
        if count_failures(conn, window.since, email=email) >= desk.signin_failures_per_address:
            wait = _retry_after(conn, window, now, email=email, client=None)
            raise SignInRefused(
                "too many failed sign-ins for this address; try again later", retry_after=wait
            )
        if count_failures(conn, window.since, client=client) >= desk.signin_failures_per_client:
            wait = _retry_after(conn, window, now, email=None, client=client)
            raise SignInRefused(
                "too many failed sign-ins from this client; try again later", retry_after=wait
            )


def _sign_in_address(email: str) -> str:
    """The typed address in its stored spelling (IDN domains in ASCII); as typed if invalid."""
    try:
        return normalise_address(email)
    except InvalidAddress:  # no account can have it; keep it for the rate limits
        return (email or "").strip().lower()[:MAX_EMAIL_LENGTH]


def sign_in(
    app: App, email: str, password: str, *, client: str, user_agent: str | None
) -> tuple[str, StaffSession]:
    """Check the password and open a session: (the token for the cookie, the session).

    SignInRefused without saying whether the address has an account.
    """
    address = _sign_in_address(email)
    client = (client or "unknown")[:MAX_CLIENT]
    now = app.clock()
    _check_limits(app, address, client, now)
    with app.engine.connect() as conn:
        record = staff_by_email(conn, address) if address else None
    if record is None:
        hasher().hash(password or "-")  # spend the same time as a real check
        ok = False
    else:
        ok = password_matches(record.password_hash, password or "")
    if not ok or record is None:
        with app.engine.begin() as conn:
            record_failure(conn, address, client, now)
            forget_failures(conn, _window(app, now).since)
        raise SignInRefused("the email address or the password is not right")
    user = staff_user(record)
    token = secrets.token_urlsafe(32)
    desk = app.config.desk
    expires = now + timedelta(hours=desk.session_max_hours)
    csrf = secrets.token_urlsafe(32)
    with app.engine.begin() as conn:
        if hasher().check_needs_rehash(record.password_hash):
            update_staff(conn, address, now, password_hash=hash_password(password))
        forget_failures(conn, now, email=address)
        delete_expired_sessions(conn, now, now - timedelta(minutes=desk.session_idle_minutes))
        insert_session(
            conn,
            token_hash=token_hash(token),
            user_id=record.id,
            csrf_token=csrf,
            now=now,
            expires_at=expires,
            client=client,
            user_agent=(user_agent or "")[:MAX_USER_AGENT] or None,
        )
        record_action(
            conn, actor=web_actor(address), action=AuditAction.SIGNED_IN, now=now, client=client
        )
    session = StaffSession(
        user=user,
        csrf_token=csrf,
        created_at=now,
        expires_at=expires,
        idle_expires_at=now + timedelta(minutes=desk.session_idle_minutes),
    )
    return token, session


def session_for(app: App, token: str | None) -> StaffSession | None:
    """The live session of ``token``; None if unknown, ended or expired (an expired one is
    deleted)."""
    if not token:
        return None
    key = token_hash(token)
    now = app.clock()
    idle = timedelta(minutes=app.config.desk.session_idle_minutes)
    with app.engine.connect() as conn:
        record = session_by_hash(conn, key)
    if record is None:
        return None
    if now >= record.expires_at or now - record.last_seen_at >= idle:
        with app.engine.begin() as conn:
            delete_session(conn, key)
        return None
    try:
        user = staff_user(record.user)
    except StaffError:
        return None
    last_seen = record.last_seen_at
    if now - last_seen >= TOUCH_EVERY:
        with app.engine.begin() as conn:
            touch_session(conn, key, now)
        last_seen = now
    return StaffSession(
        user=user,
        csrf_token=record.csrf_token,
        created_at=record.created_at,
        expires_at=record.expires_at,
        idle_expires_at=min(record.expires_at, last_seen + idle),
    )


def sign_out(app: App, token: str | None, *, client: str | None = None) -> bool:
    """End the session of ``token`` (on the server, for good); True if one was open."""
    if not token:
        return False
    key = token_hash(token)
    now = app.clock()
    with app.engine.begin() as conn:
        record = session_by_hash(conn, key)
        if record is None:
            return False
        delete_session(conn, key)
        record_action(
            conn,
            actor=web_actor(record.user.email),
            action=AuditAction.SIGNED_OUT,
            now=now,
            client=client,
        )
    return True
