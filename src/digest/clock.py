"""The clock is passed in, never read inside a stage: this is the one real source of time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)
