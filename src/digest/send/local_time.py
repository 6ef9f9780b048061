"""Delivery at each subscriber's local time: when a timezone's copy of an edition is due."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from digest.config import Segment


def local_due_time(segment: Segment, edition_date: date, timezone: str) -> datetime:
    """The segment's send time on ``edition_date`` as a clock in ``timezone`` reads it (UTC).

    The first time the segment's cron fires on or after local midnight is used; an unknown
    timezone falls back to the segment's own.
    """
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(segment.timezone)
    trigger = CronTrigger.from_crontab(segment.schedule, timezone=tz)
    midnight = datetime.combine(edition_date, time(0), tzinfo=tz)
    fire = trigger.get_next_fire_time(None, midnight)
    if fire is None or fire.date() != edition_date:
        # a cron that does not fire that day: use its time of day on the edition date
        sample = trigger.get_next_fire_time(None, midnight) or midnight
        fire = datetime.combine(edition_date, sample.timetz().replace(tzinfo=None), tzinfo=tz)
    return fire.astimezone(ZoneInfo("UTC"))
