"""Outcomes: what the provider said about a batch, committed after the request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from digest.store.ledger.values import ClaimedBatch
from digest.store.schema import DeliveryRow, SendBatchRow


def set_delivery_status(
    conn: Connection,
    edition_id: int,
    ids: Iterable[int],
    status: str,
    now: datetime,
    error: str | None = None,
) -> int:
    """Set the recipients' delivery status (and error); how many rows changed."""
    wanted = list(ids)
    if not wanted:
        return 0
    result = conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == edition_id,
            DeliveryRow.subscriber_id.in_(bindparam("ids", expanding=True)),
        )
        .values(status=status, error=error, updated_at=now),
        {"ids": wanted},
    )
    return int(result.rowcount)


def mark_deliveries_suppressed(
    conn: Connection, edition_id: int, ids: Iterable[int], reason: str, now: datetime
) -> int:
    """Record recipients skipped at send time (unsubscribed, bounced, complained, paused)."""
    return set_delivery_status(conn, edition_id, ids, "suppressed", now, reason)


def record_batch_outcome(
    conn: Connection,
    batch: ClaimedBatch,
    now: datetime,
    *,
    sent: Sequence[int],
    failed: Mapping[int, str],
    unknown: Sequence[int],
    provider_message_id: str | None,
    error: str | None = None,
    reopen: bool = False,
    sent_is_rest: bool = False,
) -> str:
    """Commit what the provider said about a batch; returns the batch's new status.

    The batch is ``pending`` again when ``reopen`` (some recipients were not tried: they go
    out with the next claim, while any ``unknown`` ones keep that status row by row), else
    ``unknown`` if any recipient's fate is unknown (now or from an earlier round of the same
    batch, so that ``--retry-unknown`` finds them), else ``accepted`` if the provider took
    anyone, else ``failed``.

    ``sent_is_rest`` says ``sent`` is exactly the batch's pending recipients other than
    ``failed``. Those rows are then left ``pending``: the batch turning ``accepted`` records
    them as sent (a million-recipient send writes a thousand batch rows instead of a
    million delivery rows). Should the batch no longer be ``submitting`` (another process
    declared it unknown meanwhile), each sent recipient is marked one by one instead.
    """
    _mark_failed(conn, batch, failed, now)
    set_delivery_status(conn, batch.edition_id, unknown, "unknown", now, error)
    status = _batch_status(conn, batch, sent, failed, unknown, reopen)
    if error is None and failed and not sent:
        error = next(iter(failed.values()))
    settle = update(SendBatchRow).values(
        status=status,
        provider_message_id=(provider_message_id or None) and provider_message_id[:300],
        error=error,
        lease_expires_at=None,
        updated_at=now,
    )
    if sent_is_rest and status == "accepted":
        owned = settle.where(SendBatchRow.id == batch.id, SendBatchRow.status == "submitting")
        if conn.execute(owned).rowcount == 1:
            return status
    set_delivery_status(conn, batch.edition_id, sent, "sent", now)
    conn.execute(settle.where(SendBatchRow.id == batch.id))
    return status


def _mark_failed(
    conn: Connection, batch: ClaimedBatch, failed: Mapping[int, str], now: datetime
) -> None:
    """Record each refused recipient with the provider's reason."""
    if not failed:
        return
    conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == batch.edition_id,
            DeliveryRow.subscriber_id == bindparam("sid"),
        )
        .values(status="failed", error=bindparam("reason"), updated_at=now)
        .execution_options(synchronize_session=False),
        [{"sid": sid, "reason": reason[:2000]} for sid, reason in failed.items()],
    )


def _batch_status(
    conn: Connection,
    batch: ClaimedBatch,
    sent: Sequence[int],
    failed: Mapping[int, str],
    unknown: Sequence[int],
    reopen: bool,
) -> str:
    """The batch's state after this round (see ``record_batch_outcome``)."""
    if reopen:
        return "pending"
    if unknown or (batch.attempts > 1 and _has_unknown(conn, batch)):
        return "unknown"
    if sent or not failed:
        return "accepted"  # with nobody sent nor failed, everyone in it was suppressed
    return "failed"


def _has_unknown(conn: Connection, batch: ClaimedBatch) -> bool:
    """True when an earlier round of the batch left a recipient whose fate is unknown."""
    return (
        conn.execute(
            select(DeliveryRow.subscriber_id)
            .where(
                DeliveryRow.edition_id == batch.edition_id,
                DeliveryRow.batch_seq == batch.seq,
                DeliveryRow.status == "unknown",
            )
            .limit(1)
        ).first()
        is not None
    )
