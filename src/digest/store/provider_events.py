"""Provider webhook events, applied in bulk: a handful of statements per post, whatever its size.

A post of a thousand events is one INSERT of the new event ids (ON CONFLICT DO NOTHING, so a
replay changes nothing), one upsert of the suppressions, one UPDATE per subscriber status,
and one UPDATE per edition for its counters, added up per post. Locks are taken in one
order by every post — event ids, then the subscribers concerned (all at once, by id), then
suppressions (by address), then editions (by id) — so concurrent posts wait for each other
but never deadlock; the edition rows, which every post touches, come last so their locks
are held only until the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    String,
    bindparam,
    case,
    column,
    func,
    select,
    update,
)

from digest.store.db import upsert_insert
from digest.store.schema import ConsentRow, EditionRow, ProviderEventRow, SubscriberRow
from digest.store.schema import SuppressionRow as Suppressions
from digest.store.subscriptions import SUPPRESSION_SEVERITY

EDITION_COUNTERS = {
    "processed": EditionRow.processed_count,
    "delivered": EditionRow.delivered_count,
    "open": EditionRow.open_count,
    "click": EditionRow.click_count,
    "bounce": EditionRow.bounce_count,
}


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One provider event as stored: its id (unique per provider) and what it said."""

    event_id: str
    event: str
    email: str | None
    edition_id: int | None
    occurred_at: datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SuppressionInput:
    """An address to suppress, why, and the provider's words for it."""

    email: str
    reason: str
    detail: str | None = None


def insert_new_events(
    conn: Connection, provider: str, events: Sequence[EventRecord], received_at: datetime
) -> set[str]:
    """Store the events not stored before, in one statement; the ids that were new."""
    if not events:
        return set()
    ordered = sorted({e.event_id: e for e in events}.values(), key=lambda e: e.event_id)
    if conn.dialect.name == "postgresql":
        return _insert_new_events_pg(conn, provider, ordered, received_at)
    stmt = (
        upsert_insert(conn, ProviderEventRow)
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEventRow.event_id)
    )
    rows = [
        {
            "provider": provider,
            "event_id": e.event_id,
            "event": e.event,
            "email": e.email,
            "edition_id": e.edition_id,
            "occurred_at": e.occurred_at,
            "received_at": received_at,
            "payload": e.payload,
        }
        for e in ordered
    ]
    return set(conn.execute(stmt, rows).scalars())


