"""The SendGrid v3 mail/send request body for one batch: pure, no network.

One rendered variant is the content of the whole request; each recipient is one
personalization carrying substitutions for the personal placeholders (HTML-escaped for the
HTML tokens, raw for the text tokens) and their own List-Unsubscribe headers. Categories and
custom_args carry edition and batch ids only, never personal data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from html import escape as _escape
from json.encoder import encode_basestring_ascii as _q  # the C string encoder json.dumps uses
from typing import Any

from digest.models import PersonalValues, RenderedEmail
from digest.render import substitutions
from digest.send.headers import ONE_CLICK, list_id_value, list_unsubscribe, unsubscribe_headers
from digest.send.transports.base import BatchRecipient, OutgoingMessage

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
    headers = unsubscribe_headers(values.unsubscribe_url, message.unsubscribe_mailto)
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
    body: dict[str, Any] = {
        "personalizations": [personalization(r, message, now=now) for r in recipients],
        **_message_fields(message, sandbox_mode=sandbox_mode, ip_pool=ip_pool),
    }
    return body


def _message_fields(
    message: OutgoingMessage, *, sandbox_mode: bool, ip_pool: str | None
) -> dict[str, Any]:
    """Everything in the body except the personalizations: the same for a whole batch."""
    rendered = message.rendered
    sender: dict[str, str] = {"email": message.sender.from_email}
    if message.sender.from_name:
        sender["name"] = message.sender.from_name
    headers = {k: v for k, v in rendered.headers.items() if not _personal_header(k)}
    if message.list_id:
        headers["List-Id"] = list_id_value(message.list_id)
    body: dict[str, Any] = {
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


class BodyEncoder:
    """Serialises request bodies fast: per variant work once, each recipient by formatting.

    ``encode`` gives the same JSON document as ``json.dumps(mail_body(...))`` (the readable
    reference form, which the tests compare it with) at a few microseconds per recipient:
    each personalization is assembled from pre-serialised pieces, with ``json`` escaping
    only the recipient's own strings.
    """

    def __init__(self, rendered: RenderedEmail, unsubscribe_mailto: str | None) -> None:
        self._mailto = unsubscribe_mailto
        blank = substitutions(rendered, PersonalValues("", "", "", ""))
        # the greeting word used when a subscriber gave no name ("Hi there,")
        fallback = next((v for k, v in blank.items() if k == rendered.text_tokens.get("name")), "")
        self._fallback = fallback
        fields = [(token, name, True) for name, token in rendered.html_tokens.items()]
        fields += [(token, name, False) for name, token in rendered.text_tokens.items()]
        # which computed value fills each substitution: index into (html..., text...)
        order = ("name", "email", "unsubscribe_url", "preferences_url")
        self._slots = tuple(
            order.index(name) + (0 if is_html else 4) for _, name, is_html in fields
        )
        subs = ",".join(_q(token).replace("%", "%%") + ":%s" for token, _, _ in fields)
        self._template = (
            '{"to":[{"email":%s%s}],"headers":{"List-Unsubscribe":%s%s}'
            + (',"substitutions":{' + subs + "}" if fields else "")
            + "%s}"
        )

    def personalization(
        self,
        email: str,
        name: str,
        unsubscribe_url: str,
        preferences_url: str,
        send_at: int | None,
    ) -> str:
        """One recipient's personalization as a JSON object (text)."""
        clean = " ".join(name.split())
        shown = clean or self._fallback
        t_name = _q(shown)
        t_email = _q(email)
        t_unsub = _q(unsubscribe_url)
        t_pref = _q(preferences_url)
        # (html..., text...): a value with nothing to escape is the same in both
        values = (
            t_name if _html_plain(shown) else _q(_escape(shown, quote=True)),
            t_email if _html_plain(email) else _q(_escape(email, quote=True)),
            t_unsub if _html_plain(unsubscribe_url) else _q(_escape(unsubscribe_url, True)),
            t_pref if _html_plain(preferences_url) else _q(_escape(preferences_url, True)),
            t_name,
            t_email,
            t_unsub,
            t_pref,
        )
        return self._template % (
            t_email,
            ',"name":' + t_name if clean else "",
            _q(self._list_unsubscribe(unsubscribe_url)),
            _ONE_CLICK if unsubscribe_url.startswith("https://") else "",
            *[values[i] for i in self._slots],
            "" if send_at is None else f',"send_at":{int(send_at)}',
        )

    def _list_unsubscribe(self, unsubscribe_url: str) -> str:
        """The List-Unsubscribe value; the same text as ``headers.list_unsubscribe`` gives."""
        mailto = self._mailto
        if not mailto:
            return f"<{unsubscribe_url}>"
        # the common case without URL parsing: an absolute URL without query or fragment
        # whose last path segment (the token) has only characters quoting leaves alone
        scheme_end = unsubscribe_url.find("://")
        if (
            scheme_end > 0
            and unsubscribe_url.find("/", scheme_end + 3) != -1
            and "?" not in unsubscribe_url
            and "#" not in unsubscribe_url
        ):
            token = unsubscribe_url[unsubscribe_url.rfind("/") + 1 :]
            if _QUOTE_SAFE.fullmatch(token):
                return f"<{unsubscribe_url}>, <mailto:{mailto}?subject=unsubscribe%20{token}>"
        return list_unsubscribe(unsubscribe_url, mailto)


def _html_plain(value: str) -> bool:
    """True when HTML escaping (quotes too) would leave ``value`` unchanged."""
    return not ("&" in value or "<" in value or ">" in value or '"' in value or "'" in value)


_QUOTE_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")  # what urllib.parse.quote never escapes


_ONE_CLICK = f',"List-Unsubscribe-Post":"{ONE_CLICK}"'  # RFC 8058


def encode_body(
    message: OutgoingMessage,
    personalizations: Sequence[str],
    *,
    sandbox_mode: bool = False,
    ip_pool: str | None = None,
) -> bytes:
    """The request body from already serialised personalizations (``BodyEncoder``)."""
    if not personalizations:
        raise PayloadError("a SendGrid request needs at least one recipient")
    if len(personalizations) > MAX_PERSONALIZATIONS:
        raise PayloadError(
            f"{len(personalizations)} recipients in one request; SendGrid takes at most "
            f"{MAX_PERSONALIZATIONS}"
        )
    rest = json.dumps(_message_fields(message, sandbox_mode=sandbox_mode, ip_pool=ip_pool))
    return "".join(['{"personalizations":[', ",".join(personalizations), "],", rest[1:]]).encode(
        "ascii"
    )
