"""Build the MIME message one recipient receives: multipart/alternative, text first, UTF-8."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING

from digest.models import PersonalisedEmail
from digest.render.errors import RenderError

if TYPE_CHECKING:
    from digest.send.transports.base import Sender

# RFC 5322's hard limit: a long unbroken URL (List-Unsubscribe) must be folded at spaces
# or left whole, never turned into encoded-words that mail clients cannot parse.
_POLICY = policy.SMTP.clone(max_line_length=998)
_STRUCTURAL = {
    "from",
    "to",
    "subject",
    "message-id",
    "date",
    "reply-to",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def _address(name: str, email: str, what: str) -> Address:
    try:
        local, _, domain = email.strip().rpartition("@")
        if not local or not domain:
            raise ValueError("no @")
        return Address(display_name=" ".join(name.split()), username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise RenderError(f"{what} address {email!r} is not valid: {exc}") from None


def build_mime(
    email: PersonalisedEmail,
    *,
    sender: Sender,
    to_email: str,
    to_name: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """The complete message: headers, text/plain then text/html, both UTF-8."""
    if date.tzinfo is None:
        raise RenderError("the Date header needs an aware datetime")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _address(sender.from_name, sender.from_email, "sender")
    msg["To"] = _address(to_name, to_email, "recipient")
    if sender.reply_to:
        msg["Reply-To"] = _address("", sender.reply_to, "reply-to")
    msg["Subject"] = " ".join(email.subject.split())
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # after the body: set_content/add_alternative move every Content-* header (such as
    # Content-Language) into the first part, where clients do not look for it
    for key, value in email.headers.items():
        if key.lower() in _STRUCTURAL:
            continue
        msg[key] = value
    return msg
