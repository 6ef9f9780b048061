"""SendGrid's signed Event Webhook: the headers first, then the signature over the body.

SendGrid signs ``timestamp + body`` with its P-256 key and sends the signature and the
timestamp in two headers; we check both against the public key from the environment
(``SENDGRID_WEBHOOK_PUBLIC_KEY``, base64 DER). A post without them, or whose timestamp is
outside the replay window, is refused from its headers alone: its body is never read.
"""

from __future__ import annotations

import binascii
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader

from digest.web.errors import WebhookRejected, WebSetupError

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP
REPLAY_WINDOW_SECONDS = 600
MAX_SIGNATURE_CHARS = 512  # a DER P-256 signature is at most 72 bytes (96 in base64)


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

    def check_headers(self, signature: str | None, timestamp: str | None, now: datetime) -> None:
        """Refuse (401/403) a post that is unsigned or stale, before its body is read."""
        if not signature or not timestamp:
            raise WebhookRejected("the post is not signed (signature headers missing)", 401)
        if len(signature) > MAX_SIGNATURE_CHARS:
            raise WebhookRejected("the signature header is not a SendGrid signature", 403)
        try:
            sent_at = int(timestamp.strip())
        except ValueError:
            raise WebhookRejected("the signature timestamp is not a number", 403) from None
        if abs(now.timestamp() - sent_at) > self._window:
            raise WebhookRejected(
                f"the signature timestamp is outside the {self._window}s replay window", 403
            )

    def verify(
        self, body: bytes, signature: str | None, timestamp: str | None, now: datetime
    ) -> None:
        """Return if the post is genuine and fresh; WebhookRejected (401/403) otherwise."""
        self.check_headers(signature, timestamp, now)
        assert signature is not None and timestamp is not None  # checked just above
        try:
            payload = body.decode("utf-8")
            genuine = self._helper.verify_signature(
                payload, signature.strip(), timestamp.strip(), self._key
            )
        except (UnicodeDecodeError, binascii.Error, ValueError):
            genuine = False
        if not genuine:
            raise WebhookRejected("the signature does not match the payload", 403)
