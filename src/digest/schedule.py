"""Scheduling: when each segment is due, and the scheduler that sends its digest on time.

Public entry points:
- ``next_run_time(segment, after)``: pure; the segment's next due instant after ``after``.
- ``run_scheduler(app, once=False)``: the long-running scheduler (``scheduler.py``), or one
  pass that settles whatever is due (``scheduler.py --once``).
- ``schedule_overview(app)`` and ``last_outcomes(app)``: what ``digest schedule``,
  ``digest segments`` and ``digest status`` show.
Decisions are recorded in ``schedule_runs``; APScheduler's jobs live in ``apscheduler_jobs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from digest.app import App
from digest.scheduling.errors import ScheduleError
from digest.scheduling.plan import effective_grace
from digest.scheduling.runner import ScheduleRunner
from digest.scheduling.service import (
    JOBSTORE_TABLE,
    run_scheduler,
    segment_job_id,
    stored_jobs,
)
from digest.scheduling.timing import (
    due_times,
    edition_date_for,
    next_run_time,
    previous_run_time,
)
from digest.scheduling.values import ScheduleRun
from digest.store.schedule_runs import last_run, recent_runs

__all__ = [
    "JOBSTORE_TABLE",
    "ScheduleError",
    "ScheduleRun",
    "ScheduleRunner",
    "SegmentSchedule",
    "StoredJob",
    "due_times",
    "edition_date_for",
    "effective_grace",
    "last_outcomes",
    "next_run_time",
    "previous_run_time",
    "recent_decisions",
    "run_scheduler",
    "schedule_overview",
    "stored_job_list",
]


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job as the persistent job store holds it."""

    id: str
    next_run_time: datetime | None  # None: paused


@dataclass(frozen=True, slots=True)
class SegmentSchedule:
    """A segment's schedule as ``digest schedule`` shows it."""

    segment: str
    schedule: str
    timezone: str
    next_run: datetime
    last_due: datetime | None
    last_run: ScheduleRun | None
    stored_job: StoredJob | None


def stored_job_list(app: App) -> list[StoredJob]:
    """The contents of the APScheduler job store (empty until a scheduler has started)."""
    return [
        StoredJob(
            id=job_id,
            next_run_time=datetime.fromtimestamp(ts, UTC) if ts is not None else None,
        )
        for job_id, ts in stored_jobs(app)
    ]


def last_outcomes(app: App) -> dict[str, ScheduleRun]:
    """Each configured segment's latest scheduler decision (segments without one are left out)."""
    out: dict[str, ScheduleRun] = {}
    with app.engine.connect() as conn:
        for segment in app.config.segments:
            run = last_run(conn, segment.name)
            if run is not None:
                out[segment.name] = run
    return out


def recent_decisions(app: App, segment: str | None = None, limit: int = 20) -> list[ScheduleRun]:
    """The newest scheduler decisions, newest first, optionally for one segment."""
    if segment is not None:
        app.config.segment(segment)
    with app.engine.connect() as conn:
        return recent_runs(conn, segment, limit)


def schedule_overview(app: App, now: datetime | None = None) -> list[SegmentSchedule]:
    """Every segment's cron, next and last due time, last outcome and stored job."""
    now = now or app.clock()
    jobs = {job.id: job for job in stored_job_list(app)}
    outcomes = last_outcomes(app)
    return [
        SegmentSchedule(
            segment=segment.name,
            schedule=segment.schedule,
            timezone=segment.timezone,
            next_run=next_run_time(segment, now),
            last_due=previous_run_time(segment, now),
            last_run=outcomes.get(segment.name),
            stored_job=jobs.get(segment_job_id(segment.name)),
        )
        for segment in app.config.segments
    ]
