"""The console's controls: start, pause, resume, cancel, retry unknown — checked, then done.

Each control runs the lifecycle transition the CLI's commands run, in one transaction that
first locks the edition and compares its version (state and latest history entry) with the
one the page showed: an edition that changed meanwhile is refused with what it is now and
who changed it, and nothing is done. Starting, resuming and retrying return a ``Launch``:
the caller runs the send itself (``digest.editions.send_edition``) in the background.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from digest import lifecycle
from digest.audit import AuditAction, record_action
from digest.console import version_of
from digest.lifecycle import EditionError, EditionState
from digest.store.schema import EditionHistoryRow

if TYPE_CHECKING:
    from digest.app import App
    from digest.lifecycle import HistoryEntry
    from digest.models import Edition


class ConsoleAction(StrEnum):
    """What ops can do to an edition from the console."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY_UNKNOWN = "retry_unknown"


# What each state offers (retry unknown only while someone's outcome is unknown).
OFFERED: dict[str, tuple[ConsoleAction, ...]] = {
    "none": (ConsoleAction.START,),
    "scheduled": (ConsoleAction.START,),
    EditionState.DRAFT: (ConsoleAction.START, ConsoleAction.CANCEL),
    EditionState.APPROVED: (ConsoleAction.START, ConsoleAction.CANCEL),
    EditionState.HELD: (ConsoleAction.CANCEL,),
    EditionState.SENDING: (ConsoleAction.PAUSE, ConsoleAction.CANCEL),
    EditionState.PAUSED: (ConsoleAction.RESUME, ConsoleAction.CANCEL),
    EditionState.SENT: (ConsoleAction.RETRY_UNKNOWN,),
}
_AUDIT = {
    ConsoleAction.START: AuditAction.START_SEND,
    ConsoleAction.PAUSE: AuditAction.PAUSE,
    ConsoleAction.RESUME: AuditAction.RESUME,
    ConsoleAction.CANCEL: AuditAction.CANCEL,
    ConsoleAction.RETRY_UNKNOWN: AuditAction.RETRY_UNKNOWN,
}


def offered(state: str, unknown: int) -> tuple[ConsoleAction, ...]:
    """The controls the console shows for an edition in ``state``."""
    actions = OFFERED.get(state, ())
    if ConsoleAction.RETRY_UNKNOWN in actions and unknown == 0:
        return ()
    return actions


class StaleEdition(EditionError):
    """The edition changed after the page was drawn; nothing was done."""

    def __init__(self, label: str, state: str, last: HistoryEntry | None = None) -> None:
        change = f" ({last.action} by {last.by} at {last.at:%H:%M:%S} UTC)" if last else ""
        super().__init__(
            f"{label} is now {state}{change}: it changed after this page was loaded, "
            "so nothing was done"
        )
        self.label = label
        self.state = state
        self.last = last


class ControlRefused(EditionError):
    """The control does not apply to the edition as it is; nothing was done."""

    def __init__(self, label: str, state: str, action: ConsoleAction | None) -> None:
        super().__init__(
            refusal_text(action).replace("%(edition)s", label).replace("%(state)s", state)
        )
        self.label = label
        self.state = state
        self.action = action


# Why a control does not apply (the console translates these; %(edition)s, %(state)s).
REFUSALS: dict[ConsoleAction | None, str] = {
    ConsoleAction.START: "%(edition)s is %(state)s: only a draft or approved edition can be "
    "started; nothing was done",
    ConsoleAction.PAUSE: "%(edition)s is %(state)s: only a send in progress can be paused; "
    "nothing was done",
    ConsoleAction.RESUME: "%(edition)s is %(state)s: only a paused send can be resumed; "
    "nothing was done",
    ConsoleAction.CANCEL: "%(edition)s is %(state)s and can no longer be cancelled; nothing "
    "was done",
    ConsoleAction.RETRY_UNKNOWN: "%(edition)s is %(state)s: retrying applies to a sent "
    "edition with recipients whose outcome is unknown; nothing was done",
    None: "%(edition)s has no edition any more; nothing was done",
}


