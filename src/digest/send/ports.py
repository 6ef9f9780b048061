"""What the sender needs from the ledger: the protocol the sender declares, the store implements.

``digest.store.ledger.session.SqlLedger`` implements it on SQLAlchemy (SQLite and
PostgreSQL). The sender never sees a connection or a table: it claims a batch, reads its
recipients, marks it submitting, and settles it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from digest.store.ledger import ClaimedBatch, DeliveryCounts

# one recipient as read for sending: (subscriber id, email, name, locale, timezone, eligible);
# the last field is always true in a Claimed batch (kept to spare a copy of each row)
RecipientRow = tuple[int, str, str | None, str | None, str | None, bool]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed batch with its recipients still to send (those no longer eligible dropped)."""

    batch: ClaimedBatch
    rows: Sequence[RecipientRow]
    dropped: int  # recipients recorded as suppressed at claim time


@dataclass(frozen=True, slots=True)
class Settlement:
    """What became of a batch this run: committed after the request."""

    sent: Sequence[int] = ()
    failed: Mapping[int, str] = field(default_factory=dict)
    unknown: Sequence[int] = ()
    unsent: int = 0  # recipients not tried (stopped, set aside): they stay pending
    provider_message_id: str | None = None
    error: str | None = None
    release_reason: str | None = None  # why the untried go back to pending
    # the provider's answers to this batch's requests: status code -> how many (metrics)
    answers: Mapping[str, int] = field(default_factory=dict)
    transport: str = ""


class LedgerSession(Protocol):
    """One sender thread's view of an edition's ledger (it keeps one connection)."""

    def claim(
        self, worker: str, now: datetime, lease_until: datetime, horizon: datetime
    ) -> Claimed | None:
        """Take the next due batch while the edition is sending; None when none is left."""
        ...

    def submit(self, batch: ClaimedBatch, worker: str, now: datetime) -> bool:
        """Mark it submitting (the request goes next); False if the edition left sending."""
        ...

    def settle(self, batch: ClaimedBatch, now: datetime, settlement: Settlement) -> None:
        """Commit what happened to each recipient of the batch."""
        ...

    def release(self, batch: ClaimedBatch, now: datetime, reason: str) -> None:
        """Give the batch back unsent (pending again)."""
        ...

    def renew(self, batch: ClaimedBatch, worker: str, lease_until: datetime, now: datetime) -> None:
        """Extend the lease before a retry or a wait."""
        ...


class Ledger(Protocol):
    """An edition's ledger as the sender uses it."""

    edition_id: int

    def session(self) -> AbstractContextManager[LedgerSession]:
        """A session for one sender thread."""
        ...

    def counts(self, now: datetime | None = None) -> DeliveryCounts:
        """Where every recipient stands."""
        ...

    def claimable_locales(self) -> list[str]:
        """The locales of the batches still to claim."""
        ...
