"""The public web app: subscribe, confirm, unsubscribe, preferences, provider webhooks.

``create_app(app)`` builds the FastAPI application from the wired ``digest.app.App``;
nothing is created at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.web.errors import (
    InvalidSubmission,
    UnknownSubscriber,
    WebError,
    WebhookRejected,
    WebSetupError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from digest.app import App

__all__ = [
    "InvalidSubmission",
    "UnknownSubscriber",
    "WebError",
    "WebSetupError",
    "WebhookRejected",
    "create_app",
]


def create_app(app: App) -> FastAPI:
    """The FastAPI application serving the public pages and webhooks of ``app``."""
    from digest.web.factory import build_web_app

    return build_web_app(app)
