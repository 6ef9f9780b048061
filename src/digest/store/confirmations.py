"""Double opt-in: an address waits as a pending subscriber until its owner confirms.

Creating or refreshing the pending subscriber from the subscribe form, and activating it with
the confirmed request's segments. Each function takes a Connection inside the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, update

from digest.store.db import upsert_insert
from digest.store.preferences import replace_segments, segments_of
from digest.store.schema import SubscriberRow, SuppressionRow
from digest.store.subscribers import subscriber_id_for_email


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a person asked for on the subscribe form (validated, email normalised)."""

    email: str
    segments: tuple[str, ...]
    topics: tuple[str, ...]
    locale: str
    timezone: str
    name: str = ""


def create_pending_subscriber(
    conn: Connection, request: SubscriptionRequest, now: datetime
) -> tuple[int, bool]:
    """Create the address as a pending subscriber; (id, True) if new, (id, False) if it existed.

    A new pending subscriber gets no segment opt-ins: they are written when the address is
    confirmed, from the subscribe request the confirmation link names.
    """
    new_id = conn.execute(
        upsert_insert(conn, SubscriberRow)
        .values(
            email=request.email,
            name=request.name,
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            attributes={},
            status="pending",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(SubscriberRow.id)
    ).scalar_one_or_none()
    if new_id is not None:
        return int(new_id), True
    existing = subscriber_id_for_email(conn, request.email)
    if existing is None:  # pragma: no cover - the row we collided with cannot vanish mid-call
        raise RuntimeError(f"subscriber {request.email} vanished during insert")
    return existing, False


def update_pending_subscriber(
    conn: Connection, subscriber_id: int, request: SubscriptionRequest, now: datetime
) -> None:
    """Replace a still-pending subscriber's locale, timezone, topics and name with the request's."""
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id, SubscriberRow.status == "pending")
        .values(
            name=request.name,
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            updated_at=now,
        )
    )


def confirm_subscriber(
    conn: Connection,
    subscriber_id: int,
    request: SubscriptionRequest,
    now: datetime,
    *,
    keep_segments: bool,
) -> None:
    """Activate the subscriber with the confirmed request's segments and settings.

    With ``keep_segments`` (an active subscriber adding segments) the request's segments are
    added to the existing ones; otherwise they replace them. An unsubscribe suppression is
    lifted because the address owner has just opted in again.
    """
    current = set(segments_of(conn, subscriber_id)) if keep_segments else set()
    replace_segments(conn, subscriber_id, current | set(request.segments))
    conn.execute(
        update(SubscriberRow)
        .where(SubscriberRow.id == subscriber_id)
        .values(
            status="active",
            locale=request.locale,
            timezone=request.timezone,
            topics=list(request.topics),
            name=request.name or SubscriberRow.name,
            confirmed_at=now,
            updated_at=now,
            paused_until=None,
        )
    )
    conn.execute(
        delete(SuppressionRow).where(
            SuppressionRow.email == request.email, SuppressionRow.reason == "unsubscribe"
        )
    )
