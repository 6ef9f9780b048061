"""Frozen values of the Web Push channel, passed between its stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PushState(StrEnum):
    """Where one (edition, target) row of a channel ledger stands."""

    PENDING = "pending"  # due (now or at not_before), nobody holds it
    CLAIMED = "claimed"  # a worker holds it; not posted yet (back to pending if it dies)
    POSTING = "posting"  # the request may be on the wire (unknown if the worker dies)
    SENT = "sent"
    GONE = "gone"  # 404/410: the subscription expired and was deleted
    FAILED = "failed"
    UNKNOWN = "unknown"  # a worker died while posting: maybe delivered, not repeated
    REMOVED = "removed"  # the subscription was removed before its turn came


OPEN_STATES = (PushState.PENDING, PushState.CLAIMED, PushState.POSTING)


@dataclass(frozen=True, slots=True)
class PushSubscriptionInput:
    """A browser's subscription as the page posted it, checked."""

    endpoint: str
    p256dh: str  # URL-safe base64 without padding
    auth: str
    segments: tuple[str, ...]
    locale: str
    timezone: str
    subscriber_id: int | None = None
    replaces: str | None = None  # the endpoint this one renews (pushsubscriptionchange)


@dataclass(frozen=True, slots=True)
class PushTarget:
    """One claimed push: who to post to and with which keys."""

    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    locale: str
    timezone: str
    attempts: int


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What became of one push attempt, as the ledger records it."""

    subscription_id: int
    status: str  # a PushState value
    http_status: int | None = None
    error: str | None = None
    not_before: datetime | None = None
    attempted: bool = True  # False when it was put back without being posted
