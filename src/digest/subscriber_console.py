"""Use cases behind the console's Subscribers page: search, one person in full, suppress or
lift a suppression with a reason (recorded in the audit log), export.

"Why does (or doesn't) this person get mail?" is answered by the profile: their status and
segments, their suppression, their whole consent record, and what the last editions did
for them (the ledger's status, read as ``digest status`` reads it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from digest.audit import AuditAction, record_action
from digest.store.schema import SubscriberRow, SuppressionRow
from digest.store.subscribers import SubscriberRecord, subscriber_by_id
from digest.store.subscriptions import (
    SUPPRESSION_REASONS,
    ConsentRecord,
    Suppression,
    add_suppression,
    consents_for_subscriber,
    list_suppressions,
    remove_suppression,
    set_subscriber_status_by_email,
    suppression_for,
)

if TYPE_CHECKING:
    from digest.app import App

SEARCH_LIMIT = 50
DELIVERY_EDITIONS = 30
REASON_MAX = 500


class SubscriberAdminError(Exception):
    """The request cannot be carried out as asked (bad address, no reason, unknown reason)."""


@dataclass(frozen=True, slots=True)
class SubscriberHit:
    """A search result."""

    id: int
    email: str
    name: str
    status: str
    suppressed: str | None  # the suppression reason, if any


@dataclass(frozen=True, slots=True)
class DeliveryLine:
    """What one edition did for the subscriber."""

    segment: str
    edition_date: date
    status: str  # sent, failed, suppressed, unknown, pending
    error: str | None


@dataclass(frozen=True, slots=True)
class SubscriberProfile:
    """One person in full."""

    record: SubscriberRecord
    suppression: Suppression | None
    consents: tuple[ConsentRecord, ...]
    deliveries: tuple[DeliveryLine, ...]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_subscribers(app: App, query: str, limit: int = SEARCH_LIMIT) -> list[SubscriberHit]:
    """Subscribers whose address contains ``query`` (case-insensitive), exact match first."""
    needle = query.strip().lower()
    if not needle:
        return []
    exact = (SubscriberRow.email == needle).label("exact")
    rows = (
        select(
            SubscriberRow.id,
            SubscriberRow.email,
            SubscriberRow.name,
            SubscriberRow.status,
            SuppressionRow.reason,
        )
        .outerjoin(SuppressionRow, SuppressionRow.email == SubscriberRow.email)
        .where(SubscriberRow.email.like(_like(needle), escape="\\"))
        .order_by(exact.desc(), SubscriberRow.email)
        .limit(limit)
    )
    with app.engine.connect() as conn:
        return [SubscriberHit(int(r[0]), r[1], r[2] or "", r[3], r[4]) for r in conn.execute(rows)]


def subscriber_profile(app: App, subscriber_id: int) -> SubscriberProfile | None:
    """The subscriber with their suppression, consents and recent deliveries (None if gone)."""
    from digest.send.workers import is_dead_worker
    from digest.store.ledger_totals import deliveries_of

    now = app.clock()
    with app.engine.connect() as conn:
        record = subscriber_by_id(conn, subscriber_id)
        if record is None:
            return None
        suppression = suppression_for(conn, record.email)
        consents = tuple(consents_for_subscriber(conn, subscriber_id))
        deliveries = tuple(
            DeliveryLine(*row)
            for row in deliveries_of(
                conn, subscriber_id, DELIVERY_EDITIONS, now=now, is_dead=is_dead_worker
            )
        )
    return SubscriberProfile(record, suppression, consents, deliveries)


def _address(email: str) -> str:
    from digest.addresses import InvalidAddress, normalise_address

    try:
        return normalise_address(email or "")
    except InvalidAddress as exc:
        raise SubscriberAdminError(str(exc)) from None


def _reason_text(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise SubscriberAdminError("say why (a reason is recorded with every change)")
    return text[:REASON_MAX]


def suppress(app: App, email: str, reason: str, why: str, *, actor: str) -> bool:
    """Stop all mail to ``email`` (subscriber or not); True if newly or more strongly so."""
    address = _address(email)
    if reason not in SUPPRESSION_REASONS:
        raise SubscriberAdminError(f"unknown reason {reason!r}; one of {SUPPRESSION_REASONS}")
    note = _reason_text(why)
    now = app.clock()
    with app.engine.begin() as conn:
        before = suppression_for(conn, address)
        changed = add_suppression(conn, address, reason, "desk", now, note)
        status = {"bounce": "bounced", "dropped": "bounced", "spamreport": "complained"}.get(reason)
        if changed and status is not None:
            set_subscriber_status_by_email(conn, address, status, now)
        if changed:
            record_action(
                conn,
                actor=actor,
                action=AuditAction.SUPPRESS,
                now=now,
                target=address,
                before=before.reason if before else None,
                after={"reason": reason, "note": note},
            )
    return changed


def lift_suppression(app: App, email: str, why: str, *, actor: str) -> bool:
    """Lift the address's suppression (its subscriber status is left as it is); True if
    there was one. The reason is kept in the audit log."""
    address = _address(email)
    note = _reason_text(why)
    now = app.clock()
    with app.engine.begin() as conn:
        before = suppression_for(conn, address)
        if before is None or not remove_suppression(conn, address):
            return False
        record_action(
            conn,
            actor=actor,
            action=AuditAction.LIFT_SUPPRESSION,
            now=now,
            target=address,
            before={"reason": before.reason, "source": before.source, "note": before.detail},
            after={"lifted": note},
        )
    return True


def suppressions(app: App, reason: str | None = None, limit: int = 200) -> list[Suppression]:
    """Suppressed addresses, newest first."""
    with app.engine.connect() as conn:
        return list_suppressions(conn, reason, limit)


def suppression_counts(app: App) -> dict[str, int]:
    """Suppressed addresses per reason."""
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(SuppressionRow.reason, func.count()).group_by(SuppressionRow.reason)
        )
        return {str(r): int(n) for r, n in rows}


def note_export(app: App, what: str, *, actor: str) -> None:
    """Record in the audit log that ``actor`` exported ``what`` (personal data leaving)."""
    with app.engine.begin() as conn:
        record_action(conn, actor=actor, action=AuditAction.EXPORT, now=app.clock(), target=what)


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def export_subscribers_csv(app: App) -> Iterator[str]:
    """Every subscriber as CSV lines (the import columns plus status), streamed, cells safe
    for spreadsheets (the same rows as ``digest subscribers export``)."""
    from digest.subscriber_admin import export_subscribers

    for row in export_subscribers(app):
        yield _csv_line(row)


def export_suppressions_csv(app: App) -> Iterator[str]:
    """Every suppression as CSV lines: email, reason, source, since, note."""
    yield _csv_line(["email", "reason", "source", "since", "note"])
    with app.engine.connect() as conn:
        for s in list_suppressions(conn):
            yield _csv_line([s.email, s.reason, s.source, s.created_at.isoformat(), s.detail or ""])
