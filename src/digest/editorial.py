"""Use cases of the editors' desk: see an edition as it stands, and adjust it.

Before approval an edition follows the news: its automatic selection is re-ranked on every
view and when it is sent, and editors' pins and exclusions are applied to it each time.
Every edit is checked against the edition's version (two editors at once: the second is
told who changed it and when), refused once sending began, withdraws an approval (and says
so), and is written to the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from digest import lifecycle
from digest.app import App
from digest.audit import AuditAction, record_action
from digest.compose import Composition, Overrides, Placed, compose
from digest.config import Segment
from digest.editions import automatic_subject, rank_input
from digest.i18n import N_
from digest.lifecycle import EditionError, EditionState
from digest.models import Article, Edition, ScoredArticle
from digest.rank import RankInput, score_article
from digest.snapshot import content_hash, edition_content, edition_from_content
from digest.store.articles import articles_by_ids
from digest.store.editions import edition_for, insert_edition_once
from digest.store.editorial import (
    EditorialState,
    claim_edit,
    clear_approval,
    editorial_state,
    overrides_of,
    write_composition,
)
from digest.texts import Translatable

# states in which the content is fixed: approved (frozen by the editor) or being sent
FROZEN = frozenset({EditionState.APPROVED, EditionState.SENDING, EditionState.PAUSED})
DONE = frozenset({EditionState.SENT, EditionState.CANCELLED, EditionState.SKIPPED})


class EditorialError(EditionError, Translatable):
    """An edit or approval cannot be made as asked; nothing was changed."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(self._set_message(template, params))


class EditConflict(EditorialError):
    """Someone else changed the edition since the editor loaded it."""


@dataclass(frozen=True, slots=True)
class EditionView:
    """An edition as the desk and `digest edition show` present it."""

    segment: Segment
    edition: Edition  # composed now (a draft), or the frozen content
    placed: tuple[Placed, ...]
    left_out: tuple[tuple[ScoredArticle, str], ...]
    overrides: Overrides
    state: EditorialState | None  # None while nothing is stored for the date
    subject_automatic: bool
    content_hash: str

    @property
    def status(self) -> EditionState:
        return self.edition.status

    @property
    def version(self) -> int:
        return self.state.version if self.state else 0

    @property
    def editable(self) -> bool:
        """Edits are allowed (an approved edition may change: it loses its approval)."""
        return self.status in lifecycle.EDITABLE or self.status is EditionState.APPROVED

    @property
    def follows_news(self) -> bool:
        """Still re-ranked on every view and at send time."""
        return self.status in lifecycle.EDITABLE


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """What an edit did: the action, and whose approval it withdrew (if any)."""

    action: AuditAction
    withdrawn_approval_of: str | None = None


def _blank(segment: Segment, edition_date: date, now: datetime) -> Edition:
    return Edition(
        segment=segment.name,
        edition_date=edition_date,
        status=EditionState.DRAFT,
        window_start=now,
        cutoff_at=now,
        subject="",
        items=(),
    )


def compose_now(
    app: App,
    conn: Connection,
    base: Edition,
    overrides: Overrides,
    *,
    subject_override: str | None,
    note: str | None,
    now: datetime,
    automatic: bool = False,
) -> tuple[Edition, Composition]:
    """The edition re-ranked at ``now`` with the editors' choices (``automatic``: without)."""
    segment = app.config.segment(base.segment)
    articles, inp = rank_input(app, segment, base.edition_date, now)
    if automatic:
        overrides, subject_override, note = Overrides(), None, None
    pinned = articles_by_ids(conn, sorted(overrides.pinned_ids)) if overrides.pins else {}
    composition = compose(articles, pinned, overrides, inp)
    edition = replace(
        base,
        window_start=inp.window_start,
        cutoff_at=inp.now,
        items=composition.items,
        editor_note=note,
        subject="",
    )
    subject = subject_override or (automatic_subject(app, edition) if edition.items else "")
    return replace(edition, subject=subject), composition


def _frozen_placed(edition: Edition, articles: list[Article], inp: RankInput) -> tuple[Placed, ...]:
    candidates = {a.id for a in articles}
    scoring = replace(inp, now=max(inp.now, edition.cutoff_at))
    return tuple(
        Placed(it, score_article(it.article, scoring), it.article.id in candidates)
        for it in edition.items
    )


def edition_view(app: App, segment_name: str, edition_date: date) -> EditionView:
    """The segment's edition for the date as it stands now (nothing is written)."""
    segment = app.config.segment(segment_name)
    now = app.clock()
    with app.engine.connect() as conn:
        stored = edition_for(conn, segment.name, edition_date)
        state = editorial_state(conn, stored.id) if stored and stored.id else None
        overrides = overrides_of(conn, stored.id) if stored and stored.id else Overrides()
        base = stored or _blank(segment, edition_date, now)
        left_out: tuple[tuple[ScoredArticle, str], ...]
        if base.status in FROZEN or base.status in DONE:
            edition = frozen_edition(base, state)
            articles, inp = rank_input(app, segment, edition_date, edition.cutoff_at)
            placed, left_out = _frozen_placed(edition, articles, inp), ()
        else:
            edition, composition = compose_now(
                app,
                conn,
                base,
                overrides,
                subject_override=state.subject_override if state else None,
                note=state.editor_note if state else None,
                now=now,
            )
            placed, left_out = composition.placed, composition.left_out
    return EditionView(
        segment=segment,
        edition=edition,
        placed=placed,
        left_out=left_out,
        overrides=overrides,
        state=state,
        subject_automatic=not (state and state.subject_override),
        content_hash=content_hash(edition_content(edition)),
    )


