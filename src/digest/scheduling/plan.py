"""Pure planning: which due times of a segment to run now and which were missed, and why.

A due time already settled in the database (sent, skipped or missed) needs nothing. Of the
rest, one whose lateness exceeds the misfire grace is *missed*; the others are run now. With
coalescing on, only the newest runnable due time is run and older ones are recorded as missed
(superseded), the way a publisher expects after downtime: one late edition, not a burst.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from digest.config import Segment
from digest.scheduling.timing import edition_date_for, zone
from digest.scheduling.values import PlannedRun

# A run this late is still on time whatever the configured grace: clocks, start-up and a
# cron-driven `scheduler.py --once` always take a few seconds.
MIN_GRACE = timedelta(minutes=1)


def effective_grace(grace_minutes: int) -> timedelta:
    """The misfire grace actually applied: the configured minutes, at least one minute."""
    return max(timedelta(minutes=grace_minutes), MIN_GRACE)


def _late(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes else "")
    return " ".join(p for p in parts if p)


def _local(segment: Segment, when: datetime) -> str:
    return when.astimezone(zone(segment.timezone)).strftime("%Y-%m-%d %H:%M %Z")


def plan_due_runs(
    segment: Segment,
    due: Iterable[datetime],
    *,
    settled: set[datetime],
    now: datetime,
    grace: timedelta,
    coalesce: bool,
) -> list[PlannedRun]:
    """Decide for each unsettled due time (oldest first) whether to run it or record a miss."""
    pending = sorted(d for d in due if d <= now and d not in settled)
    plans: list[PlannedRun] = []
    runnable: list[datetime] = []
    for due_at in pending:
        lateness = now - due_at
        if lateness > grace:
            reason = (
                f"not run at {_local(segment, due_at)} (the scheduler was not running "
                f"or was busy); {_late(lateness)} late exceeds the misfire grace "
                f"of {_late(grace)}"
            )
            plans.append(_planned(segment, due_at, "miss", reason))
        else:
            runnable.append(due_at)
    if coalesce and len(runnable) > 1:
        newest = runnable[-1]
        for due_at in runnable[:-1]:
            reason = (
                f"coalesced: superseded by the run due at {_local(segment, newest)} "
                "(scheduler.coalesce is on)"
            )
            plans.append(_planned(segment, due_at, "miss", reason))
        runnable = [newest]
    plans.extend(_planned(segment, due_at, "run") for due_at in runnable)
    return sorted(plans, key=lambda p: (p.due_at, p.action))


def _planned(
    segment: Segment, due_at: datetime, action: Literal["run", "miss"], reason: str | None = None
) -> PlannedRun:
    return PlannedRun(
        segment=segment.name,
        due_at=due_at,
        edition_date=edition_date_for(segment, due_at),
        action=action,
        reason=reason,
    )