def refusal_text(action: ConsoleAction | None) -> str:
    """The English text of a refusal, with %(edition)s and %(state)s to fill in."""
    return REFUSALS[action]


@dataclass(frozen=True, slots=True)
class Launch:
    """A send the caller must now run in the background (the state is already changed)."""

    segment: str
    edition_date: date
    retry_unknown: bool = False


@dataclass(frozen=True, slots=True)
class ControlResult:
    """What a control did: the edition's new state, and a send to run if any."""

    state: str
    launch: Launch | None = None


def _current_version(conn: Connection, edition_id: int, state: str) -> str:
    latest = conn.execute(
        select(func.max(EditionHistoryRow.id)).where(EditionHistoryRow.edition_id == edition_id)
    ).scalar_one_or_none()
    return version_of(state, int(latest or 0))


def _lock(conn: Connection, edition: Edition, seen: str) -> str:
    """Lock the edition; its state; StaleEdition unless its version is ``seen``."""
    from digest.store.history import lock_edition_state

    assert edition.id is not None
    label = f"{edition.segment} {edition.edition_date}"
    found = lock_edition_state(conn, edition.id)
    if found is None:
        raise ControlRefused(label, "gone", None)
    state = str(found[0])
    if _current_version(conn, edition.id, state) != seen:
        entries = lifecycle.history(conn, edition.id)
        raise StaleEdition(label, state, entries[-1] if entries else None)
    return state


def apply_control(
    app: App,
    segment: str,
    edition_date: date,
    action: ConsoleAction,
    *,
    actor: str,
    seen: str,
    client: str | None = None,
) -> ControlResult:
    """Carry out ``action`` on the segment's edition of ``edition_date`` if it is still as
    the page showed it (``seen``); StaleEdition or ControlRefused (nothing done) otherwise."""
    from digest.editions import build_edition
    from digest.store.editions import edition_for

    app.config.segment(segment)
    with app.engine.connect() as conn:
        existing = edition_for(conn, segment, edition_date)
    if existing is None:
        if action is not ConsoleAction.START or not seen.startswith("none:"):
            raise ControlRefused(f"{segment} {edition_date}", "none", None)
        existing = build_edition(app, segment, edition_date, actor=actor)
        seen = version_of(str(existing.status), _latest_id(app, existing))
    now = app.clock()
    with app.engine.begin() as conn:
        state = _lock(conn, existing, seen)
        unknown = _unknown(app, conn, existing) if action is ConsoleAction.RETRY_UNKNOWN else 0
        if action not in offered(state, unknown if state == EditionState.SENT else 1):
            raise ControlRefused(f"{existing.segment} {existing.edition_date}", state, action)
        new_state, launch = _carry_out(conn, existing, state, action, actor=actor, now=now)
        record_action(
            conn,
            actor=actor,
            action=_AUDIT[action],
            now=now,
            edition=existing,
            before=state,
            after=str(new_state),
            client=client,
        )
    return ControlResult(state=str(new_state), launch=launch)


def _latest_id(app: App, edition: Edition) -> int:
    with app.engine.connect() as conn:
        latest = conn.execute(
            select(func.max(EditionHistoryRow.id)).where(EditionHistoryRow.edition_id == edition.id)
        ).scalar_one_or_none()
    return int(latest or 0)


def _unknown(app: App, conn: Connection, edition: Edition) -> int:
    from digest.send.workers import is_dead_worker
    from digest.store.ledger import delivery_counts

    assert edition.id is not None
    return delivery_counts(conn, edition.id, now=app.clock(), is_dead=is_dead_worker).unknown


