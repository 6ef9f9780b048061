"""What a channel sender reports after a run, and the control it obeys while running.

The shape follows the ChannelSender contract of the send path (LIFECYCLE.md): ``run`` sends
until nothing due is left (or the control says stop) and returns a ChannelRun.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class RunControl(Protocol):
    """Lets the orchestrator stop a channel: paused, cancelled or stopped sends."""

    def should_stop(self) -> bool: ...

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the run should stop instead."""
        ...


class KeepGoing:
    """A control that never stops: for tests and direct use."""

    def should_stop(self) -> bool:
        return False

    def wait(self, seconds: float) -> bool:
        time.sleep(max(0.0, seconds))
        return False


@dataclass(frozen=True)
class ChannelRun:
    """One channel's run: its counts after it, and why it returned."""

    channel: str
    counts: dict[str, int]
    stopped: bool = False  # the control said stop
    waiting: int = 0  # rows due later (local-time delivery, a long Retry-After)
    next_due: datetime | None = None
    note: str | None = None
    sent_now: int = 0  # delivered during this run
    extra: dict[str, Any] = field(default_factory=dict)
