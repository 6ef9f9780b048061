"""The channel-post ledger: one row per (edition, Apprise URL), posted exactly once.

pending → posting → sent | failed; a row left ``posting`` by a dead worker becomes
``unknown`` (the post may have gone out) and is not posted again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection, func, or_, select, update

from digest.push.models import OPEN_STATES, PushState
from digest.store.db import upsert_insert
from digest.store.schema import ApprisePostRow, ChannelPlanRow

CHANNEL = "apprise"
P = ApprisePostRow


def plan_apprise(
    conn: Connection,
    edition_id: int,
    urls: Sequence[tuple[str, str]],
    *,
    planned_by: str,
    now: datetime,
) -> int | None:
    """A pending row per (url_key, label); None when the edition was planned before."""
    won = conn.execute(
        upsert_insert(conn, ChannelPlanRow)
        .values(
            edition_id=edition_id,
            channel=CHANNEL,
            planned_at=now,
            planned_by=planned_by,
            targets=len(urls),
        )
        .on_conflict_do_nothing(index_elements=["edition_id", "channel"])
        .returning(ChannelPlanRow.edition_id)
    ).scalar_one_or_none()
    if won is None:
        return None
    for key, label in dict(urls).items():
        conn.execute(
            upsert_insert(conn, P)
            .values(
                edition_id=edition_id,
                url_key=key,
                label=label,
                status=PushState.PENDING,
                attempts=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["edition_id", "url_key"])
        )
    return len(dict(urls))


def recover_apprise(
    conn: Connection, edition_id: int, now: datetime, is_dead: Callable[[str], bool]
) -> int:
    """Posting rows of dead workers (or run-out leases) become unknown; how many."""
    rows = conn.execute(
        select(P.url_key, P.claimed_by, P.lease_expires_at).where(
            P.edition_id == edition_id, P.status == PushState.POSTING
        )
    ).all()
    lost = 0
    for key, worker, lease in rows:
        if worker is not None and not is_dead(worker) and lease is not None and lease > now:
            continue
        lost += conn.execute(
            update(P)
            .where(P.edition_id == edition_id, P.url_key == key, P.status == PushState.POSTING)
            .values(
                status=PushState.UNKNOWN,
                error="the sender stopped while posting: maybe posted",
                updated_at=now,
            )
        ).rowcount
    return lost


def due_posts(conn: Connection, edition_id: int, now: datetime) -> list[tuple[str, int]]:
    """(url_key, attempts) of the rows due now."""
    rows = conn.execute(
        select(P.url_key, P.attempts)
        .where(
            P.edition_id == edition_id,
            P.status == PushState.PENDING,
            or_(P.not_before.is_(None), P.not_before <= now),
        )
        .order_by(P.url_key)
    )
    return [(r[0], int(r[1])) for r in rows]


def start_post(
    conn: Connection, edition_id: int, key: str, *, worker: str, lease_until: datetime
) -> bool:
    """Mark one row posting for ``worker``; False when another worker took it."""
    return (
        conn.execute(
            update(P)
            .where(P.edition_id == edition_id, P.url_key == key, P.status == PushState.PENDING)
            .values(
                status=PushState.POSTING,
                claimed_by=worker,
                lease_expires_at=lease_until,
                attempts=P.attempts + 1,
            )
        ).rowcount
        == 1
    )


def finish_post(
    conn: Connection,
    edition_id: int,
    key: str,
    status: PushState,
    now: datetime,
    *,
    error: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Record what became of one post (pending again with ``not_before`` to retry)."""
    conn.execute(
        update(P)
        .where(P.edition_id == edition_id, P.url_key == key, P.status == PushState.POSTING)
        .values(
            status=status,
            error=error,
            not_before=not_before,
            claimed_by=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )


def apprise_counts(conn: Connection, edition_id: int) -> dict[str, int]:
    """How many of the edition's posts are in each state."""
    counts = {
        s.value: 0
        for s in (
            PushState.PENDING,
            PushState.POSTING,
            PushState.SENT,
            PushState.FAILED,
            PushState.UNKNOWN,
        )
    }
    rows = conn.execute(
        select(P.status, func.count()).where(P.edition_id == edition_id).group_by(P.status)
    )
    for status, n in rows:
        counts[str(status)] = int(n)
    counts["total"] = sum(v for k, v in counts.items() if k != "total")
    return counts


def apprise_failures(conn: Connection, edition_id: int) -> list[tuple[str, str, str | None]]:
    """(label, status, error) of each post that failed or is unknown."""
    rows = conn.execute(
        select(P.label, P.status, P.error)
        .where(P.edition_id == edition_id, P.status.in_([PushState.FAILED, PushState.UNKNOWN]))
        .order_by(P.label)
    )
    return [(r[0], str(r[1]), r[2]) for r in rows]


def open_apprise_work(conn: Connection, edition_id: int) -> int:
    """Posts still to be settled."""
    return int(
        conn.execute(
            select(func.count()).where(P.edition_id == edition_id, P.status.in_(OPEN_STATES))
        ).scalar_one()
    )


def next_apprise_due(conn: Connection, edition_id: int, now: datetime) -> datetime | None:
    """When the earliest pending post falls due (``now`` at the latest); None: none pending."""
    row = conn.execute(
        select(P.not_before)
        .where(P.edition_id == edition_id, P.status == PushState.PENDING)
        .order_by(P.not_before.asc().nulls_first())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return now if row[0] is None or row[0] < now else row[0]
