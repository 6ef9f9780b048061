"""Rate limits kept in the database, so every web worker and host counts the same hits.

Each (scope, key) has one row: the start of its current window and the hits counted in it.
A hit is one upsert that either opens a new window (the old one has ended) or adds one to
the count, and answers the count and the window's start, atomically. A hit beyond the limit
is refused with the seconds until the window ends. Keys (client addresses, email
addresses) are stored as a salted hash, never as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from digest.store.rate_limits import count_hit, forget_windows_before

CLEANUP_EVERY = timedelta(minutes=10)


class DatabaseRateLimiter:
    """At most ``limit`` hits per key in each window of ``window_seconds``."""

    def __init__(
        self,
        engine: Engine,
        scope: str,
        limit: int,
        window_seconds: float,
        clock: Callable[[], datetime],
        *,
        salt: str = "",
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = timedelta(seconds=window_seconds)
        self._engine = engine
        self._scope = scope
        self._clock = clock
        self._salt = salt.encode()
        self._next_cleanup: datetime | None = None

    def _key(self, key: str) -> str:
        return hashlib.sha256(self._salt + b"\0" + key.encode("utf-8", "replace")).hexdigest()

    def hit(self, key: str) -> float | None:
        """Count one hit for ``key``; None if allowed, else the seconds to wait."""
        now = self._clock()
        with self._engine.begin() as conn:
            hits, started = count_hit(conn, self._scope, self._key(key), now, self.window)
            if self._next_cleanup is None or now >= self._next_cleanup:
                forget_windows_before(conn, self._scope, now - self.window)
                self._next_cleanup = now + CLEANUP_EVERY
        if hits <= self.limit:
            return None
        return max(1.0, (started + self.window - now).total_seconds())

    async def hit_async(self, key: str) -> float | None:
        """``hit`` off the event loop (it writes to the database)."""
        return await run_in_threadpool(self.hit, key)
