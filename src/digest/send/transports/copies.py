"""One recipient's complete message, for the transports that hand over whole messages."""

from __future__ import annotations

from datetime import datetime

from digest.render import build_mime, make_message_id, personalise
from digest.send.transports.base import BatchRecipient, OutgoingMessage


def recipient_copy(
    message: OutgoingMessage, item: BatchRecipient, batch_key: str, date: datetime
) -> bytes:
    """The personalised MIME message for one recipient (RenderError if it cannot be built)."""
    domain = message.sender.from_email.rpartition("@")[2]
    personal = personalise(
        message.rendered,
        item.values,
        list_id=message.list_id or domain,
        unsubscribe_mailto=message.unsubscribe_mailto,
    )
    unique = message.message_id_unique(batch_key, item.recipient.subscriber_id)
    mime = build_mime(
        personal,
        sender=message.sender,
        to_email=item.recipient.email,
        to_name=item.recipient.name,
        message_id=make_message_id(domain, unique),
        date=date,
    )
    return mime.as_bytes()
