"""The Web Push ledger: plan once, claim in chunks, mark posting, record outcomes, count.

Each (edition, subscription) has one row. A worker claims due rows (``claimed``), marks a
group ``posting`` just before it posts them, and records each outcome. When a worker dies,
its ``claimed`` rows go back to ``pending`` (they were never posted) and its ``posting``
rows become ``unknown`` (they may have been delivered; they are not posted again unless
ops ask with --retry-unknown).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, literal, or_, select, update

from digest.push.models import OPEN_STATES, PushOutcome, PushState, PushTarget
from digest.store.db import upsert_insert
from digest.store.schema import (
    ChannelPlanRow,
    PushDeliveryRow,
    PushSubscriptionRow,
    PushSubscriptionSegmentRow,
    UTCDateTime,
)

CHANNEL = "webpush"
D = PushDeliveryRow


def plan_push(
    conn: Connection,
    edition_id: int,
    segment: str,
    *,
    planned_by: str,
    now: datetime,
    due_at: Callable[[str], datetime | None] | None = None,
) -> int | None:
    """Write the edition's push ledger once: a pending row per subscription of the segment.

    ``due_at(timezone)`` gives each timezone's delivery time (local-time delivery), None
    when it is due at once.
    Returns how many rows were planned, or None when the ledger was planned before.
    """
    won = conn.execute(
        upsert_insert(conn, ChannelPlanRow)
        .values(
            edition_id=edition_id, channel=CHANNEL, planned_at=now, planned_by=planned_by, targets=0
        )
        .on_conflict_do_nothing(index_elements=["edition_id", "channel"])
        .returning(ChannelPlanRow.edition_id)
    ).scalar_one_or_none()
    if won is None:
        return None
    members = select(
        literal(edition_id),
        PushSubscriptionSegmentRow.subscription_id,
        literal(PushState.PENDING.value),
        literal(0),
        literal(now, UTCDateTime()),
    ).where(PushSubscriptionSegmentRow.segment == segment)
    conn.execute(
        insert(D).from_select(
            ["edition_id", "subscription_id", "status", "attempts", "updated_at"], members
        )
    )
    if due_at is not None:
        _schedule_local_times(conn, edition_id, due_at)
    count = conn.execute(select(func.count()).where(D.edition_id == edition_id)).scalar_one()
    conn.execute(
        update(ChannelPlanRow)
        .where(ChannelPlanRow.edition_id == edition_id, ChannelPlanRow.channel == CHANNEL)
        .values(targets=count)
    )
    return int(count)


def _schedule_local_times(
    conn: Connection, edition_id: int, due_at: Callable[[str], datetime | None]
) -> None:
    zones = conn.execute(
        select(PushSubscriptionRow.timezone)
        .join(D, D.subscription_id == PushSubscriptionRow.id)
        .where(D.edition_id == edition_id)
        .distinct()
    ).scalars()
    for zone in list(zones):
        in_zone = select(PushSubscriptionRow.id).where(PushSubscriptionRow.timezone == zone)
        conn.execute(
            update(D)
            .where(D.edition_id == edition_id, D.subscription_id.in_(in_zone))
            .values(not_before=due_at(zone))
        )


def is_planned(conn: Connection, edition_id: int) -> bool:
    """True once the edition's push ledger was written."""
    return (
        conn.execute(
            select(ChannelPlanRow.edition_id).where(
                ChannelPlanRow.edition_id == edition_id, ChannelPlanRow.channel == CHANNEL
            )
        ).scalar_one_or_none()
        is not None
    )


def recover_abandoned(
    conn: Connection, edition_id: int, now: datetime, is_dead: Callable[[str], bool]
) -> tuple[int, int]:
    """Rows of dead workers (or run-out leases): claimed → pending, posting → unknown."""
    holders = conn.execute(
        select(D.claimed_by, func.min(D.lease_expires_at))
        .where(D.edition_id == edition_id, D.status.in_([PushState.CLAIMED, PushState.POSTING]))
        .group_by(D.claimed_by)
    ).all()
    back = lost = 0
    for worker, lease in holders:
        if worker is not None and not is_dead(worker) and lease is not None and lease > now:
            continue
        held = and_(D.edition_id == edition_id, D.claimed_by == worker)
        back += conn.execute(
            update(D)
            .where(held, D.status == PushState.CLAIMED)
            .values(status=PushState.PENDING, claimed_by=None, lease_expires_at=None)
        ).rowcount
        lost += conn.execute(
            update(D)
            .where(held, D.status == PushState.POSTING)
            .values(
                status=PushState.UNKNOWN,
                error="the sender stopped while posting: maybe delivered",
                updated_at=now,
            )
        ).rowcount
    return back, lost


