"""SendGrid Event Webhook: verify the ECDSA signature, then apply each event exactly once.

SendGrid signs ``timestamp + body`` with its P-256 key and sends the signature and the
timestamp in two headers; we check both against the public key from the environment
(``SENDGRID_WEBHOOK_PUBLIC_KEY``, base64 DER) and refuse posts outside the replay window.
Applying is idempotent: each ``sg_event_id`` is stored once in ``provider_events``.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from sqlalchemy import Connection

from digest.store.subscriptions import (
    add_suppression,
    bump_edition_counter,
    record_provider_event,
    set_subscriber_status_by_email,
    subscriber_id_for_email,
    unsubscribe_subscriber,
)
from digest.web.errors import WebhookRejected, WebSetupError

if TYPE_CHECKING:
    from digest.app import App

log = logging.getLogger(__name__)

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP
REPLAY_WINDOW_SECONDS = 600
PROVIDER = "sendgrid"

# event -> (suppression reason, subscriber status)
SUPPRESSING_EVENTS = {
    "bounce": ("bounce", "bounced"),
    "dropped": ("dropped", "bounced"),
    "spamreport": ("spamreport", "complained"),
    "unsubscribe": ("unsubscribe", "unsubscribed"),
    "group_unsubscribe": ("unsubscribe", "unsubscribed"),
}
COUNTED_EVENTS = ("processed", "delivered", "open", "click", "bounce")


class SendGridSignatureVerifier:
    """Checks SendGrid's signature headers against one public key, with a replay window."""

    def __init__(self, public_key_b64_der: str, window_seconds: int = REPLAY_WINDOW_SECONDS):
        self._helper = EventWebhook()
        try:
            key = self._helper.convert_public_key_to_ecdsa(public_key_b64_der.strip())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise WebSetupError(
                "SENDGRID_WEBHOOK_PUBLIC_KEY is not a base64 DER public key as SendGrid "
                f"shows it: {exc}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise WebSetupError("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve key")
        self._key = key
        self._window = window_seconds

    def verify(
        self, body: bytes, signature: str | None, timestamp: str | None, now: datetime
    ) -> None:
        """Return if the post is genuine and fresh; WebhookRejected (401/403) otherwise."""
        if not signature or not timestamp:
            raise WebhookRejected("the post is not signed (signature headers missing)", 401)
        try:
            sent_at = int(timestamp.strip())
        except ValueError:
            raise WebhookRejected("the signature timestamp is not a number", 403) from None
        if abs(now.timestamp() - sent_at) > self._window:
            raise WebhookRejected(
                f"the signature timestamp is outside the {self._window}s replay window", 403
            )
        try:
            payload = body.decode("utf-8")
            genuine = self._helper.verify_signature(
                payload, signature.strip(), timestamp.strip(), self._key
            )
        except (UnicodeDecodeError, binascii.Error, ValueError):
            genuine = False
        if not genuine:
            raise WebhookRejected("the signature does not match the payload", 403)


@dataclass(frozen=True, slots=True)
class EventSummary:
    """What one webhook post did."""

    received: int
    applied: int
    duplicates: int
    ignored: int


def parse_events(body: bytes) -> list[Any]:
    """The JSON array of events in a webhook body; WebhookRejected (400) if it is not one."""
    try:
        events = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON", 400) from None
    if not isinstance(events, list):
        raise WebhookRejected("the body is not a JSON array of events", 400)
    return events


def _event_id(event: dict[str, Any]) -> str:
    given = event.get("sg_event_id")
    if isinstance(given, str) and given.strip():
        return given.strip()
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _edition_id(event: dict[str, Any]) -> int | None:
    raw = event.get("edition_id")
    if raw is None and isinstance(event.get("custom_args"), dict):
        raw = event["custom_args"].get("edition_id")
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _occurred_at(event: dict[str, Any]) -> datetime | None:
    raw = event.get("timestamp")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(raw), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _email(event: dict[str, Any]) -> str | None:
    raw = event.get("email")
    if not isinstance(raw, str) or "@" not in raw:
        return None
    return raw.strip().lower()[:320]


def apply_event(conn: Connection, event: dict[str, Any], now: datetime) -> str:
    """Apply one event inside the caller's transaction: applied, duplicate or ignored."""
    kind = event.get("event")
    if not isinstance(kind, str) or not kind:
        return "ignored"
    email = _email(event)
    edition_id = _edition_id(event)
    fresh = record_provider_event(
        conn,
        provider=PROVIDER,
        event_id=_event_id(event),
        event=kind,
        email=email,
        edition_id=edition_id,
        occurred_at=_occurred_at(event),
        received_at=now,
        payload=event,
    )
    if not fresh:
        return "duplicate"
    if kind in SUPPRESSING_EVENTS and email is not None:
        reason, status = SUPPRESSING_EVENTS[kind]
        detail = (
            " ".join(str(event[k]) for k in ("type", "status", "reason") if event.get(k))[:1000]
            or None
        )
        if reason == "unsubscribe":
            sub_id = subscriber_id_for_email(conn, email)
            if sub_id is not None:
                unsubscribe_subscriber(conn, sub_id, None, PROVIDER, now)
            add_suppression(conn, email, reason, PROVIDER, now, detail)
        else:
            add_suppression(conn, email, reason, PROVIDER, now, detail)
            set_subscriber_status_by_email(conn, email, status, now)
    if kind in COUNTED_EVENTS and edition_id is not None:
        bump_edition_counter(conn, edition_id, kind)
    return "applied"


def apply_events(app: App, events: Sequence[Any]) -> EventSummary:
    """Apply a verified post's events in one transaction (all or nothing, then SendGrid retries)."""
    now = app.clock()
    counts = {"applied": 0, "duplicate": 0, "ignored": 0}
    with app.engine.begin() as conn:
        for event in events:
            if not isinstance(event, dict):
                counts["ignored"] += 1
                continue
            counts[apply_event(conn, event, now)] += 1
    if counts["ignored"]:
        log.warning("sendgrid webhook: %d malformed event(s) ignored", counts["ignored"])
    return EventSummary(
        received=len(events),
        applied=counts["applied"],
        duplicates=counts["duplicate"],
        ignored=counts["ignored"],
    )
