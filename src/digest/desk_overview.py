"""The desk's home: each segment's next edition (and any still open), and the last sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from digest.app import App
from digest.approval import approval_deadline, held_reason
from digest.config import Segment
from digest.lifecycle import FINAL, EditionState
from digest.scheduling.timing import edition_date_for, next_run_time, previous_run_time
from digest.store.editions import edition_for
from digest.store.editorial import editorial_state, sent_editions

RECENT_SENT = 10


@dataclass(frozen=True, slots=True)
class NextEdition:
    """One segment's edition that is coming (or due and not finished)."""

    segment: Segment
    edition_date: date
    due_at: datetime
    draft_at: datetime  # when the scheduler builds the draft
    status: EditionState | None  # None: nothing stored yet
    articles: int
    approval_required: bool
    deadline: datetime | None
    approved_by: str | None
    held_reason: str | None


@dataclass(frozen=True, slots=True)
class SentEdition:
    """An edition that went out (or is going out)."""

    segment: str
    edition_date: date
    subject: str
    status: EditionState
    at: datetime | None


def due_on(segment: Segment, edition_date: date) -> datetime | None:
    """When the segment's edition for ``edition_date`` is due (None: no run that day)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(segment.timezone)
    start = datetime(edition_date.year, edition_date.month, edition_date.day, tzinfo=tz)
    due = next_run_time(segment, start - timedelta(microseconds=1))
    return due if edition_date_for(segment, due) == edition_date else None


def _next(app: App, segment: Segment, due: datetime) -> NextEdition:
    edition_date = edition_date_for(segment, due)
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment.name, edition_date)
        state = editorial_state(conn, edition.id) if edition and edition.id else None
    status = edition.status if edition else None
    return NextEdition(
        segment=segment,
        edition_date=edition_date,
        due_at=due,
        draft_at=due - timedelta(hours=segment.draft_lead_hours),
        status=status,
        articles=len(edition.items) if edition else 0,
        approval_required=segment.approval == "required",
        deadline=approval_deadline(segment, due),
        approved_by=state.approved_by if state and state.approved_hash else None,
        held_reason=held_reason(app, edition) if edition and status is EditionState.HELD else None,
    )


def next_editions(app: App) -> list[NextEdition]:
    """Per segment: the last due edition while it is still open, then the next one."""
    now = app.clock()
    out: list[NextEdition] = []
    for segment in app.config.segments:
        previous = previous_run_time(segment, now)
        if previous is not None:
            current = _next(app, segment, previous)
            if current.status is not None and current.status not in FINAL:
                out.append(current)
        upcoming = _next(app, segment, next_run_time(segment, now))
        if (
            not out
            or out[-1].segment is not segment
            or out[-1].edition_date != upcoming.edition_date
        ):
            out.append(upcoming)
    return out


def last_sent(app: App, limit: int = RECENT_SENT) -> list[SentEdition]:
    """The editions sent (or being sent) most recently, newest first."""
    with app.engine.connect() as conn:
        rows = sent_editions(conn, limit)
    return [
        SentEdition(
            segment=r.segment,
            edition_date=r.edition_date,
            subject=r.subject,
            status=EditionState(r.status),
            at=r.finished_at or r.send_started_at,
        )
        for r in rows
    ]


def default_edition_date(app: App, segment_name: str) -> date:
    """The edition an editor most likely means: the segment's open or next one."""
    segment = app.config.segment(segment_name)
    for upcoming in next_editions(app):
        if upcoming.segment is segment:
            return upcoming.edition_date
    return edition_date_for(segment, next_run_time(segment, app.clock()))  # pragma: no cover
