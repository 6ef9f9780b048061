"""A segment's due times that still need a decision: read from the recorded decisions which
due times are settled since when, then plan the rest (``plan.plan_due_runs``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from digest.app import App
from digest.config import Segment
from digest.scheduling.plan import effective_grace, plan_due_runs
from digest.scheduling.timing import due_times, previous_run_time
from digest.scheduling.values import PlannedRun
from digest.store.schedule_runs import last_run, latest_settled_due, settled_due_times

# How far back the scheduler looks for due times it has not settled yet.
MAX_LOOKBACK = timedelta(days=31)


def due_plans(app: App, segment: Segment, now: datetime) -> list[PlannedRun]:
    """What the segment's unsettled due times up to ``now`` need."""
    grace = effective_grace(app.config.scheduler.misfire_grace_minutes)
    with app.engine.connect() as conn:
        latest = latest_settled_due(conn, segment.name)
        if latest is None:
            # a due time recorded but never settled (failed, held) is still open
            recorded = last_run(conn, segment.name)
            if recorded is not None:
                latest = recorded.due_at - timedelta(microseconds=1)
        if latest is None:
            # Never decided before: only the newest due time, and only while within
            # grace; anything older came before this scheduler existed, not a miss.
            newest = previous_run_time(segment, now)
            in_grace = newest is not None and now - newest <= grace
            since = newest - timedelta(microseconds=1) if newest and in_grace else now
        else:
            since = latest
        since = max(since, now - MAX_LOOKBACK)
        settled = settled_due_times(conn, segment.name, since)
    due = due_times(segment, since, now)
    return plan_due_runs(
        segment,
        due,
        settled=settled,
        now=now,
        grace=grace,
        coalesce=app.config.scheduler.coalesce,
    )