def claim_push(
    conn: Connection,
    edition_id: int,
    segment: str,
    *,
    worker: str,
    now: datetime,
    limit: int,
    lease_until: datetime,
) -> list[PushTarget]:
    """Take up to ``limit`` due rows for ``worker``, with their subscriptions' keys.

    A row whose subscription was removed, or no longer includes ``segment``, is settled as
    ``removed`` instead of being handed out.
    """
    due = (
        select(D.subscription_id)
        .where(
            D.edition_id == edition_id,
            D.status == PushState.PENDING,
            or_(D.not_before.is_(None), D.not_before <= now),
        )
        .order_by(D.attempts, D.subscription_id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    claimed = list(
        conn.execute(
            update(D)
            .where(D.edition_id == edition_id, D.subscription_id.in_(ids))
            .where(D.status == PushState.PENDING)
            .values(status=PushState.CLAIMED, claimed_by=worker, lease_expires_at=lease_until)
            .returning(D.subscription_id, D.attempts)
        )
    )
    attempts = {int(sid): int(n) for sid, n in claimed}
    rows = conn.execute(
        select(
            PushSubscriptionRow.id,
            PushSubscriptionRow.endpoint,
            PushSubscriptionRow.p256dh,
            PushSubscriptionRow.auth,
            PushSubscriptionRow.locale,
            PushSubscriptionRow.timezone,
        )
        .join(
            PushSubscriptionSegmentRow,
            and_(
                PushSubscriptionSegmentRow.subscription_id == PushSubscriptionRow.id,
                PushSubscriptionSegmentRow.segment == segment,
            ),
        )
        .where(PushSubscriptionRow.id.in_(list(attempts)))
    ).all()
    targets = [
        PushTarget(int(r[0]), r[1], r[2], r[3], r[4], r[5], attempts[int(r[0])]) for r in rows
    ]
    missing = set(attempts) - {t.subscription_id for t in targets}
    if missing:
        conn.execute(
            update(D)
            .where(D.edition_id == edition_id, D.subscription_id.in_(list(missing)))
            .values(status=PushState.REMOVED, updated_at=now, claimed_by=None)
        )
    return sorted(targets, key=lambda t: t.subscription_id)


def mark_posting(
    conn: Connection,
    edition_id: int,
    ids: Sequence[int],
    *,
    worker: str,
    lease_until: datetime,
) -> set[int]:
    """Mark the worker's claimed rows as being posted; the ids it may now post."""
    if not ids:
        return set()
    rows = conn.execute(
        update(D)
        .where(D.edition_id == edition_id, D.subscription_id.in_(list(ids)))
        .where(D.status == PushState.CLAIMED, D.claimed_by == worker)
        .values(status=PushState.POSTING, lease_expires_at=lease_until)
        .returning(D.subscription_id)
    )
    return {int(r[0]) for r in rows}


def record_outcomes(
    conn: Connection, edition_id: int, outcomes: Iterable[PushOutcome], now: datetime
) -> None:
    """Write what became of each push (grouped: one statement per kind of outcome)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for o in outcomes:
        key = (o.status, o.http_status, o.error, o.not_before, o.attempted)
        groups[key].append(o.subscription_id)
    for (status, http_status, error, not_before, attempted), ids in groups.items():
        values = {
            "status": status,
            "http_status": http_status,
            "error": error,
            "not_before": not_before,
            "updated_at": now,
            "claimed_by": None,
            "lease_expires_at": None,
        }
        if attempted:
            values["attempts"] = D.attempts + 1
        for start in range(0, len(ids), 500):
            conn.execute(
                update(D)
                .where(D.edition_id == edition_id, D.subscription_id.in_(ids[start : start + 500]))
                .where(D.status.in_([PushState.CLAIMED, PushState.POSTING]))
                .values(**values)
            )


def retry_unknown_push(conn: Connection, edition_id: int, now: datetime) -> int:
    """Put the edition's unknown pushes back to pending (ops chose to risk a repeat)."""
    return conn.execute(
        update(D)
        .where(D.edition_id == edition_id, D.status == PushState.UNKNOWN)
        .values(status=PushState.PENDING, claimed_by=None, not_before=None, updated_at=now)
    ).rowcount


def push_counts(conn: Connection, edition_id: int) -> dict[str, int]:
    """How many of the edition's pushes are in each state (every state named, zeros too)."""
    counts = {state.value: 0 for state in PushState}
    rows = conn.execute(
        select(D.status, func.count()).where(D.edition_id == edition_id).group_by(D.status)
    )
    for status, n in rows:
        counts[str(status)] = int(n)
    counts["total"] = sum(v for k, v in counts.items() if k != "total")
    return counts


def open_push_work(conn: Connection, edition_id: int) -> int:
    """Rows still to be settled: pending, claimed or posting."""
    return int(
        conn.execute(
            select(func.count()).where(D.edition_id == edition_id, D.status.in_(OPEN_STATES))
        ).scalar_one()
    )


def next_due_at(conn: Connection, edition_id: int, now: datetime) -> datetime | None:
    """When the earliest pending row falls due (``now`` at the latest); None: none pending."""
    row = conn.execute(
        select(D.not_before)
        .where(D.edition_id == edition_id, D.status == PushState.PENDING)
        .order_by(D.not_before.asc().nulls_first())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return now if row[0] is None or row[0] < now else row[0]
