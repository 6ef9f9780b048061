"""A sliding-window rate limiter keyed by client (IP address), with the clock passed in.

It lives in the web app's memory: one process serves one limit. Behind several processes
each keeps its own window, which is a looser but still bounded limit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

MAX_TRACKED_KEYS = 100_000


class SlidingWindowLimiter:
    """Allows at most ``limit`` hits per key in any ``window_seconds``."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], datetime]) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit for ``key``; None if allowed, else the seconds to wait."""
        now = self._clock().timestamp()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= MAX_TRACKED_KEYS:
                    self._forget_idle(now)
                hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1.0, hits[0] + self.window - now)
            hits.append(now)
            return None

    def _forget_idle(self, now: float) -> None:
        """Drop keys with no hit inside the window (bounded memory under many clients)."""
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
