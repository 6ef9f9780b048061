"""The ledger's counts for many editions at once, as the console and ``/metrics`` need them.

``delivery_counts`` reads one edition's ledger (a grouped scan of its delivery rows); doing
that for a year of million-recipient editions at every scrape would not do. A finished
edition's counts cannot change while it stays finished, so they are kept in
``ledger_summaries`` the first time they are read and used while the edition's status and
finish time are still those recorded. Editions still open (sending, paused, or finished
while a sender was still submitting a batch) are counted afresh every time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from digest.store.db import upsert_insert
from digest.store.ledger import OWNED, DeliveryCounts, delivery_counts

# how delivery_counts reads one delivery row in its batch: the same reading per time zone
from digest.store.ledger.counts import BatchView
from digest.store.ledger.counts import bucket_of as reading
from digest.store.schema import (
    DeliveryRow,
    EditionRow,
    LedgerSummaryRow,
    SendBatchRow,
    SendPlanRow,
)

# Editions whose ledger no sender changes any more (a reopened edition leaves these).
FINISHED = ("sent", "cancelled", "skipped")


@dataclass(frozen=True, slots=True)
class EditionLedger:
    """An edition with a planned ledger: who it is, and where its recipients stand."""

    edition_id: int
    segment: str
    edition_date: date
    status: str
    counts: DeliveryCounts
    batches: dict[str, int] = field(default_factory=dict)  # batch status -> how many


def _batch_counts(conn: Connection, edition_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(SendBatchRow.status, func.count())
        .where(SendBatchRow.edition_id == edition_id)
        .group_by(SendBatchRow.status)
    )
    return {str(s): int(n) for s, n in rows}


def _submitting(conn: Connection, edition_ids: Sequence[int]) -> set[int]:
    """Editions with a batch a sender still owns (its outcome is not recorded yet)."""
    return set(
        conn.execute(
            select(SendBatchRow.edition_id)
            .where(
                SendBatchRow.edition_id.in_(list(edition_ids)),
                SendBatchRow.status.in_(OWNED),
            )
            .distinct()
        ).scalars()
    )


def _from_summary(row: Any) -> tuple[DeliveryCounts, dict[str, int]]:
    data = dict(row.counts)
    batches = {str(k): int(v) for k, v in dict(data.pop("batch_statuses", {})).items()}
    return DeliveryCounts(**data), batches


def ledgers(
    conn: Connection,
    *,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
    edition_ids: Sequence[int] | None = None,
    segment: str | None = None,
    since: date | None = None,
) -> list[EditionLedger]:
    """Planned editions (all, or those asked for) with their ledger counts, oldest first.

    Writes a summary for a finished edition counted for the first time (the caller commits).
    """
    query = (
        select(
            EditionRow.id,
            EditionRow.segment,
            EditionRow.edition_date,
            EditionRow.status,
            EditionRow.finished_at,
        )
        .join(SendPlanRow, SendPlanRow.edition_id == EditionRow.id)
        .order_by(EditionRow.edition_date, EditionRow.segment)
    )
    if edition_ids is not None:
        query = query.where(EditionRow.id.in_(list(edition_ids)))
    if segment is not None:
        query = query.where(EditionRow.segment == segment)
    if since is not None:
        query = query.where(EditionRow.edition_date >= since)
    editions = conn.execute(query).all()
    if not editions:
        return []
    ids = [int(e.id) for e in editions]
    kept = {
        int(r.edition_id): r
        for r in conn.execute(select(LedgerSummaryRow).where(LedgerSummaryRow.edition_id.in_(ids)))
    }
    busy = _submitting(conn, ids)
    out: list[EditionLedger] = []
    for e in editions:
        eid = int(e.id)
        finished = e.status in FINISHED and eid not in busy
        summary = kept.get(eid)
        if (
            finished
            and summary is not None
            and (summary.status, summary.finished_at)
            == (
                e.status,
                e.finished_at,
            )
        ):
            counts, batches = _from_summary(summary)
        else:
            counts = delivery_counts(conn, eid, now=now, is_dead=is_dead)
            batches = _batch_counts(conn, eid)
            if finished:
                _keep(conn, eid, e.status, e.finished_at, counts, batches, now)
        out.append(EditionLedger(eid, e.segment, e.edition_date, e.status, counts, batches))
    return out


def _keep(
    conn: Connection,
    edition_id: int,
    status: str,
    finished_at: datetime | None,
    counts: DeliveryCounts,
    batches: dict[str, int],
    now: datetime,
) -> None:
    data = {**counts.as_dict(), "batch_statuses": batches}
    values = {"status": status, "finished_at": finished_at, "counts": data, "computed_at": now}
    stmt = upsert_insert(conn, LedgerSummaryRow).values(edition_id=edition_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["edition_id"], set_=values))


def oldest_due_batch(conn: Connection, now: datetime) -> datetime | None:
    """Since when the oldest due, unclaimed batch of a sending edition has been waiting."""
    due_since = func.coalesce(SendBatchRow.not_before, SendPlanRow.planned_at)
    return conn.execute(
        select(func.min(due_since))
        .select_from(SendBatchRow)
        .join(EditionRow, EditionRow.id == SendBatchRow.edition_id)
        .join(SendPlanRow, SendPlanRow.edition_id == SendBatchRow.edition_id)
        .where(
            EditionRow.status == "sending",
            SendBatchRow.status == "pending",
            (SendBatchRow.not_before.is_(None)) | (SendBatchRow.not_before <= now),
        )
    ).scalar_one_or_none()


def timezone_groups(
    conn: Connection,
    edition_id: int,
    *,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
) -> list[dict[str, Any]]:
    """A local-time edition's recipients per time zone, read as ``delivery_counts`` reads them.

    Each: timezone, due_at (its batches' send time), recipients, sent, failed, suppressed,
    unknown, pending, in_flight; ordered by due time, then zone.
    """
    batches = {
        r.seq: r
        for r in conn.execute(
            select(
                SendBatchRow.seq,
                SendBatchRow.timezone,
                SendBatchRow.status,
                SendBatchRow.claimed_by,
                SendBatchRow.lease_expires_at,
                SendBatchRow.not_before,
            ).where(SendBatchRow.edition_id == edition_id)
        )
    }
    keys = ("sent", "failed", "suppressed", "unknown", "pending", "in_flight")
    groups: dict[str, dict[str, Any]] = {}

    def group_of(zone: str) -> dict[str, Any]:
        return groups.setdefault(zone, {"timezone": zone, "due_at": None, **dict.fromkeys(keys, 0)})

    for b in batches.values():
        group = group_of(b.timezone or "")
        if b.not_before is not None and (group["due_at"] is None or b.not_before < group["due_at"]):
            group["due_at"] = b.not_before
    rows = conn.execute(
        select(DeliveryRow.batch_seq, DeliveryRow.status, func.count())
        .where(DeliveryRow.edition_id == edition_id)
        .group_by(DeliveryRow.batch_seq, DeliveryRow.status)
    )
    for seq, status, n in rows:
        batch = batches.get(seq)
        group = group_of(batch.timezone or "" if batch is not None else "")
        group[reading(status, batch, now, is_dead)[0]] += int(n)
    for group in groups.values():
        group["recipients"] = sum(group[k] for k in keys)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(groups.values(), key=lambda g: (g["due_at"] or far, g["timezone"]))


def deliveries_of(
    conn: Connection,
    subscriber_id: int,
    editions: int,
    *,
    now: datetime,
    is_dead: Callable[[str], bool] | None = None,
) -> list[tuple[str, date, str, str | None]]:
    """What the last ``editions`` planned editions did for one subscriber, newest first:
    (segment, edition date, status as ``delivery_counts`` reads it, error)."""
    recent = (
        select(EditionRow.id)
        .join(SendPlanRow, SendPlanRow.edition_id == EditionRow.id)
        .order_by(EditionRow.edition_date.desc(), EditionRow.id.desc())
        .limit(editions)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            EditionRow.segment,
            EditionRow.edition_date,
            DeliveryRow.status,
            DeliveryRow.error,
            SendBatchRow.status.label("batch_status"),
            SendBatchRow.claimed_by,
            SendBatchRow.lease_expires_at,
        )
        .select_from(DeliveryRow)
        .join(EditionRow, EditionRow.id == DeliveryRow.edition_id)
        .outerjoin(
            SendBatchRow,
            (SendBatchRow.edition_id == DeliveryRow.edition_id)
            & (SendBatchRow.seq == DeliveryRow.batch_seq),
        )
        .where(DeliveryRow.subscriber_id == subscriber_id, DeliveryRow.edition_id.in_(recent))
        .order_by(EditionRow.edition_date.desc(), EditionRow.segment)
    ).all()
    out = []
    for r in rows:
        batch = None
        if r.batch_status is not None:
            batch = BatchView(r.batch_status, r.claimed_by, r.lease_expires_at, None)
        out.append((r.segment, r.edition_date, reading(r.status, batch, now, is_dead)[0], r.error))
    return out
