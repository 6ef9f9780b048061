"""Use cases behind the ops console: every send of the last 30 days and today, one in detail.

A line of the Sends page is a ``SendLine``: the edition's state, the ledger's counts, the
rate of the last two minutes and when the rest should be done. Each carries a ``version``
(its state and the id of its latest history entry): the console's forms send it back, and
``digest.console_controls`` refuses to act on an edition that changed since the page was
drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from digest.store.ledger import DeliveryCounts
from digest.store.schema import EditionHistoryRow, EditionRow, SendBatchRow, SendPlanRow

if TYPE_CHECKING:
    from digest.alerts import AlertView
    from digest.app import App
    from digest.lifecycle import HistoryEntry

SENDS_DAYS = 30
RATE_WINDOW = timedelta(minutes=2)
SCHEDULED = "scheduled"  # a line for an edition due today that is not built yet


@dataclass(frozen=True, slots=True)
class SendLine:
    """One edition (or one due today, not built yet) as the Sends page shows it."""

    segment: str
    edition_date: date
    edition_id: int | None
    state: str  # an EditionState value, or "scheduled"
    subject: str
    counts: DeliveryCounts
    rate: float  # recipients the provider accepted per second, over the last two minutes
    eta: datetime | None  # when the due recipients should all be sent at that rate
    next_due: datetime | None  # held batches' next due time, or when a scheduled one is due
    local_time: bool
    version: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the console's live updates."""
        c = self.counts
        return {
            "key": line_key(self.segment, self.edition_date),
            "segment": self.segment,
            "edition_date": self.edition_date.isoformat(),
            "edition_id": self.edition_id,
            "state": self.state,
            "subject": self.subject,
            "recipients": c.recipients,
            "sent": c.sent,
            "failed": c.failed,
            "suppressed": c.suppressed,
            "unknown": c.unknown,
            "pending": c.pending,
            "held": c.held,
            "in_flight": c.in_flight,
            "rate": round(self.rate, 1),
            "eta": self.eta.isoformat() if self.eta else None,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class TimezoneGroup:
    """The recipients of one time zone of a local-time edition and where they stand."""

    timezone: str
    due_at: datetime | None
    recipients: int
    sent: int
    failed: int
    suppressed: int
    unknown: int
    pending: int
    in_flight: int


@dataclass(frozen=True, slots=True)
class SendDetail:
    """One edition in full: its line, its time-zone groups, its history and its alerts."""

    line: SendLine
    groups: tuple[TimezoneGroup, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    alerts: tuple[AlertView, ...] = ()
    batch_statuses: dict[str, int] = field(default_factory=dict)


def line_key(segment: str, edition_date: date) -> str:
    """The stable id of a line on the page (for live updates)."""
    return f"{segment}/{edition_date.isoformat()}"


def _versions(conn: Connection, edition_ids: Sequence[int]) -> dict[int, int]:
    if not edition_ids:
        return {}
    rows = conn.execute(
        select(EditionHistoryRow.edition_id, func.max(EditionHistoryRow.id))
        .where(EditionHistoryRow.edition_id.in_(list(edition_ids)))
        .group_by(EditionHistoryRow.edition_id)
    )
    return {int(e): int(v or 0) for e, v in rows}


def version_of(state: str, history_id: int) -> str:
    """The token a console form sends back: the state and the latest history entry."""
    return f"{state}:{history_id}"


def _rates(conn: Connection, edition_ids: Sequence[int], now: datetime) -> dict[int, float]:
    if not edition_ids:
        return {}
    rows = conn.execute(
        select(SendBatchRow.edition_id, func.sum(SendBatchRow.recipient_count))
        .where(
            SendBatchRow.edition_id.in_(list(edition_ids)),
            SendBatchRow.status == "accepted",
            SendBatchRow.updated_at >= now - RATE_WINDOW,
        )
        .group_by(SendBatchRow.edition_id)
    )
    return {int(e): int(n or 0) / RATE_WINDOW.total_seconds() for e, n in rows}


def _next_due(conn: Connection, edition_ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    if not edition_ids:
        return {}
    rows = conn.execute(
        select(SendBatchRow.edition_id, func.min(SendBatchRow.not_before))
        .where(
            SendBatchRow.edition_id.in_(list(edition_ids)),
            SendBatchRow.status == "pending",
            SendBatchRow.not_before > now,
        )
        .group_by(SendBatchRow.edition_id)
    )
    return {int(e): d for e, d in rows if d is not None}


def _eta(counts: DeliveryCounts, rate: float, state: str, now: datetime) -> datetime | None:
    due = counts.pending - counts.held + counts.in_flight
    if state != "sending" or due <= 0 or rate <= 0:
        return None
    return now + timedelta(seconds=due / rate)


def _edition_rows(
    conn: Connection, since: date, segment: str | None, edition_date: date | None
) -> list[Any]:
    query = select(
        EditionRow.id,
        EditionRow.segment,
        EditionRow.edition_date,
        EditionRow.status,
        EditionRow.subject,
        SendPlanRow.local_time,
    ).outerjoin(SendPlanRow, SendPlanRow.edition_id == EditionRow.id)
    if edition_date is not None:
        query = query.where(EditionRow.edition_date == edition_date)
    else:
        query = query.where(EditionRow.edition_date >= since)
    if segment is not None:
        query = query.where(EditionRow.segment == segment)
    return list(conn.execute(query.order_by(EditionRow.edition_date.desc(), EditionRow.segment)))


def send_lines(
    app: App,
    *,
    days: int = SENDS_DAYS,
    segment: str | None = None,
    edition_date: date | None = None,
) -> list[SendLine]:
    """The editions of the last ``days`` days (or of one segment and date), newest first,
    with a ``scheduled`` line for each segment due later today that has no edition yet."""
    from digest.send.workers import is_dead_worker
    from digest.store.ledger_totals import ledgers

    now = app.clock()
    since = now.date() - timedelta(days=days)
    with app.engine.begin() as conn:
        rows = _edition_rows(conn, since, segment, edition_date)
        ids = [int(r.id) for r in rows]
        counted = {
            e.edition_id: e.counts
            for e in ledgers(conn, now=now, is_dead=is_dead_worker, edition_ids=ids)
        }
        versions = _versions(conn, ids)
        rates = _rates(conn, ids, now)
        held_until = _next_due(conn, ids, now)
    lines = []
    for r in rows:
        eid = int(r.id)
        counts = counted.get(eid) or DeliveryCounts(0, 0, 0, 0, 0, 0)
        rate = rates.get(eid, 0.0) if r.status == "sending" else 0.0
        lines.append(
            SendLine(
                segment=r.segment,
                edition_date=r.edition_date,
                edition_id=eid,
                state=str(r.status),
                subject=r.subject or "",
                counts=counts,
                rate=rate,
                eta=_eta(counts, rate, str(r.status), now),
                next_due=held_until.get(eid),
                local_time=bool(r.local_time),
                version=version_of(str(r.status), versions.get(eid, 0)),
            )
        )
    if edition_date is None:
        built = {(line.segment, line.edition_date) for line in lines}
        lines = _scheduled_today(app, now, built, segment) + lines
    return lines


def _scheduled_today(
    app: App, now: datetime, built: set[tuple[str, date]], only: str | None
) -> list[SendLine]:
    """A line for each segment whose next run falls on its local today with no edition yet."""
    from digest.editions import local_today
    from digest.scheduling.timing import edition_date_for, next_run_time

    out = []
    for seg in app.config.segments:
        if only is not None and seg.name != only:
            continue
        today = local_today(seg, now)
        due = next_run_time(seg, now)
        if edition_date_for(seg, due) != today or (seg.name, today) in built:
            continue
        out.append(
            SendLine(
                segment=seg.name,
                edition_date=today,
                edition_id=None,
                state=SCHEDULED,
                subject="",
                counts=DeliveryCounts(0, 0, 0, 0, 0, 0),
                rate=0.0,
                eta=None,
                next_due=due,
                local_time=seg.local_time_delivery,
                version=version_of("none", 0),
            )
        )
    return out


def send_detail(app: App, segment: str, edition_date: date) -> SendDetail | None:
    """One edition in full (None if it does not exist)."""
    from digest.alerts import active_alerts
    from digest.lifecycle import history
    from digest.send.workers import is_dead_worker
    from digest.store.ledger_totals import ledgers, timezone_groups

    app.config.segment(segment)
    lines = send_lines(app, segment=segment, edition_date=edition_date)
    if not lines or lines[0].edition_id is None:
        return None
    line = lines[0]
    eid = line.edition_id
    assert eid is not None
    now = app.clock()
    with app.engine.begin() as conn:
        entries = tuple(history(conn, eid))
        zones = timezone_groups(conn, eid, now=now, is_dead=is_dead_worker)
        groups = _zone_groups(app, segment, edition_date, zones) if line.local_time else ()
        (ledger,) = ledgers(conn, now=now, is_dead=is_dead_worker, edition_ids=[eid]) or (None,)
    alerts = tuple(a for a in active_alerts(app, segment) if a.record.edition_date == edition_date)
    return SendDetail(
        line=line,
        groups=groups,
        history=entries,
        alerts=alerts,
        batch_statuses=dict(ledger.batches) if ledger is not None else {},
    )


def _zone_groups(
    app: App, segment: str, edition_date: date, zones: list[dict[str, Any]]
) -> tuple[TimezoneGroup, ...]:
    """Each zone's figures with its send time on its own clock, earliest first."""
    from digest.send.local_time import local_due_time

    seg = app.config.segment(segment)
    groups = [
        TimezoneGroup(
            **{**z, "due_at": local_due_time(seg, edition_date, z["timezone"] or seg.timezone)}
        )
        for z in zones
    ]
    return tuple(sorted(groups, key=lambda g: (g.due_at, g.timezone)))
