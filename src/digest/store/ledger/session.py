"""The ledger as the sender sees it (``digest.send.ports.Ledger``), on SQLAlchemy.

``SqlLedger`` is one edition's ledger; ``session()`` gives each sender thread a
``SqlLedgerSession`` holding one connection for the whole send (no pool checkout and
liveness ping per transaction) and the statements built once (``BatchStatements``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine

from digest.config import Segment
from digest.send.ports import Claimed, RecipientRow, Settlement
from digest.store.ledger.claims import (
    BatchStatements,
    claimable_locales,
    release_batch,
    renew_batch_lease,
    reopen_unknown_deliveries,
)
from digest.store.ledger.counts import delivery_counts
from digest.store.ledger.outcomes import mark_deliveries_suppressed, record_batch_outcome
from digest.store.ledger.values import (
    CLAIMABLE,
    CLAIMABLE_RETRY_UNKNOWN,
    ClaimedBatch,
    DeliveryCounts,
)
from digest.store.monitoring import record_provider_answers

INELIGIBLE = (
    "no longer eligible at send time (unsubscribed, bounced, complained, suppressed or paused)"
)


class SqlLedgerSession:
    """One thread's connection to the ledger; each call is its own committed transaction."""

    def __init__(
        self, conn: Connection, statements: BatchStatements, edition_id: int, retry_unknown: bool
    ) -> None:
        self._conn = conn
        self._statements = statements
        self._edition_id = edition_id
        self._retry_unknown = retry_unknown

    def claim(
        self, worker: str, now: datetime, lease_until: datetime, horizon: datetime
    ) -> Claimed | None:
        """Take the next due batch, record who is no longer eligible, commit ``claimed``."""
        with self._conn.begin():
            batch = self._statements.claim(self._conn, worker, now, lease_until, horizon=horizon)
            if batch is None:
                return None
            if self._retry_unknown:
                reopen_unknown_deliveries(self._conn, batch, now)
            found = self._statements.rows(self._conn, batch.seq, now)
            gone = [r[0] for r in found if r[1] is None]
            dropped = [r[0] for r in found if r[1] is not None and not r[5]]
            if dropped:
                mark_deliveries_suppressed(self._conn, self._edition_id, dropped, INELIGIBLE, now)
            if gone:
                mark_deliveries_suppressed(
                    self._conn, self._edition_id, gone, "subscriber deleted before sending", now
                )
        rows: list[RecipientRow] = [r for r in found if r[1] is not None and r[5]]  # type: ignore[misc]
        return Claimed(batch=batch, rows=rows, dropped=len(dropped) + len(gone))

    def submit(self, batch: ClaimedBatch, worker: str, now: datetime) -> bool:
        """Commit ``submitting`` right before the request; False if the edition left sending."""
        with self._conn.begin():
            return self._statements.submit(self._conn, batch, worker, now)

    def settle(self, batch: ClaimedBatch, now: datetime, settlement: Settlement) -> None:
        """Commit the batch's outcome (or give it back when nobody in it was tried)."""
        s = settlement
        with self._conn.begin():
            if s.answers:
                record_provider_answers(
                    self._conn, self._edition_id, s.transport or "unknown", s.answers, now
                )
            if s.unsent and not (s.sent or s.failed or s.unknown):
                release_batch(self._conn, batch, now, s.release_reason or "the send was stopped")
                return
            record_batch_outcome(
                self._conn,
                batch,
                now,
                sent=s.sent,
                failed=s.failed,
                unknown=s.unknown,
                provider_message_id=s.provider_message_id,
                error=s.error or s.release_reason,
                reopen=bool(s.unsent),
                sent_is_rest=not (s.unsent or s.unknown),
            )

    def release(self, batch: ClaimedBatch, now: datetime, reason: str) -> None:
        """Give the batch back unsent."""
        with self._conn.begin():
            release_batch(self._conn, batch, now, reason)

    def renew(self, batch: ClaimedBatch, worker: str, lease_until: datetime, now: datetime) -> None:
        """Extend this sender's lease on the batch."""
        with self._conn.begin():
            renew_batch_lease(self._conn, batch.id, worker, lease_until, now)


class SqlLedger:
    """One edition's ledger on a SQLAlchemy engine."""

    def __init__(
        self, engine: Engine, segment: Segment, edition_id: int, *, retry_unknown: bool = False
    ) -> None:
        self._engine = engine
        self._segment = segment
        self.edition_id = edition_id
        self._retry_unknown = retry_unknown
        self._statuses = CLAIMABLE_RETRY_UNKNOWN if retry_unknown else CLAIMABLE

    @contextmanager
    def session(self) -> Iterator[SqlLedgerSession]:
        """A session for one sender thread, on a connection of its own."""
        with self._engine.connect() as conn:
            statements = BatchStatements(conn, self._segment, self.edition_id, self._statuses)
            yield SqlLedgerSession(conn, statements, self.edition_id, self._retry_unknown)

    def counts(self, now: datetime | None = None) -> DeliveryCounts:
        """Where every recipient stands (``now`` tells live leases from stopped senders)."""
        from digest.send.workers import is_dead_worker

        with self._engine.connect() as conn:
            return delivery_counts(conn, self.edition_id, now=now, is_dead=is_dead_worker)

    def claimable_locales(self) -> list[str]:
        """The variant locales of the batches still to claim."""
        with self._engine.connect() as conn:
            return claimable_locales(conn, self.edition_id, self._statuses)
