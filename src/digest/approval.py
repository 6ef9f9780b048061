"""Approval: an editor signs an edition off, freezing exactly what will be sent.

Approving stores the edition's content and its SHA-256; an approved edition sends exactly
that content (``edition_for_sending``), and any edit afterwards withdraws the approval.
Each segment's policy (``approval: none | required``, ``approval_deadline_minutes``,
``on_unapproved: hold | send``) decides what happens to an edition nobody approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from digest import lifecycle
from digest.app import App
from digest.audit import AuditAction, record_action
from digest.config import Segment
from digest.editorial import (
    EditorialError,
    claim_for_edit,
    compose_now,
    ensure_edition,
    ensure_in,
    frozen_edition,
    refresh_composition,
    who,
)
from digest.i18n import N_
from digest.lifecycle import EditionError, EditionState
from digest.models import Edition
from digest.sending import NotSendable
from digest.snapshot import content_hash, edition_content
from digest.store.editions import edition_for
from digest.store.editorial import (
    clear_approval,
    editorial_state,
    overrides_of,
    record_approval,
    write_composition,
)


class ApprovalMissing(NotSendable):
    """The segment requires approval, and the edition has none: nothing is sent."""


@dataclass(frozen=True, slots=True)
class Approval:
    """An approval as recorded."""

    by: str
    content_hash: str
    articles: int


def approval_deadline(segment: Segment, due_at: datetime) -> datetime | None:
    """When an edition due at ``due_at`` must be approved by (None: no approval needed)."""
    if segment.approval != "required":
        return None
    return due_at - timedelta(minutes=segment.approval_deadline_minutes)


def _check_renders(app: App, edition: Edition) -> None:
    """EditorialError unless the edition renders and passes the compliance gate."""
    from digest.editions import render_variant
    from digest.render import ComplianceError, RenderError

    try:
        render_variant(app, edition, app.config.segment(edition.segment).locale)
    except (RenderError, ComplianceError) as exc:
        raise EditorialError(
            N_("it cannot be approved: the email does not render (%(problem)s)"), problem=str(exc)
        ) from None


def approve_edition(
    app: App,
    segment_name: str,
    edition_date: date,
    *,
    actor: str,
    expected_hash: str | None = None,
    expected_version: int | None = None,
    client: str | None = None,
) -> Approval:
    """Freeze the edition as it is composed now and approve it.

    ``expected_hash`` is the content the editor saw: if a new article changed the draft
    since, nothing is approved and EditConflict says to look again.
    """
    segment = app.config.segment(segment_name)
    now = app.clock()
    with app.engine.begin() as conn:
        edition = ensure_in(app, conn, segment, edition_date, actor=actor)
        assert edition.id is not None
        state = claim_for_edit(conn, edition.id, expected_version, actor, now)
        status = EditionState(state.status)
        if status is EditionState.APPROVED:
            raise EditorialError(
                N_("it is already approved, by %(who)s"), who=who(state.approved_by)
            )
        composed, _ = compose_now(
            app,
            conn,
            edition,
            overrides_of(conn, edition.id),
            subject_override=state.subject_override,
            note=state.editor_note,
            now=now,
        )
        content = edition_content(composed)
        digest = content_hash(content)
        if expected_hash is not None and expected_hash != digest:
            raise EditorialError(
                N_(
                    "the draft changed since you loaded it (new or updated articles); "
                    "nothing was approved: look at it again"
                )
            )
        if not composed.items:
            raise EditorialError(N_("an edition without articles cannot be approved"))
        _check_renders(app, composed)
        write_composition(
            conn,
            edition.id,
            composed.items,
            subject=composed.subject,
            window_start=composed.window_start,
            cutoff_at=composed.cutoff_at,
        )
        lifecycle.approve(conn, edition.id, actor=actor, now=now, reason=f"content {digest[:12]}")
        record_approval(conn, edition.id, by=actor, content_hash=digest, content=content)
        record_action(
            conn,
            actor=actor,
            action=AuditAction.APPROVE,
            now=now,
            edition=edition,
            before={"state": str(status)},
            after={"hash": digest, "articles": [it.article.url for it in composed.items]},
            client=client,
        )
    return Approval(by=actor, content_hash=digest, articles=len(composed.items))


def unapprove_edition(
    app: App,
    segment_name: str,
    edition_date: date,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> None:
    """Withdraw the approval: the edition is a draft again and follows the news."""
    app.config.segment(segment_name)
    now = app.clock()
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment_name, edition_date)
    if edition is None or edition.id is None:
        raise EditorialError(
            N_("%(edition)s has no edition yet"), edition=f"{segment_name} {edition_date}"
        )
    with app.engine.begin() as conn:
        state = claim_for_edit(conn, edition.id, expected_version, actor, now)
        lifecycle.unapprove(conn, edition.id, actor=actor, now=now, reason="withdrawn")
        clear_approval(conn, edition.id)
        refresh_composition(app, conn, edition, now)
        record_action(
            conn,
            actor=actor,
            action=AuditAction.UNAPPROVE,
            now=now,
            edition=edition,
            before={"approved_by": state.approved_by, "hash": state.approved_hash},
            after={"state": str(EditionState.DRAFT)},
            client=client,
        )


def _verified(edition: Edition, state: Any) -> Edition:
    """The approved content, after checking it is what the approval's hash says."""
    if (
        state.approved_content is None
        or content_hash(state.approved_content) != state.approved_hash
    ):
        raise EditionError(
            f"edition {edition.segment} {edition.edition_date}: the approved content does not "
            "match its recorded hash; nothing is sent (approve it again)"
        )
    return frozen_edition(edition, state)


