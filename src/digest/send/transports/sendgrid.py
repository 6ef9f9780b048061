"""SendGrid transport: one mail/send request of up to 1000 personalizations per batch.

Errors are classified for the dispatcher: 429 waits (X-RateLimit-Reset / Retry-After),
5xx and failures to connect are retried, 400 names the refused recipients (or asks for a
split), 401/403 stop the send. A connection that breaks, or an answer that does not come,
after the request went out leaves the outcome unknown: the batch is never re-sent blindly.

The body is serialised by ``BodyEncoder`` (a few microseconds per recipient) and posted with
the official ``sendgrid`` client, one per worker thread (``sendgrid_client``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from digest.config import SendGridSettings
from digest.models import RenderedEmail
from digest.send.backoff import Backoff, provider_wait_seconds
from digest.send.transports.base import (
    BatchOutcome,
    BatchRecipient,
    OutgoingMessage,
    SendRow,
    TransportError,
)
from digest.send.transports.sendgrid_client import AnswerLost, NotSent, OfficialClientPoster
from digest.send.transports.sendgrid_payload import (
    MAX_BODY_BYTES,
    MAX_PERSONALIZATIONS,
    BodyEncoder,
    PayloadError,
    encode_body,
)

_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)(?:\.|$)")


class SendGridTransport:
    """Posts batches to SendGrid's v3 mail/send over kept-alive connections."""

    name = "sendgrid"
    accepted_code = "202"  # how a taken request shows in digest_provider_answers

    def __init__(
        self,
        api_key: str,
        settings: SendGridSettings,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self.endpoint = f"SendGrid at {settings.host}"
        self._timeout = settings.timeout_seconds
        self._poster = OfficialClientPoster(api_key, settings.host, timeout=self._timeout)
        self._clock = clock
        self._encoders: dict[int, tuple[RenderedEmail, str | None, BodyEncoder]] = {}
        self.max_batch_size = min(settings.batch_size, MAX_PERSONALIZATIONS)
        self.max_retries = settings.max_retries
        self.backoff = backoff or Backoff()
        self.lease_seconds = 2 * settings.timeout_seconds + 30
        # SendGrid schedules send_at up to 72 hours ahead; keep an hour in hand
        self.schedule_ahead = timedelta(hours=71)

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome:
        """Send one request for ``recipients``; TransportError describes any failure."""
        return self.send_rows(message, [SendRow.of(r) for r in recipients], batch_key)

    def _encoder(self, message: OutgoingMessage) -> BodyEncoder:
        rendered = message.rendered
        cached = self._encoders.get(id(rendered))
        # the cache holds the rendered email itself, so its id cannot be reused meanwhile
        if cached is None or cached[0] is not rendered or cached[1] != message.unsubscribe_mailto:
            cached = (
                rendered,
                message.unsubscribe_mailto,
                BodyEncoder(rendered, message.unsubscribe_mailto),
            )
            self._encoders[id(rendered)] = cached
        return cached[2]

    def encode(self, message: OutgoingMessage, rows: Sequence[SendRow]) -> bytes:
        """The request body for ``rows``; PayloadError if it breaks SendGrid's limits."""
        if len(rows) > MAX_PERSONALIZATIONS:
            raise PayloadError(
                f"{len(rows)} recipients in one request; SendGrid takes at most "
                f"{MAX_PERSONALIZATIONS}"
            )
        make = self._encoder(message).personalization
        now = self._clock()
        seen: set[str] = set()
        parts: list[str] = []
        for _sid, email, name, unsubscribe_url, preferences_url, send_at, _l, _t in rows:
            address = email.lower()
            if address in seen:
                raise PayloadError(f"address {email} appears twice in one request")
            seen.add(address)
            at = int(send_at.timestamp()) if send_at is not None and send_at > now else None
            parts.append(make(email, name, unsubscribe_url, preferences_url, at))
        body = encode_body(
            message, parts, sandbox_mode=self._settings.sandbox_mode, ip_pool=self._settings.ip_pool
        )
        if len(body) >= MAX_BODY_BYTES:
            raise PayloadError(f"the request would be {len(body):,} bytes; SendGrid takes < 30 MB")
        return body

    def send_rows(
        self, message: OutgoingMessage, rows: Sequence[SendRow], batch_key: str
    ) -> BatchOutcome:
        """Send one request for ``rows``; TransportError describes any failure."""
        try:
            body = self.encode(message, rows)
        except PayloadError as exc:
            raise TransportError(
                f"batch {batch_key}: {exc}", retryable=False, splittable=len(rows) > 1
            ) from None
        try:
            answer = self._poster.post_mail_send(body, {})
        except NotSent as exc:
            raise TransportError(
                f"cannot reach SendGrid at {self._settings.host}: {exc}", retryable=True
            ) from None
        except AnswerLost as exc:
            if exc.timed_out:
                reason = (
                    f"SendGrid did not answer within {self._timeout:g}s after the request was "
                    f"sent ({exc}); the batch may or may not have been accepted"
                )
            else:
                reason = (
                    f"the connection to SendGrid broke after the request was sent ({exc}); "
                    "the batch may or may not have been accepted"
                )
            raise TransportError(reason, retryable=False, outcome_unknown=True) from None
        if answer.status >= 300:
            raise self._classify(answer.status, answer.headers, answer.body, rows)
        return BatchOutcome(
            accepted=tuple(r.subscriber_id for r in rows),
            provider_message_id=answer.header("X-Message-Id"),
        )

    def _classify(
        self, status: int, headers: Mapping[str, str], body: bytes, rows: Sequence[SendRow]
    ) -> TransportError:
        detail = _error_messages(body)
        text = "; ".join(m for m, _ in detail) or _short_body(body)
        if status in (401, 403):
            return TransportError(
                f"SendGrid refused the API key ({status}): {text or 'unauthorized'}; "
                "check SENDGRID_API_KEY and its mail.send permission",
                retryable=False,
                fatal=True,
                status=status,
            )
        if status == 429:
            wait = provider_wait_seconds(dict(headers), time.time())
            return TransportError(
                "SendGrid rate limit reached (429)",
                retryable=True,
                retry_after=wait,
                status=status,
            )
        if status >= 500:
            return TransportError(
                f"SendGrid server error {status}: {text or 'no detail'}",
                retryable=True,
                status=status,
            )
        if status == 413:
            return TransportError(
                "SendGrid says the request is too large (413)",
                retryable=False,
                splittable=len(rows) > 1,
                status=status,
            )
        if status == 400:
            return _bad_request(detail, text, rows)
        return TransportError(
            f"SendGrid answered {status}: {text or 'no detail'}",
            retryable=False,
            fatal=True,
            status=status,
        )

    def close(self) -> None:
        """Close the kept-alive connections of every sender thread."""
        self._poster.close()


def _bad_request(
    detail: list[tuple[str, str | None]], text: str, recipients: Sequence[SendRow]
) -> TransportError:
    """A 400: refused recipients when SendGrid names them, a split when it does not."""
    rejected: dict[int, str] = {}
    message_level: list[str] = []
    for message, field in detail:
        match = _PERSONALIZATION_FIELD.match(field or "")
        if match and int(match.group(1)) < len(recipients):
            sid = recipients[int(match.group(1))].subscriber_id
            reason = f"SendGrid refused the recipient: {message}"
            rejected[sid] = rejected.get(sid, reason)
        elif field:
            message_level.append(f"{field}: {message}")
        else:
            message_level.append(message)
    if rejected and not message_level:
        return TransportError(
            f"SendGrid refused {len(rejected)} recipient(s): {text}",
            retryable=False,
            rejected=rejected,
            status=400,
        )
    if any(field for _, field in detail) and message_level:
        # the message itself is invalid: every batch would fail the same way
        return TransportError(
            f"SendGrid rejected the message (400): {'; '.join(message_level)}",
            retryable=False,
            fatal=True,
            status=400,
        )
    return TransportError(
        f"SendGrid rejected the request (400): {text or 'no detail'}",
        retryable=False,
        splittable=len(recipients) > 1,
        status=400,
    )


def _error_messages(body: Any) -> list[tuple[str, str | None]]:
    """SendGrid's ``errors`` list as (message, field) pairs; empty when the body is not JSON."""
    try:
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        data = json.loads(raw)
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    out: list[tuple[str, str | None]] = []
    for err in errors:
        if isinstance(err, dict):
            field = err.get("field")
            out.append((str(err.get("message") or "invalid"), str(field) if field else None))
    return out


def _short_body(body: Any) -> str:
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    return raw.strip()[:300]
