"""Engagement use cases: what readers did with an edition, per segment and over time.

Counts come from the provider's stored events (``engagement_counts``, kept as events
arrive); rates divide by the ledger's figures: delivery and bounce rates by the recipients
the provider accepted (sent), open, click, spam-report and unsubscribe rates by those
delivered. Opens and clicks count each reader once (``opened``, ``clicked``); ``opens`` and
``clicks`` are every event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from digest.store.engagement import (
    AudiencePoint,
    EventTally,
    HourCount,
    audience_history,
    engagement_hours,
    engagement_totals,
    record_audience,
)

if TYPE_CHECKING:
    from digest.app import App

# The kinds the console shows, in its order; the provider's names on the right.
KINDS = (
    ("processed", ("processed",)),
    ("delivered", ("delivered",)),
    ("opened", ("open",)),
    ("clicked", ("click",)),
    ("bounced", ("bounce",)),
    ("dropped", ("dropped",)),
    ("deferred", ("deferred",)),
    ("spam_reports", ("spamreport",)),
    ("unsubscribes", ("unsubscribe", "group_unsubscribe")),
)
CHART_KINDS = ("delivered", "open", "click", "bounce")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class EngagementFigures:
    """One edition's engagement: event counts, distinct readers, and rates."""

    edition_id: int
    segment: str
    edition_date: date
    status: str
    subject: str
    send_started_at: datetime | None
    sent: int  # recipients the provider accepted (the ledger)
    tallies: dict[str, EventTally] = field(default_factory=dict)  # provider event -> tally

    def events(self, *kinds: str) -> int:
        """Events of the provider's ``kinds``."""
        return sum(self.tallies[k].events for k in kinds if k in self.tallies)

    def readers(self, *kinds: str) -> int:
        """Distinct recipients with an event of ``kinds`` (opens and clicks: each once)."""
        return sum(self.tallies[k].recipients for k in kinds if k in self.tallies)

    @property
    def counts(self) -> dict[str, int]:
        """Every kind the console shows: distinct readers for opens and clicks, else events."""
        out = {name: self.events(*kinds) for name, kinds in KINDS}
        out["opened"] = self.readers("open")
        out["clicked"] = self.readers("click")
        out["opens"] = self.events("open")
        out["clicks"] = self.events("click")
        return out

    @property
    def rates(self) -> dict[str, float | None]:
        """Rates as fractions (None when there is nothing to divide by)."""
        c = self.counts
        delivered = c["delivered"]
        return {
            "delivered": _rate(delivered, self.sent),
            "opened": _rate(c["opened"], delivered),
            "clicked": _rate(c["clicked"], delivered),
            "click_to_open": _rate(c["clicked"], c["opened"]),
            "bounced": _rate(c["bounced"], self.sent),
            "spam_reports": _rate(c["spam_reports"], delivered),
            "unsubscribes": _rate(c["unsubscribes"], delivered),
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "edition_id": self.edition_id,
            "segment": self.segment,
            "edition_date": self.edition_date.isoformat(),
            "status": self.status,
            "subject": self.subject,
            "sent": self.sent,
            "counts": self.counts,
            "rates": self.rates,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """Events per kind in equal steps from the send's start (for the events-over-time chart)."""

    start: datetime
    step: timedelta
    series: dict[str, list[int]]  # kind -> events per step

    @property
    def steps(self) -> int:
        return max((len(v) for v in self.series.values()), default=0)


def _editions(app: App, where: Any) -> list[Any]:
    from sqlalchemy import select

    from digest.store.schema import EditionRow

    with app.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    EditionRow.id,
                    EditionRow.segment,
                    EditionRow.edition_date,
                    EditionRow.status,
                    EditionRow.subject,
                    EditionRow.send_started_at,
                )
                .where(where)
                .order_by(EditionRow.edition_date.desc())
            ).all()
        )


