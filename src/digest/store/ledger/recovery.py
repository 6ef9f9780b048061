"""Recovery: batches whose sender stopped (killed, crashed, lease run out) are settled.

A batch still ``claimed`` was never handed to the transport: it goes back to ``pending``
and its recipients are sent by the next run. A batch left ``submitting`` may have reached
the provider: when the transport can tell who was delivered (the outbox's files are the
proof), those are recorded as sent and the rest go back to ``pending``; otherwise its
pending recipients become ``unknown`` and are re-sent only when ops ask
(``--retry-unknown``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from digest.store.ledger.outcomes import set_delivery_status
from digest.store.ledger.values import OWNED, BatchState, DeliveryState
from digest.store.schema import DeliveryRow, SendBatchRow

# (batch key "edition-seq", pending subscriber ids) -> the ids the transport proves delivered,
# or None when it cannot tell
Settle = Callable[[str, Sequence[int]], Collection[int] | None]


def recover_abandoned_batches(
    conn: Connection,
    edition_id: int,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
    settle: Settle | None = None,
) -> int:
    """Settle every batch whose sender stopped; returns how many.

    A sender stopped when its lease ran out, or when ``is_dead(claimed_by)`` says so.
    """
    stale = abandoned_batches(conn, edition_id, now, is_dead)
    for r in stale:
        if r.status == BatchState.CLAIMED:
            _back_to_pending(conn, r, now, f"sender {r.claimed_by} stopped before submitting")
        else:
            _settle_submitted(conn, edition_id, r, now, settle)
    return len(stale)


def abandoned_batches(
    conn: Connection,
    edition_id: int,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
) -> list[Any]:
    """The edition's batches still owned by a sender that stopped (read only)."""
    rows = conn.execute(
        select(
            SendBatchRow.id,
            SendBatchRow.seq,
            SendBatchRow.status,
            SendBatchRow.claimed_by,
            SendBatchRow.lease_expires_at,
        ).where(SendBatchRow.edition_id == edition_id, SendBatchRow.status.in_(OWNED))
    ).all()
    return [
        r
        for r in rows
        if r.lease_expires_at is None
        or r.lease_expires_at <= now
        or (is_dead is not None and r.claimed_by and is_dead(r.claimed_by))
    ]


def _back_to_pending(conn: Connection, row: Any, now: datetime, reason: str) -> None:
    conn.execute(
        update(SendBatchRow)
        .where(SendBatchRow.id == row.id, SendBatchRow.status == row.status)
        .values(
            status=BatchState.PENDING.value,
            claimed_by=None,
            lease_expires_at=None,
            error=reason,
            updated_at=now,
        )
    )


def _settle_submitted(
    conn: Connection, edition_id: int, row: Any, now: datetime, settle: Settle | None
) -> None:
    pending = list(
        conn.execute(
            select(DeliveryRow.subscriber_id).where(
                DeliveryRow.edition_id == edition_id,
                DeliveryRow.batch_seq == row.seq,
                DeliveryRow.status == DeliveryState.PENDING.value,
            )
        ).scalars()
    )
    proven = settle(f"{edition_id}-{row.seq}", pending) if settle is not None else None
    if proven is not None:
        set_delivery_status(conn, edition_id, proven, DeliveryState.SENT, now)
        reason = (
            f"sender {row.claimed_by} stopped while submitting; {len(proven)} delivered "
            "(proven by the transport), the rest go out with the next run"
        )
        _back_to_pending(conn, row, now, reason)
        return
    reason = f"worker {row.claimed_by} stopped while the batch was being submitted"
    conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == edition_id,
            DeliveryRow.batch_seq == row.seq,
            DeliveryRow.status == DeliveryState.PENDING.value,
        )
        .values(status=DeliveryState.UNKNOWN.value, error=reason, updated_at=now)
    )
    conn.execute(
        update(SendBatchRow)
        .where(SendBatchRow.id == row.id, SendBatchRow.status == BatchState.SUBMITTING.value)
        .values(
            status=BatchState.UNKNOWN.value, error=reason, lease_expires_at=None, updated_at=now
        )
    )
