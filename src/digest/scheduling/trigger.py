"""An APScheduler trigger that fires at a segment's due times as ``timing`` computes them.

It is pickled into the persistent job store, so it holds only the cron expression and the
timezone name; the maths lives in ``digest.scheduling.timing``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from digest.scheduling.timing import next_due


class SegmentTrigger(BaseTrigger):
    """Fires at each due time of a cron expression evaluated in a timezone (DST-aware)."""

    __slots__ = ("expression", "timezone")

    def __init__(self, expression: str, timezone: str) -> None:
        self.expression = expression
        self.timezone = timezone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first due time at or after ``now`` (after ``previous_fire_time`` if given)."""
        after = now - timedelta(microseconds=1)
        if previous_fire_time is not None:
            after = max(min(after, previous_fire_time), previous_fire_time)
        return next_due(self.expression, self.timezone, after)

    def __getstate__(self) -> dict[str, object]:
        return {"version": 1, "expression": self.expression, "timezone": self.timezone}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.expression = str(state["expression"])
        self.timezone = str(state["timezone"])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SegmentTrigger)
            and other.expression == self.expression
            and other.timezone == self.timezone
        )

    def __hash__(self) -> int:
        return hash((self.expression, self.timezone))

    def __str__(self) -> str:
        return f"cron[{self.expression}] in {self.timezone}"

    def __repr__(self) -> str:
        return f"<SegmentTrigger {self.expression!r} {self.timezone}>"
