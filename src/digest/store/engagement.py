"""Engagement counts: provider events per edition, kind and hour, and segment audiences by day.

``count_applied_events`` runs in the transaction that stores fresh provider events, so the
counts always equal the stored events; readers (the console, ``/metrics``) never scan the
events table, which grows by several rows per recipient and edition. ``recount_engagement``
rebuilds an edition's counts from its stored events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from digest.store.db import upsert_insert
from digest.store.schema import (
    AudienceSnapshotRow,
    EngagementCountRow,
    EngagementRecipientRow,
    ProviderEventRow,
)

# Kinds a reader may trigger many times: their ``recipients`` count each address once.
UNIQUE_TRACKED = ("open", "click")
NO_EDITION = 0  # the edition id events that name no edition are counted under


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """A provider event just stored: its edition, kind, address and when it happened."""

    edition_id: int | None
    event: str
    email: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class EventTally:
    """How many events of one kind, and from how many distinct recipients."""

    events: int
    recipients: int


@dataclass(frozen=True, slots=True)
class HourCount:
    """Events of one kind in one hour (UTC, the start of the hour)."""

    hour: datetime
    event: str
    events: int


@dataclass(frozen=True, slots=True)
class AudiencePoint:
    """A segment's audience on one day."""

    day: date
    subscribers: int
    eligible: int


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def count_applied_events(conn: Connection, events: Sequence[AppliedEvent]) -> None:
    """Add freshly stored events to the counts (in the transaction that stored them)."""
    if not events:
        return
    ordered = sorted(events, key=lambda e: e.at)
    firsts = _first_recipients(conn, ordered)
    slots: dict[tuple[int, str, datetime], list[int]] = {}
    credited: set[tuple[int, str, str]] = set()
    for ev in ordered:
        edition = ev.edition_id or NO_EDITION
        slot = slots.setdefault((edition, ev.event, _hour(ev.at)), [0, 0])
        slot[0] += 1
        if ev.event not in UNIQUE_TRACKED:
            slot[1] += 1
        elif ev.email and (edition, ev.event, ev.email) in firsts:
            key = (edition, ev.event, ev.email)
            if key not in credited:  # the recipient's earliest event of the kind counts
                credited.add(key)
                slot[1] += 1
    stmt = upsert_insert(conn, EngagementCountRow.__table__)  # Core: no ORM bulk bookkeeping
    rows = [
        {"edition_id": e, "event": k, "hour": h, "events": n, "recipients": r}
        for (e, k, h), (n, r) in sorted(slots.items())  # one lock order for every writer
    ]
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["edition_id", "event", "hour"],
            set_={
                "events": stmt.table.c.events + stmt.excluded.events,
                "recipients": stmt.table.c.recipients + stmt.excluded.recipients,
            },
        ),
        rows,
    )


def _first_recipients(
    conn: Connection, events: Iterable[AppliedEvent]
) -> set[tuple[int, str, str]]:
    """(edition, kind, email) seen for the first time ever among ``events``."""
    keys = sorted(
        {
            (ev.edition_id or NO_EDITION, ev.event, ev.email)
            for ev in events
            if ev.event in UNIQUE_TRACKED and ev.email
        }
    )
    if not keys:
        return set()
    # executemany with RETURNING: one statement compiled once and cached, sent in batches
    # (a multi-row VALUES of this post's length would be compiled afresh for every post)
    rows = conn.execute(
        upsert_insert(conn, EngagementRecipientRow.__table__)
        .on_conflict_do_nothing(index_elements=["edition_id", "event", "email"])
        .returning(
            EngagementRecipientRow.edition_id,
            EngagementRecipientRow.event,
            EngagementRecipientRow.email,
        ),
        [{"edition_id": e, "event": k, "email": m} for e, k, m in keys],
    ).all()
    return {(int(r[0]), str(r[1]), str(r[2])) for r in rows}


def engagement_totals(
    conn: Connection, edition_ids: Sequence[int]
) -> dict[int, dict[str, EventTally]]:
    """Each edition's events and distinct recipients per kind."""
    out: dict[int, dict[str, EventTally]] = {eid: {} for eid in edition_ids}
    if not edition_ids:
        return out
    rows = conn.execute(
        select(
            EngagementCountRow.edition_id,
            EngagementCountRow.event,
            func.sum(EngagementCountRow.events),
            func.sum(EngagementCountRow.recipients),
        )
        .where(EngagementCountRow.edition_id.in_(list(edition_ids)))
        .group_by(EngagementCountRow.edition_id, EngagementCountRow.event)
    )
    for eid, kind, n, r in rows:
        out[int(eid)][str(kind)] = EventTally(int(n or 0), int(r or 0))
    return out


def engagement_hours(conn: Connection, edition_id: int) -> list[HourCount]:
    """The edition's events per hour and kind, oldest first."""
    rows = conn.execute(
        select(EngagementCountRow.hour, EngagementCountRow.event, EngagementCountRow.events)
        .where(EngagementCountRow.edition_id == edition_id)
        .order_by(EngagementCountRow.hour, EngagementCountRow.event)
    )
    return [HourCount(hour=h, event=str(k), events=int(n)) for h, k, n in rows]


def applied_event_totals(conn: Connection) -> dict[str, int]:
    """Every provider event applied so far, per kind."""
    rows = conn.execute(
        select(EngagementCountRow.event, func.sum(EngagementCountRow.events)).group_by(
            EngagementCountRow.event
        )
    )
    return {str(k): int(n or 0) for k, n in rows}


def recount_engagement(conn: Connection, edition_id: int) -> int:
    """Rebuild one edition's counts from its stored events; how many events were counted."""
    conn.execute(delete(EngagementCountRow).where(EngagementCountRow.edition_id == edition_id))
    conn.execute(
        delete(EngagementRecipientRow).where(EngagementRecipientRow.edition_id == edition_id)
    )
    column: Any = ProviderEventRow.edition_id
    where = column.is_(None) if edition_id == NO_EDITION else column == edition_id
    rows = conn.execute(
        select(
            ProviderEventRow.event,
            ProviderEventRow.email,
            ProviderEventRow.occurred_at,
            ProviderEventRow.received_at,
        )
        .where(where)
        .order_by(ProviderEventRow.id)
    ).all()
    applied = [AppliedEvent(edition_id, str(k), m, o or r) for k, m, o, r in rows]
    for start in range(0, len(applied), 5000):
        count_applied_events(conn, applied[start : start + 5000])
    return len(applied)


def record_audience(
    conn: Connection, segment: str, day: date, subscribers: int, eligible: int, now: datetime
) -> None:
    """Remember the segment's audience for ``day`` (the latest figures of the day win)."""
    stmt = upsert_insert(conn, AudienceSnapshotRow).values(
        segment=segment, day=day, subscribers=subscribers, eligible=eligible, recorded_at=now
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["segment", "day"],
            set_={"subscribers": subscribers, "eligible": eligible, "recorded_at": now},
        )
    )


def audience_history(conn: Connection, segment: str, since: date) -> list[AudiencePoint]:
    """The segment's recorded audience from ``since`` on, oldest first."""
    rows = conn.execute(
        select(
            AudienceSnapshotRow.day, AudienceSnapshotRow.subscribers, AudienceSnapshotRow.eligible
        )
        .where(AudienceSnapshotRow.segment == segment, AudienceSnapshotRow.day >= since)
        .order_by(AudienceSnapshotRow.day)
    )
    return [AudiencePoint(d, int(s), int(e)) for d, s, e in rows]
