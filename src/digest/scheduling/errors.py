"""The scheduling package's own error type."""

from __future__ import annotations


class ScheduleError(Exception):
    """The schedule cannot be computed or the scheduler cannot run; the message says why."""
