"""Edition queries: one edition per (segment, date), its items, its window and its status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from digest.lifecycle import CARRYING, EditionState
from digest.models import Edition, EditionItem
from digest.store.articles import articles_by_ids
from digest.store.db import upsert_insert
from digest.store.schema import EditionItemRow, EditionRow

# Editions whose items count as "carried": a skipped or cancelled edition carried nothing.
_CARRYING = sorted(str(s) for s in CARRYING)


def _edition(conn: Connection, row: Any) -> Edition:
    items_rows = conn.execute(
        select(EditionItemRow)
        .where(EditionItemRow.edition_id == row.id, EditionItemRow.removed.is_(False))
        .order_by(EditionItemRow.position)
    ).all()
    articles = articles_by_ids(conn, [r.article_id for r in items_rows])
    items = tuple(
        EditionItem(
            position=i,
            article=articles[r.article_id],
            score=r.score,
            topics=tuple(r.topics or ()),
            primary_topic=r.primary_topic,
            pinned=r.pinned,
        )
        for i, r in enumerate(items_rows)
        if r.article_id in articles
    )
    return Edition(
        id=row.id,
        segment=row.segment,
        edition_date=row.edition_date,
        status=EditionState(row.status),
        window_start=row.window_start,
        cutoff_at=row.cutoff_at,
        subject=row.subject,
        items=items,
        editor_note=row.editor_note,
        skip_reason=row.skip_reason,
    )


def edition_for(conn: Connection, segment: str, edition_date: date) -> Edition | None:
    """The segment's edition for ``edition_date`` with its items, if it exists."""
    row = conn.execute(
        select(EditionRow).where(
            EditionRow.segment == segment, EditionRow.edition_date == edition_date
        )
    ).one_or_none()
    return _edition(conn, row) if row else None


def edition_by_id(conn: Connection, edition_id: int) -> Edition | None:
    """The edition with this id, with its items."""
    row = conn.execute(select(EditionRow).where(EditionRow.id == edition_id)).one_or_none()
    return _edition(conn, row) if row else None


def insert_edition_once(conn: Connection, edition: Edition, now: datetime) -> int | None:
    """Insert the edition and its items; None if (segment, date) already exists (lost a race)."""
    new_id = conn.execute(
        upsert_insert(conn, EditionRow)
        .values(
            segment=edition.segment,
            edition_date=edition.edition_date,
            status=str(edition.status),
            window_start=edition.window_start,
            cutoff_at=edition.cutoff_at,
            subject=edition.subject,
            editor_note=edition.editor_note,
            skip_reason=edition.skip_reason,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["segment", "edition_date"])
        .returning(EditionRow.id)
    ).scalar_one_or_none()
    if new_id is None:
        return None
    if edition.items:
        conn.execute(
            upsert_insert(conn, EditionItemRow),
            [
                {
                    "edition_id": new_id,
                    "article_id": item.article.id,
                    "position": item.position,
                    "score": item.score,
                    "topics": list(item.topics),
                    "primary_topic": item.primary_topic,
                    "pinned": item.pinned,
                }
                for item in edition.items
            ],
        )
    return int(new_id)


def carried_article_ids(conn: Connection, segment: str, before: date) -> set[int]:
    """Articles that an earlier edition of the segment already carried."""
    rows = conn.execute(
        select(EditionItemRow.article_id)
        .join(EditionRow, EditionRow.id == EditionItemRow.edition_id)
        .where(
            EditionRow.segment == segment,
            EditionRow.edition_date < before,
            EditionRow.status.in_(_CARRYING),
        )
    ).scalars()
    return set(rows)


def previous_cutoff(conn: Connection, segment: str, before: date) -> datetime | None:
    """The cutoff of the segment's latest earlier edition that carried articles."""
    return conn.execute(
        select(EditionRow.cutoff_at)
        .where(
            EditionRow.segment == segment,
            EditionRow.edition_date < before,
            EditionRow.status.in_(_CARRYING),
        )
        .order_by(EditionRow.edition_date.desc())
        .limit(1)
    ).scalar_one_or_none()


def recent_editions(conn: Connection, segment: str, limit: int = 10) -> list[tuple[Any, ...]]:
    """The segment's latest editions: (date, status, skip_reason, subject), newest first."""
    return [
        tuple(r)
        for r in conn.execute(
            select(
                EditionRow.edition_date,
                EditionRow.status,
                EditionRow.skip_reason,
                EditionRow.subject,
            )
            .where(EditionRow.segment == segment)
            .order_by(EditionRow.edition_date.desc())
            .limit(limit)
        )
    ]
