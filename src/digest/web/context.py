"""What every route needs, built once per web app from the wired App (no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from digest.config import SUPPORTED_LOCALES, reveal
from digest.store.subscriptions import Evidence
from digest.web.i18n import accept_language_tags, pick_locale
from digest.web.mail import ServiceMailer
from digest.web.ratelimit import DatabaseRateLimiter
from digest.web.sendgrid_signature import SendGridSignatureVerifier
from digest.web.templating import PageRenderer, make_environment

if TYPE_CHECKING:
    from digest.app import App

MANAGE_LINKS_PER_ADDRESS_PER_HOUR = 3
MAX_USER_AGENT = 500


@dataclass
class WebContext:
    """The App plus the web app's own parts: pages, mailer, rate limits, webhook verifier."""

    app: App
    pages: PageRenderer
    mailer: ServiceMailer
    subscribe_limiter: DatabaseRateLimiter
    manage_limiter: DatabaseRateLimiter
    sendgrid_verifier: SendGridSignatureVerifier | None

    @classmethod
    def build(cls, app: App) -> WebContext:
        """The context for ``app``; WebSetupError if the webhook public key is unusable.

        The link-signing key is read (or made and stored, when ``DIGEST_SECRET_KEY`` is not
        set and ``digest init`` did not make one) here, at start-up: made inside a request, its
        write would wait on the request's own transaction (SQLite holds one writer).
        """
        _ = app.signing_key
        key = reveal(app.secrets.sendgrid_webhook_public_key)
        return cls(
            app=app,
            pages=PageRenderer(make_environment(), app.config),
            mailer=ServiceMailer(app),
            subscribe_limiter=DatabaseRateLimiter(
                app.engine,
                "subscribe",
                app.config.web.subscribe_rate_per_minute,
                60,
                app.clock,
                salt=app.installation_tag,
            ),
            manage_limiter=DatabaseRateLimiter(
                app.engine,
                "manage-email",
                MANAGE_LINKS_PER_ADDRESS_PER_HOUR,
                3600,
                app.clock,
                salt=app.installation_tag,
            ),
            sendgrid_verifier=SendGridSignatureVerifier(key) if key else None,
        )

    def client_ip(self, request: Request) -> str:
        """The client's address as uvicorn saw it (after trusted proxy headers)."""
        return request.client.host if request.client else "unknown"

    def evidence(self, request: Request, source: str) -> Evidence:
        """Where an action came from, for the consent record."""
        return Evidence(
            source=source,
            ip=self.client_ip(request),
            user_agent=(request.headers.get("user-agent") or "")[:MAX_USER_AGENT] or None,
            wording_version=self.app.config.web.consent_version,
        )

    def public_locale(self, request: Request) -> str:
        """The page locale for a visitor: ?lang=, else Accept-Language, else English."""
        return pick_locale(
            SUPPORTED_LOCALES,
            request.query_params.get("lang"),
            *accept_language_tags(request.headers.get("accept-language")),
        )

    def subscriber_locale(self, request: Request, stored: str | None) -> str:
        """The page locale for a known subscriber: ?lang=, else their own locale."""
        return pick_locale(SUPPORTED_LOCALES, request.query_params.get("lang"), stored)
