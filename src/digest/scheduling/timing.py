"""When a segment is due: cron evaluated on local wall-clock time, daylight saving included.

Rules at daylight-saving changes (the same as classic cron):
- a wall-clock time that happens twice (clocks go back) is due once, at its first occurrence;
- a wall-clock time that does not exist (clocks go forward) is due at the instant the clocks
  jump, so the edition is sent as soon as that time has passed rather than being lost.
Every function here is pure: instants in and out are aware datetimes (returned in UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config import Segment
from digest.scheduling.cron import CronSpec, parse_cron
from digest.scheduling.errors import ScheduleError

# Far enough to find a 29 February that also has to be a given weekday.
_SEARCH_DAYS = 366 * 9
_ONE_DAY = timedelta(days=1)


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; ScheduleError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown IANA timezone {name!r}") from None


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value


def resolve_wall_time(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant a naive local wall-clock time is due (first occurrence; gap → jump)."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first
    # The wall time falls in a gap: fold=1 reads it with the later offset (an instant before
    # the jump), fold=0 with the earlier one (an instant after it). Find the jump itself.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = first
    offset_after = after.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        middle = middle.replace(microsecond=0)
        if middle <= before:
            break
        if middle.astimezone(tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _day_runs(spec: CronSpec, day: date, tz: ZoneInfo) -> list[datetime]:
    if not spec.matches_date(day):
        return []
    return sorted({resolve_wall_time(datetime.combine(day, time(h, m)), tz) for h, m in spec.times})


def next_due(expression: str, timezone: str, after: datetime) -> datetime:
    """The first due instant strictly after ``after`` for a cron expression in a timezone."""
    spec, tz = parse_cron(expression), zone(timezone)
    after = _aware(after, "after")
    start = after.astimezone(tz).date() - _ONE_DAY
    best: datetime | None = None
    best_day: date | None = None
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if best_day is not None and day > best_day + _ONE_DAY:
            break
        for run in _day_runs(spec, day, tz):
            if run > after and (best is None or run < best):
                best, best_day = run, day
    if best is None:
        raise ScheduleError(f"cron expression {expression!r} never fires")
    return best


def previous_due(expression: str, timezone: str, at: datetime) -> datetime | None:
    """The latest due instant at or before ``at`` (None if none in the last nine years)."""
    spec, tz = parse_cron(expression), zone(timezone)
    at = _aware(at, "at")
    start = at.astimezone(tz).date() + _ONE_DAY
    best: datetime | None = None
    best_day: date | None = None
    for offset in range(_SEARCH_DAYS):
        day = start - timedelta(days=offset)
        if best_day is not None and day < best_day - _ONE_DAY:
            break
        for run in _day_runs(spec, day, tz):
            if run <= at and (best is None or run > best):
                best, best_day = run, day
    return best


def next_run_time(segment: Segment, after: datetime) -> datetime:
    """The segment's next due instant strictly after ``after`` (aware, UTC)."""
    try:
        return next_due(segment.schedule, segment.timezone, after)
    except ScheduleError as exc:
        raise ScheduleError(f"segment {segment.name!r}: {exc}") from None


def previous_run_time(segment: Segment, at: datetime) -> datetime | None:
    """The segment's latest due instant at or before ``at`` (aware, UTC), if any."""
    try:
        return previous_due(segment.schedule, segment.timezone, at)
    except ScheduleError as exc:
        raise ScheduleError(f"segment {segment.name!r}: {exc}") from None


def due_times(
    segment: Segment, after: datetime, until: datetime, *, limit: int = 1000
) -> list[datetime]:
    """The segment's due instants in (after, until], oldest first, at most the newest ``limit``."""
    runs: list[datetime] = []
    cursor = after
    while True:
        run = next_run_time(segment, cursor)
        if run > until:
            return runs[-limit:]
        runs.append(run)
        if len(runs) > 2 * limit:
            del runs[:-limit]
        cursor = run


def edition_date_for(segment: Segment, due_at: datetime) -> date:
    """The edition date of a run: the local date in the segment's timezone at its due time."""
    return _aware(due_at, "due_at").astimezone(zone(segment.timezone)).date()


def check_segment_schedule(segment: Segment, now: datetime) -> None:
    """Raise ScheduleError naming the segment if its schedule or timezone is unusable."""
    next_run_time(segment, now)
