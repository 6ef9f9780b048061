"""Use cases for running a send: pause, resume, cancel, and where an edition stands.

The CLI, the scheduler, the desk and the console call these; each change of state goes
through ``digest.lifecycle``. Senders in every process and on every host watch the
edition's state before each claim, so a pause or a cancel takes effect within one batch
per sender thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from digest import lifecycle
from digest.app import App
from digest.lifecycle import EditionError, EditionState, HistoryEntry
from digest.models import Edition
from digest.store.deliveries import DeliveryCounts, delivery_counts
from digest.store.editions import edition_for


class NoEdition(EditionError):
    """The segment has no edition for that date."""


@dataclass(frozen=True, slots=True)
class StatusView:
    """An edition with its delivery counts and its history (what `digest status` shows)."""

    segment: str
    edition_date: date
    edition: Edition | None
    counts: DeliveryCounts | None
    history: tuple[HistoryEntry, ...] = ()

    @property
    def state(self) -> str:
        """The edition's state, or "none" when it does not exist yet."""
        return str(self.edition.status) if self.edition is not None else "none"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the edition, its counts (zeros before planning) and its history."""
        counts = self.counts or DeliveryCounts(0, 0, 0, 0, 0, 0)
        return {
            "segment": self.segment,
            "edition_date": self.edition_date.isoformat(),
            "edition_id": self.edition.id if self.edition else None,
            "status": self.state,
            "skip_reason": self.edition.skip_reason if self.edition else None,
            **counts.as_dict(),
            "history": [h.as_dict() for h in self.history],
        }


def edition_status(app: App, segment_name: str, edition_date: date) -> StatusView:
    """The segment's edition for the date (if any), its counts and its history."""
    from digest.send.workers import is_dead_worker

    app.config.segment(segment_name)
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment_name, edition_date)
        if edition is None or edition.id is None:
            return StatusView(segment_name, edition_date, edition, None)
        counts = delivery_counts(conn, edition.id, now=app.clock(), is_dead=is_dead_worker)
        entries = tuple(lifecycle.history(conn, edition.id))
    return StatusView(segment_name, edition_date, edition, counts, entries)


def _change(
    app: App,
    segment_name: str,
    edition_date: date,
    move: Callable[..., EditionState],
    *,
    actor: str,
    reason: str | None,
) -> EditionState:
    app.config.segment(segment_name)
    with app.engine.begin() as conn:
        edition = _existing(conn, segment_name, edition_date)
        assert edition.id is not None
        return move(conn, edition.id, actor=actor, now=app.clock(), reason=reason)


def _existing(conn: Connection, segment_name: str, edition_date: date) -> Edition:
    edition = edition_for(conn, segment_name, edition_date)
    if edition is None or edition.id is None:
        raise NoEdition(f"{segment_name} {edition_date.isoformat()} has no edition")
    return edition


def pause_edition(
    app: App, segment_name: str, edition_date: date, *, actor: str, reason: str | None = None
) -> EditionState:
    """sending → paused: every sender stops after the batches it has in flight."""
    return _change(app, segment_name, edition_date, lifecycle.pause, actor=actor, reason=reason)


def resume_edition(
    app: App, segment_name: str, edition_date: date, *, actor: str, reason: str | None = None
) -> EditionState:
    """paused → sending: senders may claim again (the caller then runs a send)."""
    return _change(app, segment_name, edition_date, lifecycle.resume, actor=actor, reason=reason)


def cancel_edition(
    app: App, segment_name: str, edition_date: date, *, actor: str, reason: str | None = None
) -> EditionState:
    """→ cancelled, for good: running senders stop after their in-flight batches."""
    return _change(app, segment_name, edition_date, lifecycle.cancel, actor=actor, reason=reason)