def edition_for_sending(
    app: App,
    segment_name: str,
    edition_date: date,
    edition: Edition,
    *,
    actor: str,
    store: bool = True,
    check: bool = True,
) -> Edition:
    """The edition exactly as it must be sent, following the segment's approval policy.

    Approved (or sending after approval): the frozen content, its hash checked. A draft:
    re-ranked now with the editors' choices — unless approval is required and missing,
    when it is held (``on_unapproved: hold``, ApprovalMissing) or the automatic selection
    goes out (``send``). Anything else is returned as stored. ``store=False`` (a dry run)
    composes without writing anything; ``check=False`` returns the draft instead of raising
    ApprovalMissing (``approval_blocks`` says why it would not go).
    """
    if edition.id is None:
        return edition
    segment = app.config.segment(segment_name)
    with app.engine.connect() as conn:
        state = editorial_state(conn, edition.id)
    if state is None:
        return edition
    if state.approved_hash is not None and edition.status in (
        EditionState.APPROVED,
        EditionState.SENDING,
        EditionState.PAUSED,
    ):
        return _verified(edition, state)
    if edition.status is EditionState.HELD and check:
        raise ApprovalMissing(
            f"edition {segment_name} {edition_date} is held: {held_reason(app, edition)}"
        )
    if edition.status is not EditionState.DRAFT:
        return edition
    required = segment.approval == "required"
    if required and segment.on_unapproved == "hold" and check:
        raise ApprovalMissing(
            f"edition {segment_name} {edition_date} needs an editor's approval before it is "
            f"sent (segments[{segment_name}].approval: required); approve it on the desk or "
            f"with `digest edition approve {segment_name} --date {edition_date}`"
        )
    now = app.clock()
    if not store:
        with app.engine.connect() as conn:
            composed, _ = compose_now(
                app,
                conn,
                edition,
                overrides_of(conn, edition.id),
                subject_override=state.subject_override,
                note=state.editor_note,
                now=now,
                automatic=required,
            )
        return composed
    with app.engine.begin() as conn:
        composed = refresh_composition(app, conn, edition, now, automatic=required)
        if len(composed.items) < max(1, segment.min_articles):
            lifecycle.skip(
                conn,
                edition.id,
                actor=actor,
                now=now,
                reason=(
                    f"only {len(composed.items)} article(s) at send time; the segment needs "
                    f"min_articles={segment.min_articles}"
                ),
            )
        stored = edition_for(conn, segment_name, edition_date)
    assert stored is not None
    return stored


def approval_blocks(segment: Segment, edition: Edition) -> str | None:
    """Why the segment's approval policy keeps ``edition`` from going out now (pure)."""
    if segment.approval != "required" or segment.on_unapproved != "hold":
        return None
    if edition.status in (EditionState.DRAFT, EditionState.HELD):
        return "approval is required and the edition is not approved"
    return None


def why_held(app: App, segment_name: str, edition_date: date) -> str | None:
    """Why the segment's edition for the date is held (None when it is not held)."""
    with app.engine.connect() as conn:
        edition = edition_for(conn, segment_name, edition_date)
    if edition is None or edition.status is not EditionState.HELD:
        return None
    return held_reason(app, edition)


def held_reason(app: App, edition: Edition) -> str:
    """Why the edition is held, from its history."""
    if edition.id is None:
        return ""
    with app.engine.connect() as conn:
        entries = lifecycle.history(conn, edition.id)
    for entry in reversed(entries):
        if entry.action is lifecycle.Action.HOLD:
            return entry.reason or "approval required and missing"
    return "approval required and missing"


def hold_unapproved(
    app: App, segment: Segment, edition_date: date, deadline: datetime
) -> str | None:
    """Hold the segment's draft for the date if approval is required and missing past the
    deadline (``on_unapproved: hold``); the reason if it was held now."""
    if segment.approval != "required" or segment.on_unapproved != "hold":
        return None
    edition = ensure_edition(app, segment, edition_date, actor="scheduler")
    if edition.id is None or edition.status is not EditionState.DRAFT:
        return None
    now = app.clock()
    reason = (
        f"approval required by {deadline.isoformat()} "
        f"({segment.approval_deadline_minutes} min before it was due); not approved"
    )
    with app.engine.begin() as conn:
        try:
            lifecycle.hold(conn, edition.id, actor="scheduler", now=now, reason=reason)
        except lifecycle.TransitionRefused:
            return None  # approved (or changed) a moment ago: nothing to hold
        record_action(
            conn,
            actor="scheduler",
            action=AuditAction.HOLD,
            now=now,
            edition=edition,
            before={"state": "draft"},
            after={"state": "held", "reason": reason},
        )
    return reason
