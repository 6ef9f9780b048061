"""Editors' desk queries: pins and exclusions, the edit version, the composition, approval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from digest.compose import Overrides, Pin
from digest.models import EditionItem
from digest.store.schema import EditionItemRow, EditionOverrideRow, EditionRow

PIN = "pin"
EXCLUDE = "exclude"


@dataclass(frozen=True, slots=True)
class EditorialState:
    """The desk's columns of one edition."""

    edition_id: int
    status: str
    version: int
    updated_by: str | None
    updated_at: datetime | None
    subject_override: str | None
    editor_note: str | None
    approved_by: str | None
    approved_at: datetime | None
    approved_hash: str | None
    approved_content: dict[str, Any] | None


_STATE_COLUMNS = (
    EditionRow.id,
    EditionRow.status,
    EditionRow.version,
    EditionRow.updated_by,
    EditionRow.updated_at,
    EditionRow.subject_override,
    EditionRow.editor_note,
    EditionRow.approved_by,
    EditionRow.approved_at,
    EditionRow.approved_hash,
    EditionRow.approved_content,
)


def editorial_state(conn: Connection, edition_id: int) -> EditorialState | None:
    """The edition's desk columns, if it exists."""
    row = conn.execute(select(*_STATE_COLUMNS).where(EditionRow.id == edition_id)).one_or_none()
    if row is None:
        return None
    return EditorialState(
        edition_id=row.id,
        status=row.status,
        version=row.version or 0,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        subject_override=row.subject_override,
        editor_note=row.editor_note,
        approved_by=row.approved_by,
        approved_at=row.approved_at if row.approved_hash else None,
        approved_hash=row.approved_hash,
        approved_content=row.approved_content,
    )


def claim_edit(
    conn: Connection, edition_id: int, expected_version: int | None, by: str, at: datetime
) -> bool:
    """Count one edit (version + 1) if the edition is still at ``expected_version``.

    The first statement of an edit: it takes the row's write lock, so two editors' changes
    never interleave; False when someone else changed the edition in between.
    """
    stmt = (
        update(EditionRow)
        .where(EditionRow.id == edition_id)
        .values(version=EditionRow.version + 1, updated_by=by[:400], updated_at=at)
    )
    if expected_version is not None:
        stmt = stmt.where(EditionRow.version == expected_version)
    return conn.execute(stmt).rowcount == 1


def overrides_of(conn: Connection, edition_id: int) -> Overrides:
    """The edition's pins (by position) and exclusions."""
    rows = conn.execute(
        select(EditionOverrideRow.article_id, EditionOverrideRow.kind, EditionOverrideRow.position)
        .where(EditionOverrideRow.edition_id == edition_id)
        .order_by(EditionOverrideRow.position, EditionOverrideRow.article_id)
    ).all()
    pins = tuple(Pin(r.article_id, r.position or 0) for r in rows if r.kind == PIN)
    excluded = frozenset(r.article_id for r in rows if r.kind == EXCLUDE)
    return Overrides(pins=pins, excluded=excluded)


def save_pins(
    conn: Connection, edition_id: int, pins: Sequence[Pin], by: str, at: datetime
) -> None:
    """Replace the edition's pins (an article pinned is no longer excluded)."""
    ids = [p.article_id for p in pins]
    conn.execute(
        delete(EditionOverrideRow).where(
            EditionOverrideRow.edition_id == edition_id,
            (EditionOverrideRow.kind == PIN) | EditionOverrideRow.article_id.in_(ids),
        )
    )
    if pins:
        conn.execute(
            insert(EditionOverrideRow),
            [
                {
                    "edition_id": edition_id,
                    "article_id": p.article_id,
                    "kind": PIN,
                    "position": p.position,
                    "by": by[:400],
                    "at": at,
                }
                for p in pins
            ],
        )


def exclude_article(
    conn: Connection, edition_id: int, article_id: int, by: str, at: datetime
) -> None:
    """Exclude the article from the edition (it is unpinned if it was pinned)."""
    drop_override(conn, edition_id, article_id)
    conn.execute(
        insert(EditionOverrideRow).values(
            edition_id=edition_id,
            article_id=article_id,
            kind=EXCLUDE,
            position=None,
            by=by[:400],
            at=at,
        )
    )


def drop_override(conn: Connection, edition_id: int, article_id: int) -> bool:
    """Forget the editors' choice about one article; True if there was one."""
    result = conn.execute(
        delete(EditionOverrideRow).where(
            EditionOverrideRow.edition_id == edition_id,
            EditionOverrideRow.article_id == article_id,
        )
    )
    return result.rowcount > 0


def clear_overrides(conn: Connection, edition_id: int) -> int:
    """Forget every pin and exclusion of the edition; how many."""
    return conn.execute(
        delete(EditionOverrideRow).where(EditionOverrideRow.edition_id == edition_id)
    ).rowcount


def write_composition(
    conn: Connection,
    edition_id: int,
    items: Sequence[EditionItem],
    *,
    subject: str,
    window_start: datetime,
    cutoff_at: datetime,
) -> None:
    """Store the edition's items as composed now, with its subject and window."""
    conn.execute(delete(EditionItemRow).where(EditionItemRow.edition_id == edition_id))
    if items:
        conn.execute(
            insert(EditionItemRow),
            [
                {
                    "edition_id": edition_id,
                    "article_id": it.article.id,
                    "position": it.position,
                    "score": it.score,
                    "topics": list(it.topics),
                    "primary_topic": it.primary_topic,
                    "pinned": it.pinned,
                    "removed": False,
                }
                for it in items
            ],
        )
    conn.execute(
        update(EditionRow)
        .where(EditionRow.id == edition_id)
        .values(subject=subject, window_start=window_start, cutoff_at=cutoff_at)
    )


def set_subject_override(conn: Connection, edition_id: int, subject: str | None) -> None:
    """An editor's subject, or None for the automatic one."""
    conn.execute(
        update(EditionRow).where(EditionRow.id == edition_id).values(subject_override=subject)
    )


def set_editor_note(conn: Connection, edition_id: int, note: str | None) -> None:
    """The editor's note shown at the top of the email (None: no note)."""
    conn.execute(update(EditionRow).where(EditionRow.id == edition_id).values(editor_note=note))


def record_approval(
    conn: Connection,
    edition_id: int,
    *,
    by: str,
    content_hash: str,
    content: dict[str, Any],
) -> None:
    """Keep who approved the edition, and the exact content and hash they approved."""
    conn.execute(
        update(EditionRow)
        .where(EditionRow.id == edition_id)
        .values(approved_by=by[:400], approved_hash=content_hash, approved_content=content)
    )


def clear_approval(conn: Connection, edition_id: int) -> None:
    """Forget a withdrawn approval's frozen content."""
    conn.execute(
        update(EditionRow)
        .where(EditionRow.id == edition_id)
        .values(approved_by=None, approved_hash=None, approved_content=None)
    )


def sent_editions(conn: Connection, limit: int) -> Sequence[Any]:
    """Editions sent or being sent, newest first: segment, date, subject, status, times."""
    return conn.execute(
        select(
            EditionRow.segment,
            EditionRow.edition_date,
            EditionRow.subject,
            EditionRow.status,
            EditionRow.send_started_at,
            EditionRow.finished_at,
        )
        .where(EditionRow.status.in_(["sending", "paused", "sent"]))
        .order_by(EditionRow.edition_date.desc(), EditionRow.send_started_at.desc())
        .limit(limit)
    ).all()
