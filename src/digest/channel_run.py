"""What a channel sender reports after a run, and the control it obeys while running.

The shape follows the send path's ChannelSender contract (``digest.send.channels``):
``run`` sends until nothing due is left (or the control says stop) and returns a
ChannelRun whose ``sent``, ``batches``, ``fatal`` and ``error`` the orchestrator reads; the
rest tells the caller what is waiting and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class RunControl(Protocol):
    """Lets the orchestrator stop a channel: paused, cancelled or stopped sends."""

    def should_stop(self) -> bool: ...


class KeepGoing:
    """A control that never stops: for tests and direct use."""

    def should_stop(self) -> bool:
        return False


def wait(control: RunControl, seconds: float) -> bool:
    """Sleep up to ``seconds``, checking ``control``; True when the run should stop."""
    deadline = time.monotonic() + max(0.0, seconds)
    while True:
        if control.should_stop():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.25))


@dataclass(frozen=True)
class ChannelRun:
    """One channel's run: what it sent, its counts after it, and why it returned."""

    channel: str
    counts: dict[str, int]
    sent: int = 0  # delivered during this run
    batches: int = 0
    fatal: Any = None  # never set by these channels: a refusing push service stops no send
    error: BaseException | None = None  # something unexpected stopped the channel
    stopped: bool = False  # the control said stop
    waiting: int = 0  # rows due later (local-time delivery, a long Retry-After)
    next_due: datetime | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
