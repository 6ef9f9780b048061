"""Channels: the ways an edition reaches readers (email, Web Push, channel posts).

The orchestrator (``digest.send.run``) runs one ``ChannelSender`` per channel of the
segment. Each keeps its own ledger and its own exactly-once guarantee; the edition turns
``sent`` only when no channel has work left. A channel registers a factory here; the
email channel is always there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection

if TYPE_CHECKING:
    from digest.app import App
    from digest.models import Edition, RenderedEmail
    from digest.send.transports.base import TransportError


@dataclass(frozen=True, slots=True)
class ChannelRun:
    """What one channel did in this run."""

    sent: int = 0
    batches: int = 0
    fatal: TransportError | None = None  # the provider refused us or is down: stop the send
    error: BaseException | None = None  # something unexpected stopped the channel


class SendControl(Protocol):
    """What a running channel asks the orchestrator."""

    def should_stop(self) -> bool:
        """True once the edition left ``sending`` (paused, cancelled) or the send stopped."""
        ...


class ChannelSender(Protocol):
    """One channel's sender for one send."""

    name: str

    def prepare(self, conn: Connection, edition: Edition, now: datetime, *, plan: bool) -> None:
        """Inside the edition's lock: write its ledger once (when ``plan``), recover."""
        ...

    def unknown(self, conn: Connection, edition_id: int, now: datetime) -> int:
        """Recipients whose fate is unknown (a deliberate retry may re-send them)."""
        ...

    def run(self, edition: Edition, control: SendControl) -> ChannelRun:
        """Send until nothing due is left or ``control`` says stop."""
        ...

    def open_work(self, conn: Connection, edition_id: int) -> int:
        """Work still pending, claimed or submitting (0: this channel is done)."""
        ...

    def counts(self, conn: Connection, edition_id: int, now: datetime) -> dict[str, int]:
        """Where this channel's recipients stand (``digest status --json`` channels)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    """What the caller of a send asked for, handed to every channel factory."""

    variant: Callable[[str], RenderedEmail]
    worker: str
    retry_unknown: bool = False
    processes: int = 1
    progress: bool = False


ChannelFactory = Callable[["App", ChannelOptions], ChannelSender]
_REGISTRY: dict[str, ChannelFactory] = {}


def register_channel(name: str, factory: ChannelFactory) -> None:
    """Make a channel available to ``segments[].channels`` and ``digest send --channel``."""
    _REGISTRY[name] = factory


def channel_names() -> tuple[str, ...]:
    """The registered channels, email first."""
    return tuple(sorted(_REGISTRY, key=lambda n: (n != "email", n)))


def make_channel(name: str, app: App, options: ChannelOptions) -> ChannelSender:
    """The named channel's sender for one send; SendError if no such channel exists."""
    from digest.send.errors import SendError

    factory = _REGISTRY.get(name)
    if factory is None:
        raise SendError(
            f"channel {name!r} is not available; available: {', '.join(channel_names())}"
        )
    return factory(app, options)


def _email(app: App, options: ChannelOptions) -> Any:
    from digest.send.email import EmailChannel

    return EmailChannel(
        app,
        options.variant,
        worker=options.worker,
        retry_unknown=options.retry_unknown,
        processes=options.processes,
        progress=options.progress,
    )


def _webpush(app: App, options: ChannelOptions) -> Any:
    from digest.push.sender import WebPushSender

    return WebPushSender(app, worker_id=options.worker, retry_unknown=options.retry_unknown)


def _apprise(app: App, options: ChannelOptions) -> Any:
    from digest.apprise_channel.sender import AppriseSender

    return AppriseSender(app, worker_id=options.worker)


register_channel("email", _email)
register_channel("webpush", _webpush)
register_channel("apprise", _apprise)
