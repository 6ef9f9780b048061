"""The SendGrid v3 mail/send request body for one batch: pure, no network.

One rendered variant is the content of the whole request; each recipient is one
personalization carrying substitutions for the personal placeholders (HTML-escaped for the
HTML tokens, raw for the text tokens) and their own List-Unsubscribe headers. Categories and
custom_args carry edition and batch ids only, never personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from digest.render import list_unsubscribe, substitutions
from digest.send.transport import BatchRecipient, OutgoingMessage

MAX_PERSONALIZATIONS = 1000
MAX_BODY_BYTES = 30 * 1024 * 1024  # SendGrid refuses requests of 30 MB or more
MAX_CATEGORIES = 10


class PayloadError(ValueError):
    """The batch cannot be expressed as one valid SendGrid request."""


def personalization(
    item: BatchRecipient,
    message: OutgoingMessage,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One recipient's envelope: address, substitutions, unsubscribe headers, send time."""
    values = item.values
    to: dict[str, str] = {"email": item.recipient.email}
    if item.recipient.name.strip():
        to["name"] = " ".join(item.recipient.name.split())
    headers = {
        "List-Unsubscribe": list_unsubscribe(values.unsubscribe_url, message.unsubscribe_mailto)
    }
    if values.unsubscribe_url.startswith("https://"):
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    entry: dict[str, Any] = {"to": [to], "headers": headers}
    subs = substitutions(message.rendered, values)
    if subs:
        entry["substitutions"] = subs
    if item.send_at is not None and (now is None or item.send_at > now):
        entry["send_at"] = int(item.send_at.timestamp())
    return entry


def mail_body(
    message: OutgoingMessage,
    recipients: Sequence[BatchRecipient],
    *,
    sandbox_mode: bool = False,
    ip_pool: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The whole request body; PayloadError if the batch breaks SendGrid's documented limits."""
    if not recipients:
        raise PayloadError("a SendGrid request needs at least one recipient")
    if len(recipients) > MAX_PERSONALIZATIONS:
        raise PayloadError(
            f"{len(recipients)} recipients in one request; SendGrid takes at most "
            f"{MAX_PERSONALIZATIONS}"
        )
    seen: set[str] = set()
    for item in recipients:
        address = item.recipient.email.lower()
        if address in seen:
            raise PayloadError(f"address {item.recipient.email} appears twice in one request")
        seen.add(address)
    rendered = message.rendered
    sender: dict[str, str] = {"email": message.sender.from_email}
    if message.sender.from_name:
        sender["name"] = message.sender.from_name
    headers = {k: v for k, v in rendered.headers.items() if not _personal_header(k)}
    if message.list_id:
        headers["List-Id"] = message.list_id if "<" in message.list_id else f"<{message.list_id}>"
    body: dict[str, Any] = {
        "personalizations": [personalization(r, message, now=now) for r in recipients],
        "from": sender,
        "subject": rendered.subject,
        "content": [
            {"type": "text/plain", "value": rendered.text},
            {"type": "text/html", "value": rendered.html},
        ],
    }
    if message.sender.reply_to:
        body["reply_to"] = {"email": message.sender.reply_to}
    if headers:
        body["headers"] = headers
    if message.categories:
        body["categories"] = list(dict.fromkeys(message.categories))[:MAX_CATEGORIES]
    if message.custom_args:
        body["custom_args"] = {str(k): str(v) for k, v in message.custom_args.items()}
    if ip_pool:
        body["ip_pool_name"] = ip_pool
    if sandbox_mode:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return body


def _personal_header(name: str) -> bool:
    return name.lower() in ("list-unsubscribe", "list-unsubscribe-post", "to", "from", "subject")


def estimated_size(message: OutgoingMessage, recipients: Sequence[BatchRecipient]) -> int:
    """A generous upper bound of the serialised body's size in bytes, without serialising it."""
    rendered = message.rendered
    # escaping in JSON can at worst double ASCII and sextuple control characters; content
    # is mostly plain, so count it twice and each personal value three times.
    fixed = 2 * (len(rendered.html.encode()) + len(rendered.text.encode())) + 4096
    token_bytes = sum(len(t) for t in rendered.html_tokens.values()) + sum(
        len(t) for t in rendered.text_tokens.values()
    )
    per_recipient = 0
    for item in recipients:
        v = item.values
        personal = len(v.name.encode()) + len(v.email) + len(v.unsubscribe_url) * 2
        personal += len(v.preferences_url)
        per_recipient += 3 * (2 * personal) + token_bytes + 400
    return fixed + per_recipient
