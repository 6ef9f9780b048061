"""The audit log: every staff action, with who, what, when, the edition, before and after.

A use case records its action in the same transaction as the change itself, so the log
never claims a change that did not happen and never misses one that did.
"""

from __future__ import annotations

import getpass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from digest.app import App
from digest.models import Edition
from digest.store.audit import AuditEntry, append_audit, audit_entries

__all__ = ["AuditAction", "AuditEntry", "audit_log", "cli_actor", "record_action", "web_actor"]


class AuditAction(StrEnum):
    """What a member of staff did."""

    USER_ADDED = "user-added"
    USER_REMOVED = "user-removed"
    ROLE_CHANGED = "role-changed"
    PASSWORD_CHANGED = "password-changed"
    SIGNED_IN = "signed-in"
    SIGNED_OUT = "signed-out"
    PIN = "pin"
    UNPIN = "unpin"
    EXCLUDE = "exclude"
    INCLUDE = "include"
    MOVE = "move"
    SUBJECT = "subject"
    NOTE = "note"
    RESTORE = "restore"
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    HOLD = "hold"
    TEST_SEND = "test-send"
    # the ops console (issue #12)
    START_SEND = "start-send"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY_UNKNOWN = "retry-unknown"
    SUPPRESS = "suppress"
    LIFT_SUPPRESSION = "lift-suppression"
    EXPORT = "export"


def web_actor(email: str) -> str:
    """The actor string of a signed-in member of staff."""
    return f"web:{email}"


def cli_actor() -> str:
    """The actor string of whoever runs the command line (their operating-system user)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        user = "unknown"
    return f"cli:{user}"


def record_action(
    conn: Connection,
    *,
    actor: str,
    action: AuditAction,
    now: datetime,
    edition: Edition | None = None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    client: str | None = None,
) -> None:
    """Append one action to the log inside the caller's transaction."""
    append_audit(
        conn,
        at=now,
        actor=actor,
        action=action.value,
        segment=edition.segment if edition else None,
        edition_date=edition.edition_date if edition else None,
        edition_id=edition.id if edition else None,
        target=target,
        before=before,
        after=after,
        client=client,
    )


def audit_log(
    app: App,
    *,
    segment: str | None = None,
    edition_date: date | None = None,
    actor: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Recorded actions, newest first; a segment name is checked against the config."""
    if segment is not None:
        app.config.segment(segment)
    with app.engine.connect() as conn:
        return audit_entries(
            conn, segment=segment, edition_date=edition_date, actor=actor, limit=limit
        )