def frozen_edition(stored: Edition, state: EditorialState | None) -> Edition:
    """A stored edition with the content its approval froze (itself when not approved)."""
    if state is None or state.approved_content is None:
        return stored
    return edition_from_content(
        state.approved_content, edition_id=stored.id, status=stored.status, base=stored
    )


def ensure_edition(app: App, segment: Segment, edition_date: date, *, actor: str) -> Edition:
    """The stored edition for the date, created now as a draft if there is none yet.

    Unlike building for sending, a draft made for editors is kept even with fewer than
    ``min_articles``: more articles may arrive before it is due.
    """
    with app.engine.begin() as conn:
        return ensure_in(app, conn, segment, edition_date, actor=actor)


def ensure_in(
    app: App, conn: Connection, segment: Segment, edition_date: date, *, actor: str
) -> Edition:
    """``ensure_edition`` inside the caller's transaction (a failed edit creates nothing)."""
    stored = edition_for(conn, segment.name, edition_date)
    if stored is not None:
        return stored
    now = app.clock()
    base = _blank(segment, edition_date, now)
    edition, _ = compose_now(
        app, conn, base, Overrides(), subject_override=None, note=None, now=now
    )
    new_id = insert_edition_once(conn, edition, now)
    if new_id is not None:
        lifecycle.record_created(
            conn, new_id, EditionState.DRAFT, actor=actor, now=now, reason="draft for editors"
        )
    stored = edition_for(conn, segment.name, edition_date)
    if stored is None:  # pragma: no cover - inserted or found a moment ago
        raise EditionError(f"edition {segment.name} {edition_date} vanished while building")
    return stored


def who(actor: str | None) -> str:
    """An actor string as people read it: the address or user without its channel."""
    if not actor:
        return "someone"
    return actor.split(":", 1)[1] if ":" in actor else actor


def conflict_error(state: EditorialState | None) -> EditConflict:
    when = state.updated_at.strftime("%Y-%m-%d %H:%M UTC") if state and state.updated_at else "?"
    return EditConflict(
        N_("changed by %(who)s at %(when)s; reload the edition and try again"),
        who=who(state.updated_by if state else None),
        when=when,
    )


def refresh_composition(
    app: App, conn: Connection, edition: Edition, now: datetime, *, automatic: bool = False
) -> Edition:
    """Re-rank the stored draft and store what it contains now (inside the caller's
    transaction); the edition as stored."""
    assert edition.id is not None
    state = editorial_state(conn, edition.id)
    composed, _ = compose_now(
        app,
        conn,
        edition,
        overrides_of(conn, edition.id),
        subject_override=state.subject_override if state else None,
        note=state.editor_note if state else None,
        now=now,
        automatic=automatic,
    )
    write_composition(
        conn,
        edition.id,
        composed.items,
        subject=composed.subject,
        window_start=composed.window_start,
        cutoff_at=composed.cutoff_at,
    )
    return composed


def claim_for_edit(
    conn: Connection, edition_id: int, expected_version: int | None, actor: str, now: datetime
) -> EditorialState:
    """Take the edition's edit at ``expected_version`` (EditConflict when it changed since)
    and read its editorial state under that row lock."""
    if not claim_edit(conn, edition_id, expected_version, actor, now):
        raise conflict_error(editorial_state(conn, edition_id))
    state = editorial_state(conn, edition_id)
    assert state is not None
    return state


Change = Callable[[Connection, Edition, EditorialState], tuple[AuditAction, str | None, Any, Any]]


def run_edit(
    app: App,
    segment_name: str,
    edition_date: date,
    change: Change,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Apply one edit in one transaction: version check, state check, the change itself,
    withdrawal of an approval, re-composition and the audit record — all or nothing."""
    segment = app.config.segment(segment_name)
    now = app.clock()
    with app.engine.begin() as conn:
        edition = ensure_in(app, conn, segment, edition_date, actor=actor)
        assert edition.id is not None
        before = claim_for_edit(conn, edition.id, expected_version, actor, now)
        status = EditionState(before.status)
        if status not in lifecycle.EDITABLE and status is not EditionState.APPROVED:
            raise EditorialError(
                N_("%(edition)s is %(state)s: it can no longer be changed"),  # state: a state name
                edition=f"{segment.name} {edition_date.isoformat()}",
                state=str(status),
            )
        action, target, old, new = change(conn, edition, before)
        withdrawn = None
        if status is EditionState.APPROVED:
            withdrawn = who(before.approved_by)
            lifecycle.unapprove(
                conn, edition.id, actor=actor, now=now, reason=f"{action} after approval"
            )
            clear_approval(conn, edition.id)
        refresh_composition(app, conn, edition, now)
        record_action(
            conn,
            actor=actor,
            action=action,
            now=now,
            edition=edition,
            target=target,
            before=old,
            after=new,
            client=client,
        )
        if withdrawn:
            record_action(
                conn,
                actor=actor,
                action=AuditAction.UNAPPROVE,
                now=now,
                edition=edition,
                before={"approved_by": before.approved_by, "hash": before.approved_hash},
                after={"reason": f"{action} after approval"},
                client=client,
            )
    return EditOutcome(action=action, withdrawn_approval_of=withdrawn)
