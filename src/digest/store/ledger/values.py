"""The ledger's states and the plain values its queries return."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class BatchState(StrEnum):
    """Where a batch stands.

    ``claimed``: a sender owns it and has not handed it to the transport yet (a sender that
    dies now leaves it to go back to ``pending``); ``submitting``: the request may be on its
    way (a sender that dies now leaves its recipients' fate unknown, unless the transport can
    tell: the outbox's files).
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    FAILED = "failed"
    UNKNOWN = "unknown"


class DeliveryState(StrEnum):
    """One recipient's outcome (a pending row in an accepted batch was sent)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    UNKNOWN = "unknown"


# Batch states a worker may claim: pending always, unknown only when ops retry on purpose.
CLAIMABLE = (BatchState.PENDING.value,)
CLAIMABLE_RETRY_UNKNOWN = (BatchState.PENDING.value, BatchState.UNKNOWN.value)
# batches a sender owns (its lease runs)
OWNED = (BatchState.CLAIMED.value, BatchState.SUBMITTING.value)
# batches still to be settled: the edition is not finished while any is left
OPEN = (BatchState.PENDING.value, *OWNED)


class LedgerError(Exception):
    """The ledger is not in the state the sender expects (a broken invariant)."""


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """Where every recipient of an edition stands.

    ``recipients`` = sent + failed + suppressed + unknown + in_flight + pending; ``held`` is
    the part of ``pending`` waiting for a later local delivery time.
    """

    recipients: int
    sent: int
    failed: int
    suppressed: int
    unknown: int
    pending: int
    held: int = 0
    in_flight: int = 0
    batches: int = 0
    planned: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (for JSON output)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PlanGroup:
    """Recipients sharing a variant locale (and a timezone when delivering at local time)."""

    locale: str
    timezone: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """A batch as planned: its sequence number, locale, timezone, size and earliest time."""

    seq: int
    locale: str
    timezone: str | None
    recipient_count: int
    not_before: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """A batch this worker now owns (status claimed, then submitting; lease running)."""

    id: int
    edition_id: int
    seq: int
    locale: str
    timezone: str | None
    not_before: datetime | None
    attempts: int
    recipient_count: int = 0
