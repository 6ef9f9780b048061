"""Plain frozen values of the scheduler: a recorded decision and a planned one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Outcome = Literal["sent", "skipped", "missed", "failed", "held"]
# Outcomes that settle a due time for good; a failed run is retried while within grace, and
# so is a held one (approval required and missing): an approval within the grace sends it.
SETTLED_OUTCOMES: tuple[str, ...] = ("sent", "skipped", "missed")


@dataclass(frozen=True, slots=True)
class ScheduleRun:
    """One decision the scheduler recorded for a segment's due time."""

    segment: str
    edition_date: date
    due_at: datetime
    ran_at: datetime
    outcome: str  # sent | skipped | missed | failed | held
    reason: str | None
    host: str | None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedRun:
    """What a due time needs: run it now, or record it as missed and why."""

    segment: str
    due_at: datetime
    edition_date: date
    action: Literal["run", "miss"]
    reason: str | None = None
