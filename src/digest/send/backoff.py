"""How long to wait before trying again: jittered exponential backoff and provider hints."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True, slots=True)
class Backoff:
    """Jittered exponential backoff: attempt n waits between half and all of base * 2**n, capped."""

    base_seconds: float = 0.5
    cap_seconds: float = 30.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** max(0, attempt)))
        return (rng or random).uniform(ceiling / 2, ceiling)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def provider_wait_seconds(headers: Mapping[str, str], now_epoch: float) -> float | None:
    """Seconds a 429 asks us to wait: X-RateLimit-Reset (epoch) or Retry-After; None if absent."""
    reset = _header(headers, "X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - now_epoch)
        except ValueError:
            pass
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now_epoch)
            except (TypeError, ValueError):
                return None
    return None
