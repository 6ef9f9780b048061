"""Use cases behind the console's Schedule and Sources pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from digest.scheduling.values import ScheduleRun

if TYPE_CHECKING:
    from digest.app import App

HEARTBEAT_KEY = "scheduler.heartbeat"
PROBLEM_DAYS = 7
LAST_RUNS = 10


@dataclass(frozen=True, slots=True)
class SegmentSchedule:
    """One segment's timetable and recent decisions."""

    segment: str
    title: str
    schedule: str
    timezone: str
    local_time: bool
    next_due: datetime
    last_runs: tuple[ScheduleRun, ...]
    problems: tuple[ScheduleRun, ...]  # missed or failed runs of the last week
    held: tuple[str, ...]  # dates of its held editions of the last week


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """When a scheduler last ticked, and where."""

    at: datetime
    host: str


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """The Schedule page."""

    segments: tuple[SegmentSchedule, ...]
    heartbeat: Heartbeat | None
    tick_minutes: int

    def scheduler_late(self, now: datetime) -> bool:
        """True when no scheduler ticked for more than two intervals."""
        allowed = timedelta(minutes=2 * self.tick_minutes + 1)
        return self.heartbeat is None or now - self.heartbeat.at > allowed


def record_heartbeat(app: App, host: str) -> None:
    """Remember that a scheduler on ``host`` ticked now (for the Schedule page)."""
    from digest.store.monitoring import write_setting

    with app.engine.begin() as conn:
        write_setting(conn, HEARTBEAT_KEY, f"{app.clock().isoformat()} {host}")


def _heartbeat(value: str | None) -> Heartbeat | None:
    if not value:
        return None
    at, _, host = value.partition(" ")
    try:
        return Heartbeat(datetime.fromisoformat(at), host)
    except ValueError:
        return None


def schedule_view(app: App) -> ScheduleView:
    """Every segment's next due time, last runs, missed and failed runs, held editions."""
    from digest.scheduling.timing import next_run_time
    from digest.store.alerts import held_editions
    from digest.store.monitoring import read_setting
    from digest.store.schedule_runs import recent_runs

    now = app.clock()
    since = now - timedelta(days=PROBLEM_DAYS)
    out = []
    with app.engine.connect() as conn:
        held = held_editions(conn, since.date())
        for seg in app.config.segments:
            runs = recent_runs(conn, seg.name, 50)
            out.append(
                SegmentSchedule(
                    segment=seg.name,
                    title=seg.display_title,
                    schedule=seg.schedule,
                    timezone=seg.timezone,
                    local_time=seg.local_time_delivery,
                    next_due=next_run_time(seg, now),
                    last_runs=tuple(runs[:LAST_RUNS]),
                    problems=tuple(
                        r for r in runs if r.outcome in ("missed", "failed") and r.ran_at >= since
                    ),
                    held=tuple(d.isoformat() for _, s, d in held if s == seg.name),
                )
            )
        beat = _heartbeat(read_setting(conn, HEARTBEAT_KEY))
    return ScheduleView(tuple(out), beat, app.config.scheduler.ingest_interval_minutes)


@dataclass(frozen=True, slots=True)
class SourceView:
    """One feed as the Sources page shows it."""

    name: str
    url: str
    configured: bool
    last_fetched_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    items_last_day: int
    articles: int
    fetches: int
    errors: int


def sources_view(app: App) -> list[SourceView]:
    """Each source: last fetch, last success, last error, items of the last day, totals."""
    from digest.store.monitoring import articles_per_source, source_figures

    urls = {s.name: s.url for s in app.config.sources}
    now = app.clock()
    with app.engine.connect() as conn:
        figures = source_figures(conn, list(urls))
        recent = articles_per_source(conn, since=now - timedelta(days=1))
    return [
        SourceView(
            name=f.source,
            url=urls.get(f.source, ""),
            configured=f.source in urls,
            last_fetched_at=f.last_fetched_at,
            last_ok_at=f.last_ok_at,
            last_error=f.last_error,
            items_last_day=recent.get(f.source, 0),
            articles=f.articles,
            fetches=f.fetches,
            errors=f.errors,
        )
        for f in figures
    ]
