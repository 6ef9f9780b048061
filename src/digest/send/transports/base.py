"""The small interface the dispatcher needs from a transport, and the error it understands.

The consumer owns the interface: SendGrid, SMTP and the outbox implement ``Transport``;
vendor errors become ``TransportError`` with ``retryable`` and a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from digest.models import PersonalValues, Recipient, RenderedEmail
from digest.send.backoff import Backoff


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the message is from (publication settings)."""

    from_email: str
    from_name: str
    reply_to: str | None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What one batch sends: one rendered variant plus non-personal tracking data."""

    rendered: RenderedEmail
    sender: Sender
    categories: tuple[str, ...] = ()  # edition/segment labels, never personal data
    custom_args: Mapping[str, str] = field(default_factory=dict)  # edition_id, batch_id
    list_id: str | None = None  # List-Id header value, e.g. "SKN Markets <markets-en.skn.example>"
    unsubscribe_mailto: str | None = None  # mailto address offered in List-Unsubscribe
    # left part of each Message-ID, the subscriber id is appended: "digest.<segment>.<date>.
    # <installation>" is unique across databases and the same for every retry of a recipient
    message_id_prefix: str | None = None

    def message_id_unique(self, batch_key: str, subscriber_id: int) -> str:
        """The unique (left) part of a recipient's Message-ID."""
        if self.message_id_prefix:
            return f"{self.message_id_prefix}.{subscriber_id}"
        return f"{batch_key}-{subscriber_id}"


@dataclass(frozen=True, slots=True)
class BatchRecipient:
    """One recipient in a batch with their personal values and optional delivery time."""

    recipient: Recipient
    values: PersonalValues
    send_at: datetime | None = None


class SendRow(NamedTuple):
    """One recipient as the dispatcher hands it over: plain values, cheap to make a million of.

    ``send_at`` is set only when the batch is scheduled for later (local-time delivery).
    """

    subscriber_id: int
    email: str
    name: str
    unsubscribe_url: str
    preferences_url: str
    send_at: datetime | None
    locale: str
    timezone: str

    def as_batch_recipient(self) -> BatchRecipient:
        """The same recipient as the transports' general form."""
        return BatchRecipient(
            recipient=Recipient(
                self.subscriber_id, self.email, self.name, self.locale, self.timezone
            ),
            values=PersonalValues(
                name=self.name,
                email=self.email,
                unsubscribe_url=self.unsubscribe_url,
                preferences_url=self.preferences_url,
            ),
            send_at=self.send_at,
        )

    @classmethod
    def of(cls, item: BatchRecipient) -> SendRow:
        """A general BatchRecipient as a row."""
        r, v = item.recipient, item.values
        return cls(
            r.subscriber_id,
            r.email,
            r.name,
            v.unsubscribe_url,
            v.preferences_url,
            item.send_at,
            r.locale,
            r.timezone,
        )


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What the provider said: accepted ids (and message id), and per-recipient failures.

    ``unknown`` holds recipients whose request went out but whose answer never came back:
    they may or may not have been delivered, so they are never re-sent blindly.
    """

    accepted: tuple[int, ...]  # subscriber ids
    failed: Mapping[int, str] = field(default_factory=dict)  # subscriber id -> reason
    provider_message_id: str | None = None
    unknown: tuple[int, ...] = ()


class TransportError(Exception):
    """A provider or connection failure, classified for the dispatcher.

    ``rejected`` names recipients the provider refused (subscriber id -> reason) when it
    said which ones; ``splittable`` asks the dispatcher to split the batch to find them.
    ``partial`` carries what was settled before the failure (SMTP sends one by one);
    recipients named in neither ``partial`` nor ``rejected`` were not sent.
    ``outage`` marks the fatal error the dispatcher makes of a retryable one that outlasted
    every retry: the provider is unavailable, nothing is refused, the send resumes later.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        fatal: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        outcome_unknown: bool = False,
        rejected: Mapping[int, str] | None = None,
        splittable: bool = False,
        partial: BatchOutcome | None = None,
        outage: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable  # worth trying the same batch again
        self.fatal = fatal  # stop the whole send (bad credentials, forbidden)
        self.retry_after = retry_after  # seconds the provider asked us to wait
        self.status = status  # HTTP or SMTP status, when there is one
        self.outcome_unknown = outcome_unknown  # the request may have been delivered
        self.rejected = dict(rejected or {})
        self.splittable = splittable
        self.partial = partial
        self.outage = outage  # fatal only because the provider stayed unavailable


class Transport(Protocol):
    """Sends one batch of recipients; raises TransportError on failure."""

    name: str
    endpoint: str  # where it sends, for messages: "SendGrid at https://…", "the SMTP server …"
    max_batch_size: int
    max_retries: int  # bounded retries of one batch on retryable errors
    backoff: Backoff  # jittered exponential backoff between those retries
    lease_seconds: float  # longest one attempt can take (request timeout and margin)
    schedule_ahead: timedelta  # how far ahead the provider accepts a scheduled send_at

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome: ...

    def close(self) -> None: ...


class SettlingTransport(Transport, Protocol):
    """A transport that can tell, after a crash, who in an interrupted batch was delivered.

    ``settle(batch_key, subscriber_ids)`` returns the ids proven delivered; the rest were
    not, and go out again with the next run (the outbox: a file on disk is the proof). A
    transport without it leaves an interrupted batch's recipients ``unknown``.
    """

    def settle(self, batch_key: str, subscriber_ids: Sequence[int]) -> set[int]: ...


class RowTransport(Transport, Protocol):
    """A transport that also takes rows directly (no per-recipient objects on the hot path)."""

    def send_rows(
        self, message: OutgoingMessage, rows: Sequence[SendRow], batch_key: str
    ) -> BatchOutcome: ...


def deliver_rows(
    transport: Transport, message: OutgoingMessage, rows: Sequence[SendRow], batch_key: str
) -> BatchOutcome:
    """Hand rows to the transport: directly when it takes rows, else as BatchRecipients."""
    send_rows = getattr(transport, "send_rows", None)
    if send_rows is not None:
        return send_rows(message, rows, batch_key)  # type: ignore[no-any-return]
    return transport.send_batch(message, [r.as_batch_recipient() for r in rows], batch_key)
