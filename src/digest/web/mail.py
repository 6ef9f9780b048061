"""Service emails of the subscription flow (confirm, manage link): render, then send one.

Rendering is pure (``render_confirmation_email``, ``render_manage_email``); ``ServiceMailer``
sends one rendered email to one person through the configured transport.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digest.config import ConfigError
from digest.i18n import N_
from digest.models import PersonalValues, Recipient, RenderedEmail
from digest.send.transports.base import (
    BatchRecipient,
    OutgoingMessage,
    Sender,
    TransportError,
)
from digest.web.errors import WebError
from digest.web.i18n import Translator
from digest.web.templating import PageRenderer

if TYPE_CHECKING:
    from digest.app import App
    from digest.send.transports.base import Transport

log = logging.getLogger(__name__)


class EmailNotSent(WebError):
    """The transport did not accept a service email; nothing about the subscription changed."""


# What a reader is told when a service email could not be sent (title, body).
SEND_FAILED = (
    N_("Please try again later"),
    N_(
        "We could not send the email just now. Nothing was changed; please try again in a few "
        "minutes."
    ),
)


def render_confirmation_email(
    pages: PageRenderer,
    locale: str,
    *,
    confirm_url: str,
    segment_titles: Sequence[str],
    valid_days: int,
) -> RenderedEmail:
    """The double opt-in email (HTML and text) asking the address owner to confirm."""
    _ = Translator(locale)
    values = {
        "confirm_url": confirm_url,
        "segments": ", ".join(segment_titles),
        "valid_days": valid_days,
    }
    publication = pages.context(locale)["publication"].name
    return RenderedEmail(
        subject=_("Confirm your subscription to %(publication)s", publication=publication),
        html=pages.render("email_confirm.html", locale, **values),
        text=pages.render("email_confirm.txt", locale, **values),
        locale=locale,
        html_tokens={},
        text_tokens={},
        headers={"Content-Language": locale},
    )


def render_manage_email(
    pages: PageRenderer, locale: str, *, preferences_url: str, unsubscribe_url: str
) -> RenderedEmail:
    """The email carrying a fresh preferences link, for someone whose old link expired."""
    _ = Translator(locale)
    values = {"preferences_url": preferences_url, "unsubscribe_url": unsubscribe_url}
    publication = pages.context(locale)["publication"].name
    return RenderedEmail(
        subject=_("Manage your %(publication)s subscription", publication=publication),
        html=pages.render("email_manage.html", locale, **values),
        text=pages.render("email_manage.txt", locale, **values),
        locale=locale,
        html_tokens={},
        text_tokens={},
        headers={"Content-Language": locale},
    )


class ServiceMailer:
    """Sends service emails one at a time through one transport kept for the web app's life."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._transport: Transport | None = None
        self._lock = threading.Lock()

    def send(
        self,
        rendered: RenderedEmail,
        recipient: Recipient,
        values: PersonalValues,
        *,
        kind: str,
        key: str,
    ) -> None:
        """Hand one email to the transport; EmailNotSent if it was not accepted."""
        pub = self._app.config.publication
        message = OutgoingMessage(
            rendered=rendered,
            sender=Sender(pub.from_email, pub.from_name, pub.reply_to),
            categories=(kind,),
            custom_args={"kind": kind},
        )
        with self._lock:
            try:
                if self._transport is None:
                    self._transport = self._open_transport()
                outcome = self._transport.send_batch(
                    message, [BatchRecipient(recipient, values)], batch_key=key
                )
            except TransportError as exc:
                log.warning(
                    "%s email to subscriber %s not sent: %s",
                    kind,
                    recipient.subscriber_id,
                    exc.reason,
                )
                raise EmailNotSent(f"the {kind} email could not be sent: {exc.reason}") from None
        if recipient.subscriber_id not in outcome.accepted:
            reason = outcome.failed.get(recipient.subscriber_id, "not accepted by the transport")
            log.warning(
                "%s email to subscriber %s refused: %s", kind, recipient.subscriber_id, reason
            )
            raise EmailNotSent(f"the {kind} email was refused: {reason}")

    def _open_transport(self) -> Transport:
        try:
            return self._app.transport()
        except (ConfigError, ImportError) as exc:
            log.error("the email transport cannot be opened: %s", exc)
            raise EmailNotSent(f"the email transport is not usable: {exc}") from None

    def close(self) -> None:
        """Close the transport if one was opened."""
        with self._lock:
            if self._transport is not None:
                try:
                    self._transport.close()
                finally:
                    self._transport = None
