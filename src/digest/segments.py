"""Use case: each segment at a glance — subscribers, next run, latest edition, last decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.app import App
from digest.config import Segment


def segment_summaries(app: App) -> list[dict[str, Any]]:
    """One JSON-ready summary per configured segment (what `digest segments` shows)."""
    from digest.schedule import last_outcomes, next_run_time
    from digest.store.editions import recent_editions
    from digest.store.subscribers import count_segment_recipients

    now = app.clock()
    decisions = last_outcomes(app)
    rows: list[dict[str, Any]] = []
    with app.engine.connect() as conn:
        for seg in app.config.segments:
            nxt = next_run_time(seg, now)
            recent = recent_editions(conn, seg.name, limit=1)
            decision = decisions.get(seg.name)
            rows.append(
                {
                    "segment": seg.name,
                    "subscribers": count_segment_recipients(conn, seg, now),
                    "schedule": seg.schedule,
                    "timezone": seg.timezone,
                    "locale": seg.locale,
                    "channels": list(seg.channels),
                    "next_run": nxt.isoformat() if nxt else None,
                    "last_edition": (
                        {
                            "date": recent[0][0].isoformat(),
                            "status": recent[0][1],
                            "reason": recent[0][2] or _held(app, seg, recent[0]),
                        }
                        if recent
                        else None
                    ),
                    "last_scheduler_run": (
                        {
                            "due_at": decision.due_at.isoformat(),
                            "edition_date": decision.edition_date.isoformat(),
                            "outcome": decision.outcome,
                            "reason": decision.reason,
                        }
                        if decision
                        else None
                    ),
                }
            )
    return rows


def _held(app: App, segment: Segment, recent: Any) -> str | None:
    """Why a held edition is held (the desk's approval policy), else None."""
    from digest.approval import why_held

    return why_held(app, segment.name, recent[0]) if recent[1] == "held" else None


def count_articles(app: App) -> int:
    """How many articles are stored."""
    from digest.store.articles import count_articles as count

    with app.engine.connect() as conn:
        return count(conn)


def due_today(app: App, now: datetime) -> list[Segment]:
    """The segments whose schedule fired today (their local date) at or before ``now``."""
    from digest.editions import local_today
    from digest.schedule import edition_date_for, previous_run_time

    due: list[Segment] = []
    for segment in app.config.segments:
        fired = previous_run_time(segment, now)
        if fired is not None and edition_date_for(segment, fired) == local_today(segment, now):
            due.append(segment)
    return due
