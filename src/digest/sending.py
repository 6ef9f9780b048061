"""Use cases for sending: send, dry run, pause, resume, cancel, and where an edition stands.

The CLI, the scheduler, the desk and the console call these; each change of state goes
through ``digest.lifecycle``. Senders in every process and on every host watch the
edition's state before each claim, so a pause or a cancel takes effect within one batch
per sender thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from digest import lifecycle
from digest.app import App
from digest.config import Segment
from digest.lifecycle import EditionError, EditionState, HistoryEntry
from digest.models import Edition
from digest.send.report import DryRunReport, SendReport
from digest.store.editions import edition_for
from digest.store.ledger import DeliveryCounts, delivery_counts

log = logging.getLogger("digest.send")


class NoEdition(EditionError):
    """The segment has no edition for that date."""


class NotSendable(EditionError):
    """The edition cannot be sent in its state (skipped, cancelled, held)."""


def send_edition(
    app: App,
    segment_name: str,
    edition_date: date,
    *,
    actor: str,
    retry_unknown: bool = False,
    progress: bool = False,
    worker_id: str | None = None,
    processes: int = 1,
    channels: Sequence[str] | None = None,
    resume_paused: bool = True,
) -> SendReport:
    """Build the edition if needed and send it; resumes a partial or paused send, never
    re-sends. NotSendable for a skipped, cancelled or held edition, and for a paused one
    unless ``resume_paused`` (the scheduler leaves a person's pause alone)."""
    from digest.alerts import note_send_stopped
    from digest.editions import build_edition, render_variant
    from digest.log_context import log_context
    from digest.send.errors import SendAborted
    from digest.send.run import send_edition as run_send

    edition = build_edition(app, segment_name, edition_date, actor=actor)
    _require_sendable(edition)
    if edition.status is EditionState.PAUSED and not resume_paused:
        raise NotSendable(
            f"edition {edition.segment} {edition_date.isoformat()} is paused; "
            "`digest resume` goes on"
        )
    # the editors' desk: a draft is re-ranked with their choices, an approved edition sends
    # exactly its approved content, and the segment's approval policy is applied
    from digest.approval import edition_for_sending

    edition = edition_for_sending(app, segment_name, edition_date, edition, actor=actor)
    _require_sendable(edition)  # a draft too thin at send time was just skipped
    variant: Callable[[str], Any] = lambda locale: render_variant(app, edition, locale)  # noqa: E731
    with log_context(
        segment=edition.segment, edition_date=edition_date.isoformat(), edition=edition.id
    ):
        log.info("send of %s %s begins (%s)", edition.segment, edition_date, actor)
        try:
            report = run_send(
                app,
                edition,
                variant,
                actor=actor,
                retry_unknown=retry_unknown,
                progress=progress,
                worker_id=worker_id,
                processes=processes,
                channels=channels,
            )
        except SendAborted as exc:
            note_send_stopped(app, edition, exc)
            raise
        log.info(
            "send of %s %s: edition %s; %d recipient(s): %d sent, %d failed, %d suppressed, "
            "%d unknown, %d pending; %d sent by this run",
            edition.segment,
            edition_date,
            report.edition_status,
            report.recipients,
            report.sent,
            report.failed,
            report.suppressed,
            report.unknown,
            report.pending,
            report.sent_now,
        )
        return report


def _require_sendable(edition: Edition) -> None:
    label = f"edition {edition.segment} {edition.edition_date.isoformat()}"
    if edition.status is EditionState.SKIPPED:
        raise NotSendable(f"{label} was skipped: {edition.skip_reason}")
    if edition.status is EditionState.CANCELLED:
        raise NotSendable(f"{label} was cancelled; nothing more is sent")
    if edition.status is EditionState.HELD:
        raise NotSendable(f"{label} is held: it must be approved before it is sent")


def dry_run_edition(app: App, segment_name: str, edition_date: date) -> DryRunReport:
    """What a send would do now, writing nothing (no edition, no ledger row, no state)."""
    from digest.send.dry_run import dry_run

    return dry_run(app, segment_name, edition_date)


@dataclass(frozen=True, slots=True)
class StatusView:
    """An edition with its delivery counts and its history (what `digest status` shows)."""

    segment: str
    edition_date: date
    edition: Edition | None
    counts: DeliveryCounts | None
    history: tuple[HistoryEntry, ...] = ()
    channels: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> counts

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
            "channels": self.channels,
        }


def channel_counts(
    conn: Connection, edition_id: int, segment: Segment, email: DeliveryCounts
) -> dict[str, dict[str, int]]:
    """Each of the segment's channels' counts (and any other channel that sent it)."""
    from digest.store.apprise_ledger import apprise_counts
    from digest.store.push_ledger import push_counts

    out: dict[str, dict[str, int]] = {}
    if "email" in segment.channels:
        out["email"] = {k: v for k, v in email.as_dict().items() if isinstance(v, int)}
    webpush = push_counts(conn, edition_id)
    if "webpush" in segment.channels or webpush["total"]:
        out["webpush"] = webpush
    apprise = apprise_counts(conn, edition_id)
    if "apprise" in segment.channels or apprise["total"]:
        out["apprise"] = apprise
    return out


def edition_status(app: App, segment_name: str, edition_date: date) -> StatusView:
    """The segment's edition for the date (if any), its counts and its history."""
    from digest.send.workers import is_dead_worker

    app.config.segment(segment_name)
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment_name, edition_date)
    if edition is None or edition.id is None:
        return StatusView(segment_name, edition_date, edition, None)
    settle_abandoned(app, edition.id)
    with app.engine.connect() as conn:
        counts = delivery_counts(conn, edition.id, now=app.clock(), is_dead=is_dead_worker)
        entries = tuple(lifecycle.history(conn, edition.id))
        channels = channel_counts(conn, edition.id, app.config.segment(segment_name), counts)
    return StatusView(segment_name, edition_date, edition, counts, entries, channels)


def settle_abandoned(app: App, edition_id: int) -> int:
    """Settle batches whose sender stopped (killed, crashed), as the next send would: never
    submitted → pending; interrupted → delivered where the transport proves it (the
    outbox's files), else unknown. Returns how many; writes nothing when there are none."""
    from digest.config import ConfigError
    from digest.send.workers import is_dead_worker
    from digest.store import ledger
    from digest.store.history import lock_edition_state

    now = app.clock()
    with app.engine.connect() as conn:
        if not ledger.abandoned_batches(conn, edition_id, now, is_dead_worker):
            return 0
    try:
        transport = app.transport()
    except ConfigError:
        transport = None
    try:
        with app.engine.begin() as conn:
            lock_edition_state(conn, edition_id)
            settle = getattr(transport, "settle", None)
            return ledger.recover_abandoned_batches(conn, edition_id, now, is_dead_worker, settle)
    finally:
        if transport is not None:
            transport.close()


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
