"""The small interface the dispatcher needs from a transport, and the error it understands.

The consumer owns the interface: SendGrid, SMTP and the outbox implement ``Transport``;
vendor errors become ``TransportError`` with ``retryable`` and a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

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


@dataclass(frozen=True, slots=True)
class BatchRecipient:
    """One recipient in a batch with their personal values and optional delivery time."""

    recipient: Recipient
    values: PersonalValues
    send_at: datetime | None = None


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


class Transport(Protocol):
    """Sends one batch of recipients; raises TransportError on failure."""

    name: str
    max_batch_size: int
    max_retries: int  # bounded retries of one batch on retryable errors
    backoff: Backoff  # jittered exponential backoff between those retries
    lease_seconds: float  # longest one attempt can take (request timeout and margin)
    schedule_ahead: timedelta  # how far ahead the provider accepts a scheduled send_at

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome: ...

    def close(self) -> None: ...