def _carry_out(
    conn: Connection,
    edition: Edition,
    state: str,
    action: ConsoleAction,
    *,
    actor: str,
    now: object,
) -> tuple[EditionState | str, Launch | None]:
    assert edition.id is not None
    launch = Launch(edition.segment, edition.edition_date)
    if action is ConsoleAction.PAUSE:
        return lifecycle.pause(conn, edition.id, actor=actor, now=now), None  # type: ignore[arg-type]
    if action is ConsoleAction.CANCEL:
        return lifecycle.cancel(conn, edition.id, actor=actor, now=now), None  # type: ignore[arg-type]
    if action is ConsoleAction.RESUME:
        return lifecycle.resume(conn, edition.id, actor=actor, now=now), launch  # type: ignore[arg-type]
    if action is ConsoleAction.RETRY_UNKNOWN:
        moved = lifecycle.reopen(conn, edition.id, actor=actor, now=now)  # type: ignore[arg-type]
        return moved, Launch(edition.segment, edition.edition_date, retry_unknown=True)
    return lifecycle.start(conn, edition.id, actor=actor, now=now), launch  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class StartPreview:
    """What the confirmation before a manual start shows: who gets what, through what."""

    segment: str
    edition_date: date
    state: str  # the edition's state, or "none" when it is not built yet
    subject: str
    recipients: int  # who would be sent now (for a started ledger: those still pending)
    resuming: bool  # the ledger exists: starting goes on with those still pending
    transport: str  # "outbox", "sendgrid", "smtp"
    endpoint: str  # where the messages go ("SendGrid at https://api.sendgrid.com")
    version: str
    problem: str | None  # why it cannot start (nothing is done then)


def start_preview(app: App, segment: str, edition_date: date) -> StartPreview:
    """The confirmation of a manual start; writes nothing (a missing edition is drafted)."""
    from digest.editions import draft_edition, render_variant
    from digest.send.workers import is_dead_worker
    from digest.store.editions import edition_for
    from digest.store.ledger import delivery_counts, is_planned
    from digest.store.subscribers import count_segment_recipients

    seg = app.config.segment(segment)
    now = app.clock()
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment, edition_date)
        planned = edition is not None and edition.id is not None and is_planned(conn, edition.id)
        if planned:
            assert edition is not None and edition.id is not None
            counts = delivery_counts(conn, edition.id, now=now, is_dead=is_dead_worker)
            recipients = counts.pending
        else:
            recipients = count_segment_recipients(conn, seg, now)
        version = (
            version_of("none", 0)
            if edition is None or edition.id is None
            else _current_version(conn, edition.id, str(edition.status))
        )
    problem = None
    if edition is None:
        draft = draft_edition(app, segment, edition_date, now=now).edition
        shown = draft
        if draft.status == EditionState.SKIPPED:
            problem = f"it would be skipped: {draft.skip_reason}"
    else:
        shown = edition
        if ConsoleAction.START not in offered(str(edition.status), 1):
            label = f"{edition.segment} {edition.edition_date}"
            problem = str(ControlRefused(label, str(edition.status), ConsoleAction.START))
    if problem is None:
        problem = _render_problem(app, shown, render_variant)
    transport, endpoint, trouble = _transport(app)
    return StartPreview(
        segment=segment,
        edition_date=edition_date,
        state=str(edition.status) if edition is not None else "none",
        subject=shown.subject,
        recipients=recipients,
        resuming=planned,
        transport=transport,
        endpoint=endpoint,
        version=version,
        problem=problem or trouble,
    )


def _render_problem(app: App, edition: Edition, render: Any) -> str | None:
    """Why the edition's email cannot be sent (the compliance gate, a template), if so."""
    from digest.render import ComplianceError, RenderError

    segment = app.config.segment(edition.segment)
    try:
        render(app, edition, segment.locale)
    except ComplianceError as exc:
        return f"the email fails the compliance gate: {exc}"
    except RenderError as exc:
        return f"the email cannot be rendered: {exc}"
    return None


def _transport(app: App) -> tuple[str, str, str | None]:
    """(kind, where it sends, why it cannot) of the configured transport."""
    kind = app.config.transport.kind
    try:
        transport = app.transport()
    except Exception as exc:  # a missing key or an unusable setting: shown, nothing sent
        return kind, kind, f"the {kind} transport cannot be used: {exc}"
    try:
        return kind, str(getattr(transport, "endpoint", kind)), None
    finally:
        close = getattr(transport, "close", None)
        if close is not None:
            close()
