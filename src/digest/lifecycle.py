"""The edition lifecycle: one state machine, and the only code that changes an edition's state.

Every change of state — by the CLI, the scheduler, the desk, the console or a sender — goes
through one of the transition functions below. Each one takes the edition's row lock inside
the caller's transaction, checks the move against ``TRANSITIONS`` (a pure table), writes the
new state with its timestamp, and appends who did it, when and why to ``edition_history``.
A move the table does not allow raises ``TransitionRefused`` and changes nothing.

    draft ──approve──▶ approved ──start──▶ sending ──finish──▶ sent
      │  ◀─unapprove──    │                 │  ▲                │
      ├──hold──▶ held ─approve─┘           pause resume         reopen (retry unknown)
      └──start──────────────────────▶ sending ◀──────────────────┘
    cancel: from draft, approved, held, sending, paused (final)
    skip:   from draft, approved, held (final)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection


class EditionError(Exception):
    """An edition cannot be built, changed or sent as asked; the message says why."""


class EditionState(StrEnum):
    """Where an edition stands; the values are what ``editions.status`` stores."""

    DRAFT = "draft"
    APPROVED = "approved"
    HELD = "held"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class Action(StrEnum):
    """A named change of state."""

    CREATE = "create"
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    HOLD = "hold"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    FINISH = "finish"
    REOPEN = "reopen"
    CANCEL = "cancel"
    SKIP = "skip"


S = EditionState
# action -> (states it may start from, the state it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[EditionState], EditionState]] = {
    Action.APPROVE: (frozenset({S.DRAFT, S.HELD}), S.APPROVED),
    Action.UNAPPROVE: (frozenset({S.APPROVED}), S.DRAFT),
    Action.HOLD: (frozenset({S.DRAFT}), S.HELD),
    Action.START: (frozenset({S.DRAFT, S.APPROVED}), S.SENDING),
    Action.PAUSE: (frozenset({S.SENDING}), S.PAUSED),
    Action.RESUME: (frozenset({S.PAUSED}), S.SENDING),
    Action.FINISH: (frozenset({S.SENDING}), S.SENT),
    Action.REOPEN: (frozenset({S.SENT}), S.SENDING),
    Action.CANCEL: (frozenset({S.DRAFT, S.APPROVED, S.HELD, S.SENDING, S.PAUSED}), S.CANCELLED),
    Action.SKIP: (frozenset({S.DRAFT, S.APPROVED, S.HELD}), S.SKIPPED),
}
# states that carry articles (a later edition does not repeat them)
CARRYING = frozenset({S.DRAFT, S.APPROVED, S.HELD, S.SENDING, S.PAUSED, S.SENT})
# states from which nothing more is ever sent
FINAL = frozenset({S.SENT, S.CANCELLED, S.SKIPPED})
# states whose content may still change (ranking follows new articles, editors adjust)
EDITABLE = frozenset({S.DRAFT, S.HELD})

_WHY_NOT = {
    Action.APPROVE: "only a draft or held edition can be approved",
    Action.UNAPPROVE: "only an approved edition can be withdrawn",
    Action.HOLD: "only a draft can be held",
    Action.START: "only a draft or approved edition can start sending",
    Action.PAUSE: "only a sending edition can be paused",
    Action.RESUME: "only a paused edition can be resumed",
    Action.FINISH: "only a sending edition can finish",
    Action.REOPEN: "only a sent edition can be reopened for unknown recipients",
    Action.CANCEL: "a sent, skipped or cancelled edition cannot be cancelled",
    Action.SKIP: "only an edition that has not started sending can be skipped",
}


class TransitionRefused(EditionError):
    """The lifecycle does not allow this change from the edition's current state."""

    def __init__(self, label: str, state: EditionState, action: Action) -> None:
        self.state = state
        self.action = action
        super().__init__(f"cannot {action} {label}: it is {state}; {_WHY_NOT[action]}")


