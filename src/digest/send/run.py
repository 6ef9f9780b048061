"""Sending an edition, orchestrated: open → run each channel → finish → report.

Open: in one transaction holding the edition's lock, each channel writes its ledger once and
settles batches whose sender stopped, and the lifecycle moves the edition to ``sending``
(start, resume or, for a deliberate retry of unknown recipients, reopen). Run: each channel
sends until nothing due is left, the edition leaves ``sending`` (paused or cancelled
anywhere), or the provider refuses us. Finish: the edition turns ``sent`` once no channel
has work left. Any number of processes, on any number of hosts sharing PostgreSQL, can run
this for one edition together: the claims never overlap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack

from sqlalchemy.exc import SQLAlchemyError

from digest import lifecycle
from digest.app import App
from digest.lifecycle import Action, EditionState
from digest.models import Edition, RenderedEmail
from digest.send.channels import ChannelOptions, ChannelRun, ChannelSender, make_channel
from digest.send.errors import SendAborted, SendError
from digest.send.report import SendReport
from digest.send.workers import is_dead_worker, new_worker_id
from digest.store import ledger
from digest.store.history import edition_state, lock_edition_state

S = EditionState


def opening(
    state: EditionState, *, retry_unknown: bool, unknown: int
) -> tuple[Action | None, str | None]:
    """The lifecycle move a send makes from ``state``, or why it sends nothing (pure)."""
    if state in (S.SKIPPED, S.CANCELLED):
        return None, f"the edition is {state}; nothing is sent"
    if state is S.HELD:
        return None, "the edition is held: it must be approved before it is sent"
    if state in (S.DRAFT, S.APPROVED):
        return Action.START, None
    if state is S.PAUSED:
        return Action.RESUME, None
    if state is S.SENT:
        if not retry_unknown:
            return None, "the edition was already sent; nothing more to send"
        if unknown == 0:
            return None, "the edition was already sent and nothing is unknown"
        return Action.REOPEN, None
    return None, None  # sending: join the senders already at work


_MOVES = {
    Action.START: lifecycle.start,
    Action.RESUME: lifecycle.resume,
    Action.REOPEN: lifecycle.reopen,
}


class _Control:
    """Tells running channels when the edition has left ``sending``."""

    def __init__(self, app: App, edition_id: int) -> None:
        self._app = app
        self._edition_id = edition_id
        self._next_check = 0.0
        self._stopped = False

    def should_stop(self) -> bool:
        if self._stopped:
            return True
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + 1.0
            with self._app.engine.connect() as conn:
                self._stopped = edition_state(conn, self._edition_id) != S.SENDING
        return self._stopped


def send_edition(
    app: App,
    edition: Edition,
    variant: Callable[[str], RenderedEmail],
    *,
    actor: str = "system",
    retry_unknown: bool = False,
    progress: bool = False,
    worker_id: str | None = None,
    processes: int = 1,
    channels: Sequence[str] | None = None,
) -> SendReport:
    """Send ``edition`` on its segment's channels, exactly once per recipient; resumable.

    Raises SendAborted (with the report so far) when the provider refuses the credentials
    or the message itself, or stays unavailable through every retry of a batch after
    nothing was accepted for ``transport.outage_after_seconds``; nothing is lost and nobody
    is failed for it: unsent batches stay pending for the next run.
    """
    if edition.id is None:
        raise SendError(f"edition {edition.segment} {edition.edition_date} was never stored")
    segment = app.config.segment(edition.segment)
    started = time.monotonic()
    worker = worker_id or new_worker_id()
    options = ChannelOptions(variant, worker, retry_unknown, processes, progress)
    # email first, whatever the order listed: a channel post never holds the email back
    names = sorted(dict.fromkeys(channels or segment.channels), key=lambda n: n != "email")
    with ExitStack() as stack:
        senders = [make_channel(name, app, options) for name in names]
        for sender in senders:
            stack.callback(sender.close)
        state, note = _open(app, edition, senders, actor, retry_unknown)
        runs: dict[str, ChannelRun] = {}
        if state is S.SENDING:
            runs = _run(app, edition, senders)
            state = _finish(app, edition.id, senders, worker)
        report = _report(app, edition, senders, state, started, runs, note)
    email = runs.get("email", ChannelRun())
    if email.error is not None:
        if isinstance(email.error, SendError):
            raise email.error
        raise SendError(f"sending stopped: {email.error}") from email.error
    if email.fatal is not None:
        raise SendAborted(email.fatal.reason, report, outage=email.fatal.outage)
    return report


def _open(
    app: App,
    edition: Edition,
    senders: Sequence[ChannelSender],
    actor: str,
    retry_unknown: bool,
) -> tuple[EditionState, str | None]:
    """Plan and recover every channel and move the edition to sending, atomically."""
    assert edition.id is not None
    now = app.clock()
    try:
        with app.engine.begin() as conn:
            found = lock_edition_state(conn, edition.id)
            if found is None:
                raise SendError(f"edition {edition.segment} {edition.edition_date} is gone")
            state = EditionState(found[0])
            plan = state in (S.DRAFT, S.APPROVED, S.SENDING, S.PAUSED)
            for sender in senders:
                sender.prepare(conn, edition, now, plan=plan)
            unknown = sum(s.unknown(conn, edition.id, now) for s in senders)
            action, note = opening(state, retry_unknown=retry_unknown, unknown=unknown)
            if action is not None:
                state = _MOVES[action](conn, edition.id, actor=actor, now=now)
            return state, note
    except SQLAlchemyError as exc:
        raise SendError(f"cannot prepare the send ledger: {exc}") from None


def _run(app: App, edition: Edition, senders: Sequence[ChannelSender]) -> dict[str, ChannelRun]:
    """Run each channel in turn; one refusing us stops the rest, email first."""
    assert edition.id is not None
    control = _Control(app, edition.id)
    runs: dict[str, ChannelRun] = {}
    for sender in senders:
        run = sender.run(edition, control)
        runs[sender.name] = run
        if run.fatal is not None or run.error is not None or control.should_stop():
            break
    return runs


def _finish(
    app: App, edition_id: int, senders: Sequence[ChannelSender], worker: str
) -> EditionState:
    """Mark the edition sent when no channel has work left; its state after."""
    now = app.clock()
    with app.engine.begin() as conn:
        found = lock_edition_state(conn, edition_id)
        state = EditionState(found[0]) if found else S.CANCELLED
        if state is S.SENDING and sum(s.open_work(conn, edition_id) for s in senders) == 0:
            return lifecycle.finish(conn, edition_id, actor=f"sender:{worker}", now=now)
        return state


def _channel_notes(runs: dict[str, ChannelRun]) -> list[str]:
    """What the other channels want said: pushes waiting for local time, failed posts."""
    notes = []
    for name, run in runs.items():
        waiting, next_due = getattr(run, "waiting", 0), getattr(run, "next_due", None)
        if name != "email" and waiting and next_due is not None:
            notes.append(
                f"{name}: {waiting} wait for their time (next {next_due:%Y-%m-%d %H:%M} UTC); "
                "the scheduler's tick or the next `digest send` sends them"
            )
        text = getattr(run, "note", None)
        if name != "email" and text:
            notes.append(f"{name}: {text}")
    return notes


def _report(
    app: App,
    edition: Edition,
    senders: Sequence[ChannelSender],
    state: EditionState,
    started: float,
    runs: dict[str, ChannelRun],
    note: str | None,
) -> SendReport:
    assert edition.id is not None
    now = app.clock()
    with app.engine.connect() as conn:
        counts = ledger.delivery_counts(conn, edition.id, now=now, is_dead=is_dead_worker)
        next_due = ledger.next_due_time(conn, edition.id) if counts.held else None
        channels = {s.name: s.counts(conn, edition.id, now) for s in senders}
    seconds = time.monotonic() - started
    email = runs.get("email", ChannelRun())
    if state is S.PAUSED and note is None:
        note = "the send is paused; `digest resume` (or `digest send`) goes on"
    note = "; ".join(filter(None, [note, *_channel_notes(runs)])) or None
    return SendReport.from_counts(
        counts,
        seconds,
        rate=email.sent / seconds if seconds > 0 else 0.0,
        edition_id=edition.id,
        edition_status=str(state),
        sent_now=email.sent,
        batches_now=email.batches,
        next_due=next_due,
        note=note,
        channels=channels,
    )
