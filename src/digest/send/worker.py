"""One sender thread's loop: throttle → claim → message → submit → deliver → record.

The throttle comes first: a batch is claimed only when its thread may send it, so a pause
or a cancel (the edition leaves ``sending``) takes effect within one batch per thread, and
a sender that dies holding a claimed, unsubmitted batch leaves it to go back to pending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from digest.send.attempts import BatchAttempts
from digest.send.ports import Claimed, Ledger, LedgerSession, Settlement
from digest.send.transports.base import OutgoingMessage, SendRow
from digest.store.ledger import ClaimedBatch

STOPPED_BY_STATE = "the edition is no longer sending (paused or cancelled)"


class Advance(Protocol):
    """A progress display (or a helper process's shared counter)."""

    def advance(self, n: int) -> None: ...


@dataclass
class SenderLoop:
    """What every sender thread of one process runs for one edition."""

    ledger: Ledger
    attempts: BatchAttempts
    clock: Callable[[], datetime]
    worker: str
    message_for: Callable[[ClaimedBatch], OutgoingMessage]
    manage_urls: Callable[[int, str], tuple[str, str]]
    segment: str
    batch_size: int
    progress: Advance | None = None

    def run(self) -> None:
        """Claim and send batches until none is due, the edition leaves sending, or a stop."""
        stop = self.attempts.stop
        try:
            with self.ledger.session() as session:
                while not stop.is_set() and self._turn(session):
                    pass
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.attempts.tally.fail(exc)
            stop.set()

    def _lease(self, now: datetime, extra: float = 0.0) -> datetime:
        return now + timedelta(seconds=self.attempts.transport.lease_seconds + extra)

    def _turn(self, session: LedgerSession) -> bool:
        """One batch; False when this thread is done."""
        attempts = self.attempts
        if not attempts.limiter.acquire(self.batch_size, attempts.stop):
            return False
        now = self.clock()
        horizon = now + attempts.transport.schedule_ahead
        claimed = session.claim(self.worker, now, self._lease(now), horizon)
        if claimed is None:
            attempts.limiter.refund(self.batch_size)
            return False
        batch = claimed.batch
        paid = min(self.batch_size, len(claimed.rows))
        attempts.limiter.refund(self.batch_size - paid)
        self._advance(claimed.dropped)
        if not claimed.rows:  # everyone in it is no longer eligible
            session.settle(batch, self.clock(), Settlement())
            attempts.tally.add(0)
            return True
        try:
            message = self.message_for(batch)
        except BaseException:
            session.release(batch, self.clock(), "the variant could not be rendered")
            raise
        if not session.submit(batch, self.worker, self.clock()):
            session.release(batch, self.clock(), STOPPED_BY_STATE)
            return False
        self._deliver(session, claimed, message, paid)
        return True

    def _deliver(
        self, session: LedgerSession, claimed: Claimed, message: OutgoingMessage, paid: int
    ) -> None:
        batch = claimed.batch
        now = self.clock()
        send_at = batch.not_before if batch.not_before and batch.not_before > now else None
        rows = self._rows(claimed, send_at)

        def renew(wait: float) -> None:
            at = self.clock()
            session.renew(batch, self.worker, self._lease(at, wait), at)

        key = f"{batch.edition_id}-{batch.seq}"
        result = self.attempts.deliver(batch.id, key, message, rows, renew, paid)
        session.settle(batch, self.clock(), result.settlement())
        self.attempts.tally.add(len(result.sent))
        self._advance(len(result.sent) + len(result.failed) + len(result.unknown))
        if result.pause:
            self.attempts.stop.wait(result.pause)
        if result.fatal is not None:
            self.attempts.tally.stop_fatal(result.fatal)
            self.attempts.stop.set()

    def _rows(self, claimed: Claimed, send_at: datetime | None) -> list[SendRow]:
        manage = self.manage_urls
        segment = self.segment
        # SendRow's generated __new__ is a Python function of its own; tuple.__new__ makes
        # the same named tuple without it (a tenth of the time spent claiming a batch)
        make = tuple.__new__
        return [
            make(
                SendRow,
                (
                    sid,
                    email,
                    name or "",
                    *manage(sid, segment),
                    send_at,
                    locale or "",
                    timezone or "",
                ),
            )
            for sid, email, name, locale, timezone, _eligible in claimed.rows
        ]

    def _advance(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.advance(n)
