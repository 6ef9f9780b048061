"""Pure schedule arithmetic: when a segment's cron fires, in its own timezone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from digest.config import Segment


def segment_trigger(segment: Segment) -> CronTrigger:
    """The APScheduler trigger for the segment's cron in its timezone (DST-aware)."""
    return CronTrigger.from_crontab(segment.schedule, timezone=ZoneInfo(segment.timezone))


def next_fire_after(segment: Segment, after: datetime) -> datetime | None:
    """The first time strictly after ``after`` at which the segment is due."""
    return segment_trigger(segment).get_next_fire_time(None, after + timedelta(microseconds=1))


def due_time_on(segment: Segment, local_date: date) -> datetime | None:
    """The segment's first due time on ``local_date`` (its timezone), or None that day."""
    tz = ZoneInfo(segment.timezone)
    start = datetime.combine(local_date, time(0), tzinfo=tz)
    fire = segment_trigger(segment).get_next_fire_time(None, start)
    if fire is None or fire.astimezone(tz).date() != local_date:
        return None
    return fire
