"""SendGrid transport: one mail/send request of up to 1000 personalizations per batch.

Errors are classified for the dispatcher: 429 waits (X-RateLimit-Reset / Retry-After),
5xx and failures to connect are retried, 400 names the refused recipients (or asks for a
split), 401/403 stop the send. A connection that breaks, or an answer that does not come,
after the request went out leaves the outcome unknown: the batch is never re-sent blindly.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sendgrid
from python_http_client import exceptions as http_errors

from digest.config import SendGridSettings
from digest.send.backoff import Backoff, provider_wait_seconds
from digest.send.sendgrid_payload import (
    MAX_BODY_BYTES,
    MAX_PERSONALIZATIONS,
    PayloadError,
    estimated_size,
    mail_body,
)
from digest.send.transport import BatchOutcome, BatchRecipient, OutgoingMessage, TransportError

_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)(?:\.|$)")


class SendGridTransport:
    """Posts batches to SendGrid's v3 mail/send with the official client."""

    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        settings: SendGridSettings,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._client = sendgrid.SendGridAPIClient(api_key=api_key, host=settings.host.rstrip("/"))
        self._timeout = settings.timeout_seconds
        self._clock = clock
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
        if len(recipients) > 1 and estimated_size(message, recipients) >= MAX_BODY_BYTES:
            raise TransportError(
                f"batch {batch_key} would exceed SendGrid's 30 MB request limit",
                retryable=False,
                splittable=True,
            )
        try:
            body = mail_body(
                message,
                recipients,
                sandbox_mode=self._settings.sandbox_mode,
                ip_pool=self._settings.ip_pool,
                now=self._clock(),
            )
        except PayloadError as exc:
            split = len(recipients) > 1
            raise TransportError(str(exc), retryable=False, splittable=split) from None
        try:
            response = self._client.client.mail.send.post(
                request_body=body, timeout=self._timeout
            )
        except http_errors.HTTPError as exc:
            raise self._classify(exc, recipients) from None
        except urllib.error.URLError as exc:
            # urllib wraps failures to connect or to write the request: nothing was received
            raise TransportError(
                f"cannot reach SendGrid at {self._settings.host}: {exc.reason}",
                retryable=True,
            ) from None
        except TimeoutError as exc:
            raise TransportError(
                f"SendGrid did not answer within {self._timeout:g}s after the request was "
                f"sent ({exc or 'timeout'}); the batch may or may not have been accepted",
                retryable=False,
                outcome_unknown=True,
            ) from None
        except (http.client.HTTPException, OSError) as exc:
            raise TransportError(
                f"the connection to SendGrid broke after the request was sent "
                f"({type(exc).__name__}: {exc}); the batch may or may not have been accepted",
                retryable=False,
                outcome_unknown=True,
            ) from None
        message_id = _header(response.headers, "X-Message-Id")
        return BatchOutcome(
            accepted=tuple(r.recipient.subscriber_id for r in recipients),
            provider_message_id=message_id,
        )

    def _classify(
        self, exc: http_errors.HTTPError, recipients: Sequence[BatchRecipient]
    ) -> TransportError:
        status = int(getattr(exc, "status_code", 0) or 0)
        headers = dict(getattr(exc, "headers", None) or {})
        detail = _error_messages(getattr(exc, "body", b""))
        text = "; ".join(m for m, _ in detail) or _short_body(getattr(exc, "body", b""))
        if status in (401, 403):
            return TransportError(
                f"SendGrid refused the API key ({status}): {text or 'unauthorized'}; "
                "check SENDGRID_API_KEY and its mail.send permission",
                retryable=False,
                fatal=True,
                status=status,
            )
        if status == 429:
            wait = provider_wait_seconds(headers, time.time())
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
                splittable=len(recipients) > 1,
                status=status,
            )
        if status == 400:
            return _bad_request(detail, text, recipients)
        return TransportError(
            f"SendGrid answered {status}: {text or 'no detail'}",
            retryable=False,
            fatal=True,
            status=status,
        )

    def close(self) -> None:
        """Nothing to release: the client opens one connection per request."""


def _bad_request(
    detail: list[tuple[str, str | None]], text: str, recipients: Sequence[BatchRecipient]
) -> TransportError:
    """A 400: refused recipients when SendGrid names them, a split when it does not."""
    rejected: dict[int, str] = {}
    message_level: list[str] = []
    for message, field in detail:
        match = _PERSONALIZATION_FIELD.match(field or "")
        if match and int(match.group(1)) < len(recipients):
            sid = recipients[int(match.group(1))].recipient.subscriber_id
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


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except AttributeError:
        value = None
    return str(value) if value else None
