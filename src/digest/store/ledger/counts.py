"""Counts: where every recipient of an edition stands — the one place that reads the ledger so.

A delivery still ``pending`` in an ``accepted`` batch was sent (the batch row records the
whole batch); in an ``unknown`` batch it is unknown; in a batch a sender owns it is in
flight while the sender's lease runs, and otherwise never tried (``claimed``: pending) or
of unknown fate (``submitting``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from digest.store.ledger.plan import is_planned
from digest.store.ledger.values import OPEN, BatchState, DeliveryCounts
from digest.store.schema import DeliveryRow, SendBatchRow


def open_batch_count(conn: Connection, edition_id: int) -> int:
    """How many batches are still pending, claimed or submitting (the edition is not done)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(SendBatchRow)
            .where(
                SendBatchRow.edition_id == edition_id,
                SendBatchRow.status.in_(OPEN),
            )
        ).scalar_one()
    )


def next_due_time(conn: Connection, edition_id: int) -> datetime | None:
    """When the earliest held batch of the edition becomes due (None if nothing is held)."""
    return conn.execute(
        select(func.min(SendBatchRow.not_before)).where(
            SendBatchRow.edition_id == edition_id, SendBatchRow.status == "pending"
        )
    ).scalar_one_or_none()


def delivery_counts(
    conn: Connection,
    edition_id: int,
    *,
    now: datetime | None = None,
    is_dead: Callable[[str], bool] | None = None,
) -> DeliveryCounts:
    """Count the edition's recipients by outcome.

    Pending recipients of a ``claimed`` or ``submitting`` batch are ``in_flight`` while its
    worker holds a live lease at ``now``; without ``now``, or once the lease ran out or
    ``is_dead`` says the worker is gone, they count as ``pending`` (claimed: never tried) or
    ``unknown`` (submitting). Pending recipients of an ``accepted`` batch
    were sent, of an ``unknown`` batch are unknown. Pending recipients of a batch whose
    ``not_before`` is after ``now`` are also counted as ``held``.
    """
    batches = {
        r.seq: r
        for r in conn.execute(
            select(
                SendBatchRow.seq,
                SendBatchRow.status,
                SendBatchRow.claimed_by,
                SendBatchRow.lease_expires_at,
                SendBatchRow.not_before,
            ).where(SendBatchRow.edition_id == edition_id)
        )
    }
    totals = {"sent": 0, "failed": 0, "suppressed": 0, "unknown": 0, "pending": 0}
    held = in_flight = 0
    rows = conn.execute(
        select(DeliveryRow.batch_seq, DeliveryRow.status, func.count())
        .where(DeliveryRow.edition_id == edition_id)
        .group_by(DeliveryRow.batch_seq, DeliveryRow.status)
    ).all()
    for seq, status, n in rows:
        bucket, is_held = bucket_of(status, batches.get(seq), now, is_dead)
        if bucket == "in_flight":
            in_flight += int(n)
        else:
            totals[bucket] += int(n)
        held += int(n) if is_held else 0
    planned = is_planned(conn, edition_id)
    return DeliveryCounts(
        recipients=sum(totals.values()) + in_flight,
        held=held,
        in_flight=in_flight,
        batches=len(batches),
        planned=planned,
        **totals,
    )


_OWNED = (BatchState.CLAIMED, BatchState.SUBMITTING)
_SETTLED = ("sent", "failed", "suppressed", "unknown", "pending")


@dataclass(frozen=True, slots=True)
class BatchView:
    """The parts of a batch row that say where its pending deliveries count."""

    status: str
    claimed_by: str | None
    lease_expires_at: datetime | None
    not_before: datetime | None


def bucket_of(
    status: str, batch: Any, now: datetime | None, is_dead: Callable[[str], bool] | None
) -> tuple[str, bool]:
    """Where deliveries of ``status`` in ``batch`` count, and whether they are held."""
    if status != "pending" or batch is None:
        return (status if status in _SETTLED else "unknown"), False
    if batch.status in _OWNED:
        if _live(batch, now, is_dead):
            return "in_flight", False
        return ("pending" if batch.status == BatchState.CLAIMED else "unknown"), False
    if batch.status == BatchState.UNKNOWN:
        return "unknown", False
    if batch.status == BatchState.ACCEPTED:
        return "sent", False  # the accepted batch records them as sent
    held = now is not None and batch.not_before is not None and batch.not_before > now
    return "pending", held


def _live(batch: Any, now: datetime | None, is_dead: Callable[[str], bool] | None) -> bool:
    """True while the batch's sender holds a lease that has not run out and is not dead."""
    return (
        now is not None
        and batch.lease_expires_at is not None
        and batch.lease_expires_at > now
        and not (is_dead is not None and batch.claimed_by and is_dead(batch.claimed_by))
    )
