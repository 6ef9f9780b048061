"""What a send reports: where the edition stands after a run, and what a dry run would do."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from digest.store.ledger import DeliveryCounts

if TYPE_CHECKING:
    from digest.send.transports.base import TransportError


@dataclass(frozen=True, slots=True)
class SendReport:
    """Where an edition's send stands after this run, and what this run did."""

    recipients: int
    sent: int
    failed: int
    suppressed: int
    unknown: int
    pending: int
    held: int
    seconds: float
    rate: float  # recipients accepted per second during this run
    edition_id: int | None = None
    edition_status: str = ""
    in_flight: int = 0
    sent_now: int = 0  # accepted by the provider during this run
    batches_now: int = 0
    next_due: datetime | None = None
    note: str | None = None
    channels: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> counts

    @classmethod
    def from_counts(
        cls, counts: DeliveryCounts, seconds: float, rate: float = 0.0, **run: Any
    ) -> SendReport:
        """The ledger's counts for the edition, with what this run adds (``run``)."""
        return cls(
            recipients=counts.recipients,
            sent=counts.sent,
            failed=counts.failed,
            suppressed=counts.suppressed,
            unknown=counts.unknown,
            pending=counts.pending,
            held=counts.held,
            in_flight=counts.in_flight,
            seconds=seconds,
            rate=rate,
            **run,
        )

    @property
    def complete(self) -> bool:
        """Everyone was either sent, suppressed or refused: nothing pending or unknown."""
        return self.pending == 0 and self.unknown == 0 and self.in_flight == 0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        out = asdict(self)
        out["next_due"] = self.next_due.isoformat() if self.next_due else None
        out["seconds"] = round(self.seconds, 3)
        out["rate"] = round(self.rate, 1)
        return out


@dataclass(frozen=True, slots=True)
class GroupCount:
    """Recipients of one variant locale and (for local-time delivery) one time zone."""

    locale: str
    timezone: str | None
    recipients: int


@dataclass(frozen=True, slots=True)
class DryRunReport:
    """What a send would do now; nothing was written to produce it."""

    segment: str
    edition_date: str
    edition_status: str  # the stored edition's state, or "none" (a draft built for the report)
    would_send: bool
    reason: str | None  # why nothing would be sent, when so
    recipients: int
    suppressed: int  # members of the segment who are not sent to (unsubscribed, bounced …)
    groups: tuple[GroupCount, ...]
    subjects: dict[str, str]  # locale -> subject
    articles: int
    transport: str
    ledger: dict[str, int] | None = None  # the ledger's counts when the send has begun

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        out = asdict(self)
        out["dry_run"] = True
        return out


@dataclass
class Tally:
    """What this run did in this process, shared by its sender threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    batches: int = 0
    fatal: TransportError | None = None
    error: BaseException | None = None
    # when the provider last took a request from this process (the run's start at first)
    last_accepted: float = field(default_factory=time.monotonic)

    def add(self, sent: int) -> None:
        """Count one settled batch and its accepted recipients."""
        with self.lock:
            self.sent += sent
            self.batches += 1
        if sent:
            self.last_accepted = time.monotonic()

    def fail(self, exc: BaseException) -> None:
        """Keep the first unexpected error of any thread (the send stops)."""
        with self.lock:
            if self.error is None:
                self.error = exc

    def stop_fatal(self, exc: TransportError) -> None:
        """Keep the first fatal transport error (the send stops at once)."""
        with self.lock:
            if self.fatal is None:
                self.fatal = exc
