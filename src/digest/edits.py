"""The editors' edits of an edition: pin, unpin, exclude, include, move, subject, note, restore.

Each is a small change handed to ``editorial.run_edit``, which makes it all-or-nothing with
the version check, the state check, the approval's withdrawal and the audit record.
Articles are named by their URL (the command line) or their id (the desk).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from digest.app import App
from digest.audit import AuditAction
from digest.compose import Composition, Overrides, PinRefused, move_pins, place_pin
from digest.editorial import EditorialError, EditOutcome, compose_now, run_edit
from digest.i18n import N_
from digest.ingest.urls import canonical_url
from digest.models import Article, Edition
from digest.store.articles import article_by_url, articles_by_ids
from digest.store.editorial import (
    EditorialState,
    clear_overrides,
    drop_override,
    exclude_article,
    overrides_of,
    save_pins,
    set_editor_note,
    set_subject_override,
)

ArticleRef = int | str
MAX_SUBJECT = 200
MAX_NOTE = 2000


def find_article(conn: Connection, ref: ArticleRef) -> Article:
    """The stored article with this id or URL; EditorialError naming it otherwise."""
    if isinstance(ref, int):
        found = articles_by_ids(conn, [ref]).get(ref)
        if found is None:
            raise EditorialError(N_("there is no article %(ref)s"), ref=ref)
        return found
    url = canonical_url(ref.strip())
    if url is None:
        raise EditorialError(N_("not a web address: %(url)s"), url=ref)
    found = article_by_url(conn, url)
    if found is None:
        raise EditorialError(
            N_("no stored article has the address %(url)s; it must be ingested first"), url=ref
        )
    return found


def _current(
    app: App, conn: Connection, edition: Edition, state: EditorialState
) -> tuple[Overrides, Composition]:
    assert edition.id is not None
    overrides = overrides_of(conn, edition.id)
    _, composition = compose_now(
        app,
        conn,
        edition,
        overrides,
        subject_override=state.subject_override,
        note=state.editor_note,
        now=app.clock(),
    )
    return overrides, composition


def _place(composition: Composition, article_id: int | None) -> int | None:
    """The article's 1-based place in the composed edition, if it is in it."""
    for index, placed in enumerate(composition.placed):
        if placed.item.article.id == article_id:
            return index + 1
    return None


def _pins_or_refuse(make: Any) -> Any:
    try:
        return make()
    except PinRefused as exc:
        raise EditorialError(exc.template, **exc.params) from None