def next_state(state: EditionState, action: Action, label: str = "the edition") -> EditionState:
    """The state ``action`` leads to from ``state``; TransitionRefused if not allowed (pure)."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise TransitionRefused(label, state, action)
    return target


def allowed_actions(state: EditionState) -> tuple[Action, ...]:
    """Every action the lifecycle allows from ``state``, in table order (pure)."""
    return tuple(a for a, (sources, _) in TRANSITIONS.items() if state in sources)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of an edition's state."""

    state: EditionState
    at: datetime
    by: str
    reason: str | None
    action: Action
    from_state: EditionState | None

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready: state, at, by, reason, action, from."""
        return {
            "state": str(self.state),
            "at": self.at.isoformat(),
            "by": self.by,
            "reason": self.reason,
            "action": str(self.action),
            "from": str(self.from_state) if self.from_state else None,
        }


def _apply(
    conn: Connection,
    edition_id: int,
    action: Action,
    *,
    actor: str,
    now: datetime,
    reason: str | None,
) -> EditionState:
    from digest.store.history import append_history, lock_edition_state, write_state

    found = lock_edition_state(conn, edition_id)
    if found is None:
        raise EditionError(f"edition {edition_id} does not exist")
    current, label = EditionState(found[0]), found[1]
    target = next_state(current, action, label)
    write_state(conn, edition_id, target, now, reason=reason if action is Action.SKIP else None)
    append_history(conn, edition_id, current, target, action, actor=actor, at=now, reason=reason)
    return target


def approve(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """draft or held → approved: an editor signed the edition off."""
    return _apply(conn, edition_id, Action.APPROVE, actor=actor, now=now, reason=reason)


def unapprove(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """approved → draft: the approval is withdrawn (by hand, or by an edit after it)."""
    return _apply(conn, edition_id, Action.UNAPPROVE, actor=actor, now=now, reason=reason)


def hold(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """draft → held: approval is required and missing; nothing is sent."""
    return _apply(conn, edition_id, Action.HOLD, actor=actor, now=now, reason=reason)


def start(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """draft or approved → sending: the send begins (its content is frozen from here)."""
    return _apply(conn, edition_id, Action.START, actor=actor, now=now, reason=reason)


def pause(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """sending → paused: every sender stops after its in-flight batches."""
    return _apply(conn, edition_id, Action.PAUSE, actor=actor, now=now, reason=reason)


def resume(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """paused → sending: senders may claim batches again."""
    return _apply(conn, edition_id, Action.RESUME, actor=actor, now=now, reason=reason)


def finish(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """sending → sent: no recipient is pending or in flight any more."""
    return _apply(conn, edition_id, Action.FINISH, actor=actor, now=now, reason=reason)


def reopen(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """sent → sending: ops re-send the recipients whose outcome is unknown, on purpose."""
    return _apply(conn, edition_id, Action.REOPEN, actor=actor, now=now, reason=reason)


def cancel(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """→ cancelled (final): nothing more is sent; running senders stop after their batch."""
    return _apply(conn, edition_id, Action.CANCEL, actor=actor, now=now, reason=reason)


def skip(
    conn: Connection, edition_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> EditionState:
    """→ skipped (final): no edition goes out for the day; ``reason`` says why."""
    return _apply(conn, edition_id, Action.SKIP, actor=actor, now=now, reason=reason)


def record_created(
    conn: Connection,
    edition_id: int,
    state: EditionState,
    *,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Append the creation of an edition (in ``state``) to its history."""
    from digest.store.history import append_history

    append_history(conn, edition_id, None, state, Action.CREATE, actor=actor, at=now, reason=reason)


def history(conn: Connection, edition_id: int) -> list[HistoryEntry]:
    """The edition's recorded changes of state, oldest first."""
    from digest.store.history import history_rows

    return [
        HistoryEntry(
            state=EditionState(r.to_state),
            at=r.at,
            by=r.actor,
            reason=r.reason,
            action=Action(r.action),
            from_state=EditionState(r.from_state) if r.from_state else None,
        )
        for r in history_rows(conn, edition_id)
    ]
