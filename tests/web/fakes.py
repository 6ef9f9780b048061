"""A recording transport for the web tests: the real Transport interface, kept in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from digest.send.transports.base import (
    BatchOutcome,
    BatchRecipient,
    OutgoingMessage,
    TransportError,
)


@dataclass
class SentMail:
    """One recipient's copy as handed to the transport."""

    message: OutgoingMessage
    recipient: BatchRecipient
    batch_key: str

    @property
    def to(self) -> str:
        return self.recipient.recipient.email

    @property
    def html(self) -> str:
        return self.message.rendered.html

    @property
    def text(self) -> str:
        return self.message.rendered.text

    @property
    def subject(self) -> str:
        return self.message.rendered.subject


@dataclass
class RecordingTransport:
    """Accepts every batch and remembers it; ``fail_with`` makes the next sends fail."""

    name: str = "recording"
    max_batch_size: int = 1000
    max_retries: int = 0
    lease_seconds: float = 30.0
    schedule_ahead: timedelta = timedelta(0)
    sent: list[SentMail] = field(default_factory=list)
    fail_with: TransportError | None = None
    closed: bool = False

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome:
        if self.fail_with is not None:
            raise self.fail_with
        for r in recipients:
            self.sent.append(SentMail(message, r, batch_key))
        return BatchOutcome(accepted=tuple(r.recipient.subscriber_id for r in recipients))

    def close(self) -> None:
        self.closed = True

    def to(self, email: str) -> list[SentMail]:
        return [m for m in self.sent if m.to == email]
