"""Claims: a sender takes a due batch, reads its recipients, submits it, renews or gives it back.

Claims never overlap, in any number of processes on any number of hosts: FOR UPDATE SKIP
LOCKED on PostgreSQL, one atomic UPDATE … RETURNING on SQLite. A batch is taken only while
its edition is ``sending``, and turns ``submitting`` (committed) only right before the
request, again only while the edition is ``sending``: a pause or a cancel stops every sender
after the batch it has in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    bindparam,
    or_,
    select,
    update,
)

from digest.config import Segment
from digest.store.ledger.values import (
    CLAIMABLE,
    OWNED,
    BatchState,
    ClaimedBatch,
    LedgerError,
)
from digest.store.schema import DeliveryRow, EditionRow, SendBatchRow, SubscriberRow
from digest.store.subscribers import segment_recipients_query

SendRowTuple = tuple[int, str | None, str | None, str | None, str | None, bool]


class BatchStatements:
    """The statements each batch of one edition's send runs, built once for the whole send.

    ``claim`` takes the next due batch, ``rows`` reads its recipients with their
    eligibility and ``submit`` marks it ``submitting`` right before the request. Values
    that change per batch are bind parameters, so every execution reuses one compiled
    statement.
    """

    def __init__(
        self,
        conn: Connection,
        segment: Segment,
        edition_id: int,
        statuses: Sequence[str] = CLAIMABLE,
    ) -> None:
        self.edition_id = edition_id
        sending = (
            select(EditionRow.status).where(EditionRow.id == edition_id).scalar_subquery()
            == "sending"
        )
        locking = conn.dialect.name == "postgresql"
        self._claim = _claim_statement(edition_id, statuses, sending, locking)
        self._submit = _submit_statement(sending)
        self._rows = _rows_statement(segment, edition_id)

    def claim(
        self,
        conn: Connection,
        worker: str,
        now: datetime,
        lease_until: datetime,
        *,
        horizon: datetime,
    ) -> ClaimedBatch | None:
        """Atomically take the next due batch of the sending edition; None when none is left.

        A batch is due when its ``not_before`` is unset or at most ``horizon``. Nothing is
        claimed once the edition is no longer ``sending`` (cancelled, for example).
        """
        row = conn.execute(
            self._claim,
            {"b_now": now, "b_horizon": horizon, "b_worker": worker, "b_lease": lease_until},
        ).first()
        if row is None:
            return None
        return ClaimedBatch(
            id=row.id,
            edition_id=self.edition_id,
            seq=row.seq,
            locale=row.locale,
            timezone=row.timezone,
            not_before=row.not_before,
            attempts=row.attempts,
            recipient_count=row.recipient_count,
        )

    def submit(self, conn: Connection, batch: ClaimedBatch, worker: str, now: datetime) -> bool:
        """Mark the claimed batch ``submitting`` (the request goes next); False when the
        edition is no longer ``sending`` (paused, cancelled) or the claim was lost."""
        result = conn.execute(self._submit, {"b_id": batch.id, "b_worker": worker, "b_now": now})
        return result.rowcount == 1

    def rows(
        self,
        conn: Connection,
        seq: int,
        now: datetime,
        statuses: Sequence[str] = ("pending",),
    ) -> list[SendRowTuple]:
        """The batch's recipients still to send, in one query, as plain tuples.

        Each is (subscriber id, email, name, locale, timezone, eligible): email is None when
        the subscriber row is gone; ``eligible`` is False when they may no longer be sent the
        segment now (unsubscribed, bounced, complained, suppressed, paused, left the audience).
        """
        result = conn.execute(
            self._rows, {"b_seq": seq, "b_now": now, "b_statuses": list(statuses)}
        )
        return [tuple(r) for r in result]  # type: ignore[misc]


_AT = SendBatchRow.updated_at.type


def _claim_statement(edition_id: int, statuses: Sequence[str], sending: Any, locking: bool) -> Any:
    """UPDATE … RETURNING that takes the next due batch while the edition is sending."""
    now = bindparam("b_now", type_=_AT)
    candidate = (
        select(SendBatchRow.id)
        .where(
            SendBatchRow.edition_id == edition_id,
            SendBatchRow.status.in_(list(statuses)),
            or_(
                SendBatchRow.not_before.is_(None),
                SendBatchRow.not_before <= bindparam("b_horizon", type_=_AT),
            ),
        )
        # batches not tried yet first: one set aside after a failed round waits its turn
        .order_by(SendBatchRow.attempts, SendBatchRow.seq)
        .limit(1)
    )
    if locking:
        candidate = candidate.with_for_update(skip_locked=True)
    return (
        update(SendBatchRow)
        .where(SendBatchRow.id == candidate.scalar_subquery(), sending)
        .values(
            status=BatchState.CLAIMED.value,
            claimed_by=bindparam("b_worker", type_=SendBatchRow.claimed_by.type),
            claimed_at=now,
            lease_expires_at=bindparam("b_lease", type_=_AT),
            attempts=SendBatchRow.attempts + 1,
            updated_at=now,
        )
        .returning(
            SendBatchRow.id,
            SendBatchRow.seq,
            SendBatchRow.locale,
            SendBatchRow.timezone,
            SendBatchRow.not_before,
            SendBatchRow.attempts,
            SendBatchRow.recipient_count,
        )
    )


def _submit_statement(sending: Any) -> Any:
    """UPDATE claimed → submitting for this worker, only while the edition is sending."""
    return (
        update(SendBatchRow)
        .where(
            SendBatchRow.id == bindparam("b_id", type_=Integer),
            SendBatchRow.status == BatchState.CLAIMED.value,
            SendBatchRow.claimed_by == bindparam("b_worker", type_=SendBatchRow.claimed_by.type),
            sending,
        )
        .values(status=BatchState.SUBMITTING.value, updated_at=bindparam("b_now", type_=_AT))
    )


def _rows_statement(segment: Segment, edition_id: int) -> Any:
    """SELECT a batch's recipients with their eligibility evaluated on the joined row."""
    # the audience's conditions evaluated on the joined subscriber row itself: one
    # lookup per recipient instead of a second pass over the batch's subscribers
    eligible = segment_recipients_query(segment, bindparam("b_now", type_=_AT)).whereclause
    if eligible is None:
        raise LedgerError("the segment's recipient query has no conditions")
    return (
        select(
            DeliveryRow.subscriber_id,
            SubscriberRow.email,
            SubscriberRow.name,
            SubscriberRow.locale,
            SubscriberRow.timezone,
            eligible.self_group(),
        )
        .select_from(DeliveryRow)
        .outerjoin(SubscriberRow, SubscriberRow.id == DeliveryRow.subscriber_id)
        .where(
            DeliveryRow.edition_id == edition_id,
            DeliveryRow.batch_seq == bindparam("b_seq", type_=Integer),
            DeliveryRow.status.in_(bindparam("b_statuses", expanding=True)),
        )
        .order_by(DeliveryRow.subscriber_id)
    )


