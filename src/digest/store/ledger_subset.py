"""Sending an edition to a few listed people through its own ledger (``digest send --only``).

The listed recipients who may have it go into new batches of the same edition (numbered
after its last one): a subscriber without a delivery row gets one, and one whose row says
it never reached them (failed, or suppressed at the time) has the row moved into the new
batch and set pending. The ledger's unique (edition, subscriber) keeps it exactly once: a
row that says sent, unknown or in flight is never touched. Call everything here inside the
transaction that holds the edition's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from digest.config import Segment
from digest.store.ledger.counts import BatchView
from digest.store.ledger.counts import bucket_of as reading
from digest.store.schema import (
    DeliveryRow,
    SendBatchRow,
    SubscriberRow,
    SubscriberSegmentRow,
    SuppressionRow,
)
from digest.store.subscribers import segment_recipients_query

# Where a listed subscriber's delivery row may be, as the ledger reads it, and may be resent.
NEVER_REACHED = ("failed", "suppressed")


@dataclass(frozen=True, slots=True)
class Listed:
    """A listed address as the store knows it."""

    email: str
    subscriber_id: int | None
    status: str | None  # the subscriber's status
    in_segment: bool
    suppressed: str | None  # the suppression reason, if any
    paused_until: datetime | None
    eligible: bool  # would be sent the segment now
    locale: str | None
    delivery: str | None  # the ledger's reading of their row: sent, failed, unknown …


def listed_subscribers(
    conn: Connection,
    segment: Segment,
    edition_id: int,
    emails: Sequence[str],
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
) -> list[Listed]:
    """Each address with who it is, whether the segment would reach it, and its delivery."""
    subs = {
        r.email: r
        for r in conn.execute(
            select(
                SubscriberRow.id,
                SubscriberRow.email,
                SubscriberRow.status,
                SubscriberRow.locale,
                SubscriberRow.paused_until,
            ).where(SubscriberRow.email.in_(list(emails)))
        )
    }
    ids = [int(r.id) for r in subs.values()]
    members = set(
        conn.execute(
            select(SubscriberSegmentRow.subscriber_id).where(
                SubscriberSegmentRow.segment == segment.name,
                SubscriberSegmentRow.subscriber_id.in_(ids),
            )
        ).scalars()
    )
    eligible = set(
        conn.execute(
            segment_recipients_query(segment, now)
            .with_only_columns(SubscriberRow.id)
            .where(SubscriberRow.id.in_(ids))
        ).scalars()
    )
    suppressed = dict(
        conn.execute(
            select(SuppressionRow.email, SuppressionRow.reason).where(
                SuppressionRow.email.in_(list(emails))
            )
        ).all()
    )
    deliveries = _readings(conn, edition_id, ids, now, is_dead)
    out = []
    for email in emails:
        sub = subs.get(email)
        sid = int(sub.id) if sub is not None else None
        out.append(
            Listed(
                email=email,
                subscriber_id=sid,
                status=sub.status if sub is not None else None,
                in_segment=sid in members,
                suppressed=suppressed.get(email),
                paused_until=sub.paused_until if sub is not None else None,
                eligible=sid in eligible,
                locale=sub.locale if sub is not None else None,
                delivery=deliveries.get(sid) if sid is not None else None,
            )
        )
    return out


def _readings(
    conn: Connection,
    edition_id: int,
    ids: Sequence[int],
    now: datetime,
    is_dead: Callable[[str], bool] | None,
) -> dict[int, str]:
    """The ledger's reading of each listed subscriber's row (as ``delivery_counts``)."""
    if not ids:
        return {}
    rows = conn.execute(
        select(
            DeliveryRow.subscriber_id,
            DeliveryRow.status,
            SendBatchRow.status.label("batch_status"),
            SendBatchRow.claimed_by,
            SendBatchRow.lease_expires_at,
            SendBatchRow.not_before,
        )
        .select_from(DeliveryRow)
        .outerjoin(
            SendBatchRow,
            (SendBatchRow.edition_id == DeliveryRow.edition_id)
            & (SendBatchRow.seq == DeliveryRow.batch_seq),
        )
        .where(DeliveryRow.edition_id == edition_id, DeliveryRow.subscriber_id.in_(list(ids)))
    ).all()
    out = {}
    for r in rows:
        batch = None
        if r.batch_status is not None:
            batch = BatchView(r.batch_status, r.claimed_by, r.lease_expires_at, r.not_before)
        out[int(r.subscriber_id)] = reading(r.status, batch, now, is_dead)[0]
    return out


def add_listed_batches(
    conn: Connection,
    edition_id: int,
    recipients: Iterable[tuple[int, str]],
    now: datetime,
    *,
    batch_size: int,
) -> list[int]:
    """Put (subscriber id, variant locale) pairs into new pending batches; their seqs.

    A subscriber with a delivery row has it moved into the new batch and set pending (only
    call this for rows that never reached them); one without gets a new row.
    """
    by_locale: dict[str, list[int]] = {}
    for sid, locale in recipients:
        by_locale.setdefault(locale, []).append(sid)
    last = conn.execute(
        select(func.max(SendBatchRow.seq)).where(SendBatchRow.edition_id == edition_id)
    ).scalar_one_or_none()
    seq = -1 if last is None else int(last)
    seqs = []
    for locale in sorted(by_locale):
        ids = sorted(by_locale[locale])
        for start in range(0, len(ids), batch_size):
            part = ids[start : start + batch_size]
            seq += 1
            seqs.append(seq)
            conn.execute(
                insert(SendBatchRow).values(
                    edition_id=edition_id,
                    seq=seq,
                    locale=locale,
                    status="pending",
                    recipient_count=len(part),
                    attempts=0,
                    updated_at=now,
                )
            )
            _write_rows(conn, edition_id, seq, part, now)
    return seqs


def _write_rows(conn: Connection, edition_id: int, seq: int, ids: list[int], now: datetime) -> None:
    existing = set(
        conn.execute(
            select(DeliveryRow.subscriber_id).where(
                DeliveryRow.edition_id == edition_id, DeliveryRow.subscriber_id.in_(ids)
            )
        ).scalars()
    )
    if existing:
        conn.execute(
            update(DeliveryRow)
            .where(DeliveryRow.edition_id == edition_id, DeliveryRow.subscriber_id.in_(existing))
            .values(batch_seq=seq, status="pending", error=None, updated_at=now)
        )
    fresh = [sid for sid in ids if sid not in existing]
    if fresh:
        conn.execute(
            insert(DeliveryRow),
            [
                {
                    "edition_id": edition_id,
                    "subscriber_id": sid,
                    "batch_seq": seq,
                    "status": "pending",
                    "updated_at": now,
                }
                for sid in fresh
            ],
        )