def pin_article(
    app: App,
    segment: str,
    edition_date: date,
    ref: ArticleRef,
    *,
    position: int | None = None,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Always include the article, at ``position`` (1 = the lead; default: where it is)."""
    max_articles = app.config.segment(segment).max_articles

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        article = find_article(conn, ref)
        overrides, composition = _current(app, conn, edition, state)
        before = _place(composition, article.id)
        if position is None:
            wanted = before or min(len(composition.placed) + 1, max_articles)
        else:
            wanted = position
        assert edition.id is not None and article.id is not None
        pins = _pins_or_refuse(
            lambda: place_pin(overrides.pins, article.id, wanted - 1, max_articles)
        )
        save_pins(conn, edition.id, pins, actor, app.clock())
        pin = overrides.pin_of(article.id)
        return (
            AuditAction.PIN,
            article.url,
            {"position": before, "pinned": pin is not None},
            {"position": wanted, "pinned": True},
        )

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def unpin_article(
    app: App,
    segment: str,
    edition_date: date,
    ref: ArticleRef,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Let the ranking decide about the article again."""

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        article = find_article(conn, ref)
        overrides = overrides_of(conn, edition.id or 0)
        pin = overrides.pin_of(article.id or 0)
        if pin is None:
            raise EditorialError(N_("“%(title)s” is not pinned"), title=article.title)
        rest = [p for p in overrides.pins if p.article_id != article.id]
        save_pins(conn, edition.id or 0, rest, actor, app.clock())
        return AuditAction.UNPIN, article.url, {"position": pin.position + 1}, {"pinned": False}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def exclude_from_edition(
    app: App,
    segment: str,
    edition_date: date,
    ref: ArticleRef,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Never include the article in this edition (it is unpinned if it was pinned)."""

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        article = find_article(conn, ref)
        overrides, composition = _current(app, conn, edition, state)
        if article.id in overrides.excluded:
            raise EditorialError(N_("“%(title)s” is already excluded"), title=article.title)
        exclude_article(conn, edition.id or 0, article.id or 0, actor, app.clock())
        before = {"position": _place(composition, article.id)}
        return AuditAction.EXCLUDE, article.url, before, {"excluded": True}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def include_in_edition(
    app: App,
    segment: str,
    edition_date: date,
    ref: ArticleRef,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Undo an exclusion: the ranking may choose the article again."""

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        article = find_article(conn, ref)
        if article.id not in overrides_of(conn, edition.id or 0).excluded:
            raise EditorialError(N_("“%(title)s” is not excluded"), title=article.title)
        drop_override(conn, edition.id or 0, article.id or 0)
        return AuditAction.INCLUDE, article.url, {"excluded": True}, {"excluded": False}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def move_article(
    app: App,
    segment: str,
    edition_date: date,
    ref: ArticleRef,
    step: int,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Move the article one place up (step -1) or down (+1); it stays pinned there."""
    if step not in (-1, 1):
        raise EditorialError(N_("an article moves one place up or down at a time"))
    max_articles = app.config.segment(segment).max_articles

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        article = find_article(conn, ref)
        overrides, composition = _current(app, conn, edition, state)
        before = _place(composition, article.id)
        pins = _pins_or_refuse(
            lambda: move_pins(overrides.pins, composition, article.id or 0, step, max_articles)
        )
        save_pins(conn, edition.id or 0, pins, actor, app.clock())
        after = (before or 0) + step
        return AuditAction.MOVE, article.url, {"position": before}, {"position": after}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


@dataclass(frozen=True, slots=True)
class _TextRules:
    one_line: bool
    limit: int
    bad_chars: str  # message templates, marked for the desk's catalog
    too_long: str


_SUBJECT = _TextRules(
    True,
    MAX_SUBJECT,
    N_("the subject must be one line of text"),
    N_("the subject is %(length)s characters long; at most %(limit)s"),
)
_NOTE = _TextRules(
    False,
    MAX_NOTE,
    N_("the note contains control characters"),
    N_("the note is %(length)s characters long; at most %(limit)s"),
)


def _clean_text(text: str | None, rules: _TextRules) -> str | None:
    value = (text or "").replace("\r\n", "\n").strip()
    if not value:
        return None
    allowed = set() if rules.one_line else {"\n", "\t"}
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise EditorialError(rules.bad_chars)
    if len(value) > rules.limit:
        raise EditorialError(rules.too_long, length=len(value), limit=rules.limit)
    return value


def set_subject(
    app: App,
    segment: str,
    edition_date: date,
    text: str | None,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """The editor's subject line; empty gives the automatic subject back."""
    subject = _clean_text(text, _SUBJECT)

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        set_subject_override(conn, edition.id or 0, subject)
        return AuditAction.SUBJECT, None, {"subject": state.subject_override}, {"subject": subject}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def set_note(
    app: App,
    segment: str,
    edition_date: date,
    text: str | None,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """The editor's note at the top of the email (paragraphs split by a blank line)."""
    note = _clean_text(text, _NOTE)

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        set_editor_note(conn, edition.id or 0, note)
        return AuditAction.NOTE, None, {"note": state.editor_note}, {"note": note}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )


def restore_selection(
    app: App,
    segment: str,
    edition_date: date,
    *,
    actor: str,
    expected_version: int | None = None,
    client: str | None = None,
) -> EditOutcome:
    """Forget every pin, move and exclusion: the ranking alone chooses again."""

    def change(conn: Connection, edition: Edition, state: EditorialState) -> Any:
        overrides = overrides_of(conn, edition.id or 0)
        if overrides.empty:
            raise EditorialError(N_("nothing to restore: the selection is already automatic"))
        ids = sorted(overrides.pinned_ids | overrides.excluded)
        urls = {i: a.url for i, a in articles_by_ids(conn, ids).items()}
        before = {
            "pinned": [urls.get(p.article_id) for p in overrides.pins],
            "excluded": sorted(str(urls.get(i)) for i in overrides.excluded),
        }
        clear_overrides(conn, edition.id or 0)
        return AuditAction.RESTORE, None, before, {"pinned": [], "excluded": []}

    return run_edit(
        app,
        segment,
        edition_date,
        change,
        actor=actor,
        expected_version=expected_version,
        client=client,
    )