def _figures(app: App, rows: list[Any]) -> list[EngagementFigures]:
    from digest.send.workers import is_dead_worker
    from digest.store.ledger_totals import ledgers

    ids = [int(r.id) for r in rows]
    with app.engine.begin() as conn:
        sent = {
            e.edition_id: e.counts.sent
            for e in ledgers(conn, now=app.clock(), is_dead=is_dead_worker, edition_ids=ids)
        }
        tallies = engagement_totals(conn, ids)
    return [
        EngagementFigures(
            edition_id=int(r.id),
            segment=r.segment,
            edition_date=r.edition_date,
            status=r.status,
            subject=r.subject or "",
            send_started_at=r.send_started_at,
            sent=sent.get(int(r.id), 0),
            tallies=tallies.get(int(r.id), {}),
        )
        for r in rows
    ]


def edition_engagement(app: App, segment: str, edition_date: date) -> EngagementFigures | None:
    """The segment's edition of ``edition_date`` with its engagement (None if no edition)."""
    from digest.store.schema import EditionRow

    app.config.segment(segment)
    rows = _editions(
        app, (EditionRow.segment == segment) & (EditionRow.edition_date == edition_date)
    )
    return _figures(app, rows)[0] if rows else None


def segment_engagement(app: App, segment: str, limit: int = 30) -> list[EngagementFigures]:
    """The segment's last ``limit`` editions that began sending, newest first."""
    from digest.store.schema import EditionRow

    app.config.segment(segment)
    rows = _editions(
        app, (EditionRow.segment == segment) & EditionRow.send_started_at.is_not(None)
    )[:limit]
    return _figures(app, rows)


def _step_for(span: timedelta) -> timedelta:
    """A step that keeps a chart under about 48 bars: an hour, 3 or 6 hours, or a day."""
    for hours in (1, 3, 6, 12, 24):
        if span <= timedelta(hours=48 * hours):
            return timedelta(hours=hours)
    return timedelta(days=max(1, span.days // 48 + 1))


def engagement_timeline(
    app: App, figures: EngagementFigures, kinds: tuple[str, ...] = CHART_KINDS
) -> Timeline:
    """The edition's events per step since its send began (hourly counts, merged)."""
    with app.engine.connect() as conn:
        hours: list[HourCount] = engagement_hours(conn, figures.edition_id)
    relevant = [h for h in hours if h.event in kinds]
    start = figures.send_started_at or (relevant[0].hour if relevant else app.clock())
    start = start.replace(minute=0, second=0, microsecond=0)
    end = max([h.hour for h in relevant] + [start])
    step = _step_for(end - start + timedelta(hours=1))
    n = int((end - start) / step) + 1
    series = {k: [0] * n for k in kinds}
    for h in relevant:
        index = max(0, int((h.hour - start) / step))
        series[h.event][min(index, n - 1)] += h.events
    return Timeline(start=start, step=step, series=series)


def audience_over_time(app: App, segment: str, days: int = 90) -> list[AudiencePoint]:
    """The segment's audience per day over ``days`` (recorded days, and today as it is now)."""
    seg = app.config.segment(segment)
    now = app.clock()
    today = now.date()
    with app.engine.connect() as conn:
        points = [
            p
            for p in audience_history(conn, seg.name, today - timedelta(days=days))
            if p.day < today
        ]
        subscribers, eligible = _audience_now(conn, seg, now)
    return [*points, AudiencePoint(today, subscribers, eligible)]


def _audience_now(conn: Any, segment: Any, now: datetime) -> tuple[int, int]:
    from sqlalchemy import func, select

    from digest.store.schema import SubscriberRow, SubscriberSegmentRow
    from digest.store.subscribers import count_segment_recipients

    subscribers = conn.execute(
        select(func.count())
        .select_from(SubscriberSegmentRow)
        .join(SubscriberRow, SubscriberRow.id == SubscriberSegmentRow.subscriber_id)
        .where(SubscriberSegmentRow.segment == segment.name, SubscriberRow.status == "active")
    ).scalar_one()
    return int(subscribers), count_segment_recipients(conn, segment, now)


def record_audiences(app: App) -> None:
    """Remember every segment's audience for today (the scheduler does this each tick)."""
    now = app.clock()
    with app.engine.begin() as conn:
        for segment in app.config.segments:
            subscribers, eligible = _audience_now(conn, segment, now)
            record_audience(conn, segment.name, now.date(), subscribers, eligible, now)