def claimable_locales(
    conn: Connection, edition_id: int, statuses: Sequence[str] = CLAIMABLE
) -> list[str]:
    """The variant locales of the edition's batches still to claim."""
    return list(
        conn.execute(
            select(SendBatchRow.locale)
            .where(SendBatchRow.edition_id == edition_id, SendBatchRow.status.in_(list(statuses)))
            .distinct()
            .order_by(SendBatchRow.locale)
        ).scalars()
    )


def renew_batch_lease(
    conn: Connection, batch_id: int, worker: str, lease_until: datetime, now: datetime
) -> bool:
    """Extend this worker's lease on its batch before another attempt or a wait."""
    result = conn.execute(
        update(SendBatchRow)
        .where(
            SendBatchRow.id == batch_id,
            SendBatchRow.claimed_by == worker,
            SendBatchRow.status.in_(OWNED),
        )
        .values(lease_expires_at=lease_until, updated_at=now)
    )
    return result.rowcount == 1


def release_batch(conn: Connection, batch: ClaimedBatch, now: datetime, reason: str) -> None:
    """Give an unsent batch back (status pending) so a later run sends it."""
    conn.execute(
        update(SendBatchRow)
        .where(SendBatchRow.id == batch.id, SendBatchRow.status.in_(OWNED))
        .values(
            status="pending",
            claimed_by=None,
            lease_expires_at=None,
            error=reason[:2000],
            updated_at=now,
        )
    )


def reopen_unknown_deliveries(conn: Connection, batch: ClaimedBatch, now: datetime) -> int:
    """Make a retried batch's unknown recipients pending again (ops chose to re-send them)."""
    result = conn.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.edition_id == batch.edition_id,
            DeliveryRow.batch_seq == batch.seq,
            DeliveryRow.status == "unknown",
        )
        .values(status="pending", error=None, updated_at=now)
    )
    return int(result.rowcount)
