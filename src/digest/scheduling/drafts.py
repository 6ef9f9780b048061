"""Drafts ahead of time: each segment's next edition is built ``draft_lead_hours`` before
it is due, so editors have something to review, and held at the approval deadline when the
segment requires an approval that has not come (``on_unapproved: hold``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from digest.app import App
from digest.approval import approval_deadline, hold_unapproved
from digest.config import Segment
from digest.editorial import ensure_edition
from digest.scheduling.timing import edition_date_for, next_run_time

log = logging.getLogger("digest.schedule")


def upcoming_due(segment: Segment, now: datetime) -> datetime:
    """The segment's next due time after ``now``."""
    return next_run_time(segment, now)


def prepare_segment(app: App, segment: Segment, now: datetime) -> str | None:
    """Build the segment's next draft once inside its lead time; hold it past the deadline.

    A note of what was done, or None.
    """
    due = upcoming_due(segment, now)
    if now < due - timedelta(hours=segment.draft_lead_hours):
        return None
    edition_date = edition_date_for(segment, due)
    edition = ensure_edition(app, segment, edition_date, actor="scheduler")
    deadline = approval_deadline(segment, due)
    if deadline is not None and now >= deadline:
        reason = hold_unapproved(app, segment, edition_date, deadline)
        if reason:
            log.warning("%s %s: held: %s", segment.name, edition_date, reason)
            return f"{segment.name} {edition_date}: held ({reason})"
    return f"{segment.name} {edition_date}: draft ready ({edition.status})"


def prepare_drafts(app: App) -> list[str]:
    """Every segment's next draft, built or held as its policy says; notes of what was done."""
    notes: list[str] = []
    for segment in app.config.segments:
        try:
            note = prepare_segment(app, segment, app.clock())
        except Exception as exc:  # one segment's problem must not stop the others
            log.exception("%s: preparing the next draft failed", segment.name)
            note = f"{segment.name}: preparing the next draft failed: {exc}"
        if note:
            notes.append(note)
    return notes