def _insert_new_events_pg(
    conn: Connection, provider: str, events: Sequence[EventRecord], received_at: datetime
) -> set[str]:
    """PostgreSQL: the whole post travels as one JSON parameter, unpacked by the server."""
    # json, not jsonb: the payload goes into a json column as it came, unparsed twice
    records = func.json_to_recordset(bindparam("events", type_=JSON)).table_valued(
        column("event_id", String),
        column("event", String),
        column("email", String),
        column("edition_id", BigInteger),
        column("occurred_at", DateTime(timezone=True)),
        column("payload", JSON),
    )
    records = records.render_derived(name="r", with_types=True)
    source = select(
        bindparam("provider", provider, type_=String),
        records.c.event_id,
        records.c.event,
        records.c.email,
        records.c.edition_id,
        records.c.occurred_at,
        bindparam("received_at", received_at, type_=ProviderEventRow.received_at.type),
        records.c.payload,
    ).select_from(records)
    stmt = (
        upsert_insert(conn, ProviderEventRow)
        .from_select(
            [
                "provider",
                "event_id",
                "event",
                "email",
                "edition_id",
                "occurred_at",
                "received_at",
                "payload",
            ],
            source,
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(ProviderEventRow.event_id)
    )
    data = [
        {
            "event_id": e.event_id,
            "event": e.event,
            "email": e.email,
            "edition_id": e.edition_id,
            "occurred_at": e.occurred_at.isoformat() if e.occurred_at else None,
            "payload": e.payload,
        }
        for e in events
    ]
    return set(conn.execute(stmt, {"events": data}).scalars())


def _severity_of(reason: Any) -> Any:
    return case({name: rank for name, rank in SUPPRESSION_SEVERITY.items()}, value=reason, else_=0)


def suppress_addresses(
    conn: Connection, items: Iterable[SuppressionInput], source: str, now: datetime
) -> int:
    """Suppress each address, a stronger reason replacing a weaker one; how many were given.

    An address named twice keeps its strongest reason (and that reason's detail).
    """
    strongest: dict[str, SuppressionInput] = {}
    for item in items:
        if item.reason not in SUPPRESSION_SEVERITY:
            raise ValueError(f"unknown suppression reason {item.reason!r}")
        held = strongest.get(item.email)
        if held is None or SUPPRESSION_SEVERITY[item.reason] > SUPPRESSION_SEVERITY[held.reason]:
            strongest[item.email] = item
    if not strongest:
        return 0
    stmt = upsert_insert(conn, Suppressions.__table__)  # Core: no ORM bulk bookkeeping
    stmt = stmt.on_conflict_do_update(
        index_elements=["email"],
        set_={
            "reason": stmt.excluded.reason,
            "source": stmt.excluded.source,
            "detail": stmt.excluded.detail,
            "created_at": stmt.excluded.created_at,
        },
        where=_severity_of(stmt.excluded.reason) > _severity_of(Suppressions.__table__.c.reason),
    )
    conn.execute(
        stmt,
        [
            {
                "email": s.email,
                "reason": s.reason,
                "source": source,
                "detail": s.detail,
                "created_at": now,
            }
            for s in sorted(strongest.values(), key=lambda s: s.email)
        ],
    )
    return len(strongest)


def lock_subscribers_by_email(conn: Connection, emails: Iterable[str]) -> None:
    """Lock the subscribers with these addresses, in id order, before changing any of them.

    Every post takes its subscriber locks at once and in the same order, so two posts that
    touch the same addresses (in whatever order their events came) wait, never deadlock.
    """
    wanted = sorted(set(emails))
    if wanted:
        conn.execute(
            select(SubscriberRow.id)
            .where(SubscriberRow.email.in_(wanted))
            .order_by(SubscriberRow.id)
            .with_for_update()
        ).all()


def set_status_of_addresses(
    conn: Connection,
    emails: Iterable[str],
    status: str,
    now: datetime,
    *,
    unless: Sequence[str] = (),
) -> int:
    """Set the status of the subscribers with these addresses (unless it is one of ``unless``)."""
    wanted = sorted(set(emails))
    if not wanted:
        return 0
    stmt = (
        update(SubscriberRow)
        .where(SubscriberRow.email.in_(wanted))
        .values(status=status, updated_at=now)
    )
    if unless:
        stmt = stmt.where(SubscriberRow.status.not_in(list(unless)))
    return int(conn.execute(stmt).rowcount or 0)


def unsubscribe_addresses(
    conn: Connection, emails: Iterable[str], source: str, now: datetime
) -> list[int]:
    """Unsubscribe the active or pending subscribers with these addresses from everything.

    Each gets a consent record naming ``source``; the ids of those unsubscribed are returned.
    Suppressing the addresses is the caller's (``suppress_addresses``).
    """
    wanted = sorted(set(emails))
    if not wanted:
        return []
    ids = list(
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.email.in_(wanted), SubscriberRow.status.in_(["active", "pending"]))
            .values(status="unsubscribed", updated_at=now)
            .returning(SubscriberRow.id)
        ).scalars()
    )
    if ids:
        conn.execute(
            upsert_insert(conn, ConsentRow.__table__),
            [
                {
                    "subscriber_id": sub_id,
                    "action": "unsubscribe",
                    "at": now,
                    "source": source,
                    "detail": {"segment": None, "scope": "all"},
                }
                for sub_id in sorted(ids)
            ],
        )
    return ids


def add_edition_counts(conn: Connection, counts: Mapping[int, Mapping[str, int]]) -> int:
    """Add each edition's counts (processed, delivered, open, click, bounce) in one UPDATE each.

    Editions that do not exist are left alone; returns how many editions were updated.
    """
    rows = []
    for edition_id in sorted(counts):
        by_kind = counts[edition_id]
        unknown = set(by_kind) - set(EDITION_COUNTERS)
        if unknown:
            raise ValueError(f"unknown edition counter(s) {', '.join(sorted(unknown))}")
        rows.append({"b_id": edition_id, **{f"b_{k}": by_kind.get(k, 0) for k in EDITION_COUNTERS}})
    if not rows:
        return 0
    stmt = (
        update(EditionRow)
        .where(EditionRow.id == bindparam("b_id"))
        .values({col.key: col + bindparam(f"b_{kind}") for kind, col in EDITION_COUNTERS.items()})
    )
    updated = 0
    for row in rows:  # one statement each, in id order: rowcount per edition, same lock order
        updated += int(conn.execute(stmt, row).rowcount or 0)
    return updated
