"""A thread-safe rate limiter shared by the send workers: messages per second, and pauses.

A 429 from the provider pauses every worker, not just the one that saw it, so that the
whole send slows down instead of each thread hammering the API in turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token bucket of ``rate`` messages per second (None: unlimited) with shared pauses."""

    def __init__(
        self,
        rate: float | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate = rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = monotonic()  # when the bucket next has room
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (the provider asked us to slow down)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._monotonic() + seconds)

    def acquire(self, messages: int, stop: threading.Event | None = None) -> bool:
        """Wait until ``messages`` may be sent; False if ``stop`` was set while waiting."""
        with self._lock:
            now = self._monotonic()
            start = max(now, self._paused_until)
            if self._rate is not None:
                start = max(start, self._next_free)
                # the first message goes at ``start``; the bucket refills behind it
                self._next_free = start + messages / self._rate
            wait = start - now
        return self._wait(wait, stop)

    def refund(self, messages: int) -> None:
        """Give back tokens taken for ``messages`` that will not be sent."""
        if self._rate is None or messages <= 0:
            return
        with self._lock:
            self._next_free = max(self._monotonic(), self._next_free - messages / self._rate)

    def wait_for_pause(self, stop: threading.Event | None = None) -> bool:
        """Wait out a shared pause, if one is in force; False if ``stop`` was set."""
        with self._lock:
            wait = self._paused_until - self._monotonic()
        return self._wait(wait, stop)

    def _wait(self, seconds: float, stop: threading.Event | None) -> bool:
        if seconds <= 0:
            return not (stop is not None and stop.is_set())
        if stop is not None:
            return not stop.wait(seconds)
        self._sleep(seconds)
        return True
