"""Articles in the database: idempotent bulk upsert and the queries the ranker needs.

Undated items: the parser gives an undated item ``published_at == first_seen_at`` (the time
it was first seen). Re-ingesting it must not move it forward in time, so for an existing
row the stored ``first_seen_at`` always wins, and so does the stored ``published_at`` when
the incoming one equals its ``first_seen_at``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)

from digest.models import Article
from digest.store.db import upsert_insert
from digest.store.schema import ArticleRow, table_of

LOOKUP_CHUNK = 900  # bound parameters per IN (...) lookup; safe on every SQLite build
_TABLE = table_of(ArticleRow)
_ARTICLE_COLUMNS = (
    ArticleRow.id,
    ArticleRow.uid,
    ArticleRow.source,
    ArticleRow.url,
    ArticleRow.title,
    ArticleRow.summary,
    ArticleRow.summary_html,
    ArticleRow.author,
    ArticleRow.categories,
    ArticleRow.key_points,
    ArticleRow.image_url,
    ArticleRow.read_minutes,
    ArticleRow.published_at,
    ArticleRow.first_seen_at,
)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What an upsert did: new rows, rows whose content changed, rows left alone."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def url_hash(url: str) -> str:
    """sha256 hex of a canonical URL, stored so the ranker can spot cross-source duplicates."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def content_hash(article: Article) -> str:
    """A digest of everything a reader could see change in an article."""
    payload = [
        article.url,
        article.title,
        article.summary,
        article.summary_html,
        article.author,
        list(article.categories),
        list(article.key_points),
        article.image_url,
        article.read_minutes,
        article.published_at.isoformat(),
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def _chunks(values: Sequence[str], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(conn: Connection, uids: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    query = select(
        ArticleRow.id,
        ArticleRow.uid,
        ArticleRow.content_hash,
        ArticleRow.published_at,
        ArticleRow.first_seen_at,
    ).where(ArticleRow.uid.in_(bindparam("uids", expanding=True)))
    for chunk in _chunks(uids):
        for row in conn.execute(query, {"uids": list(chunk)}):
            found[row.uid] = row
    return found


def _values(article: Article, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "uid": article.uid,
        "source": article.source,
        "url": article.url,
        "url_hash": url_hash(article.url),
        "title": article.title,
        "summary": article.summary,
        "summary_html": article.summary_html,
        "author": article.author,
        "categories": list(article.categories),
        "key_points": list(article.key_points),
        "image_url": article.image_url,
        "read_minutes": article.read_minutes,
        "published_at": article.published_at,
        "first_seen_at": article.first_seen_at,
        "content_hash": digest,
        "updated_at": now,
    }


def upsert_articles(conn: Connection, articles: Sequence[Article], now: datetime) -> UpsertCounts:
    """Insert new articles and update changed ones; unchanged rows are not written.

    Existing rows are looked up in bulk, inserts and updates are executemany batches.
    A uid given twice counts once (the first wins). ``updated_at`` moves only on a change.
    """
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.uid, article)
    if not unique:
        return UpsertCounts()
    existing = _existing(conn, list(unique))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged = 0
    for uid, article in unique.items():
        row = existing.get(uid)
        if row is None:
            inserts.append(_values(article, content_hash(article), now))
            continue
        undated = article.published_at == article.first_seen_at
        resolved = replace(
            article,
            first_seen_at=row.first_seen_at,
            published_at=row.published_at if undated else article.published_at,
        )
        digest = content_hash(resolved)
        if digest == row.content_hash:
            unchanged += 1
            continue
        values = {f"new_{k}": v for k, v in _values(resolved, digest, now).items() if k != "uid"}
        values["row_id"] = row.id
        updates.append(values)
    if inserts:
        # A concurrent ingest may have inserted the same uid meanwhile: keep its row.
        stmt = upsert_insert(conn, _TABLE).on_conflict_do_nothing(index_elements=["uid"])
        conn.execute(stmt, inserts)
    if updates:
        columns = [key.removeprefix("new_") for key in updates[0] if key != "row_id"]
        stmt = (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("row_id"))
            .values({c: bindparam(f"new_{c}", type_=_TABLE.c[c].type) for c in columns})
        )
        conn.execute(stmt, updates)
    return UpsertCounts(inserted=len(inserts), updated=len(updates), unchanged=unchanged)


def _article(row: Any) -> Article:
    return Article(
        uid=row.uid,
        source=row.source,
        url=row.url,
        title=row.title,
        summary=row.summary or "",
        summary_html=row.summary_html or "",
        author=row.author,
        categories=tuple(row.categories or ()),
        published_at=row.published_at,
        first_seen_at=row.first_seen_at,
        read_minutes=row.read_minutes,
        image_url=row.image_url,
        key_points=tuple(row.key_points or ()),
        id=row.id,
    )


def articles_published_between(conn: Connection, start: datetime, end: datetime) -> list[Article]:
    """Articles with start < published_at <= end, newest first (ties by id)."""
    query = (
        select(*_ARTICLE_COLUMNS)
        .where(ArticleRow.published_at > start, ArticleRow.published_at <= end)
        .order_by(ArticleRow.published_at.desc(), ArticleRow.id)
    )
    return [_article(row) for row in conn.execute(query)]


def articles_for_window(
    conn: Connection, start: datetime, end: datetime, late_since: datetime
) -> list[Article]:
    """Articles published in (start, end], plus late arrivals: first seen in (start, end]
    though published earlier (after ``late_since``), newest first (ties by id)."""
    in_window = and_(ArticleRow.published_at > start, ArticleRow.published_at <= end)
    arrived_late = and_(
        ArticleRow.first_seen_at > start,
        ArticleRow.first_seen_at <= end,
        ArticleRow.published_at > late_since,
        ArticleRow.published_at <= end,
    )
    query = (
        select(*_ARTICLE_COLUMNS)
        .where(or_(in_window, arrived_late))
        .order_by(ArticleRow.published_at.desc(), ArticleRow.id)
    )
    return [_article(row) for row in conn.execute(query)]


def articles_by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, Article]:
    """The articles with these database ids, by id (missing ids are simply absent)."""
    wanted = sorted({int(i) for i in ids})
    found: dict[int, Article] = {}
    query = select(*_ARTICLE_COLUMNS).where(ArticleRow.id.in_(bindparam("ids", expanding=True)))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        for row in conn.execute(query, {"ids": wanted[start : start + LOOKUP_CHUNK]}):
            found[row.id] = _article(row)
    return found


def article_by_uid(conn: Connection, uid: str) -> Article | None:
    """The article stored under ``uid``, if any."""
    row = conn.execute(select(*_ARTICLE_COLUMNS).where(ArticleRow.uid == uid)).first()
    return _article(row) if row else None


def article_by_url(conn: Connection, url: str) -> Article | None:
    """The article stored with this canonical URL (the most recently updated, if several)."""
    row = conn.execute(
        select(*_ARTICLE_COLUMNS)
        .where(ArticleRow.url_hash == url_hash(url), ArticleRow.url == url)
        .order_by(ArticleRow.updated_at.desc(), ArticleRow.id.desc())
        .limit(1)
    ).first()
    return _article(row) if row else None


def count_articles(conn: Connection) -> int:
    """How many articles are stored."""
    return int(conn.execute(select(func.count()).select_from(ArticleRow)).scalar_one())


def article_updated_at(conn: Connection, uid: str) -> datetime | None:
    """When the article under ``uid`` last changed (None if there is no such article)."""
    return conn.execute(
        select(ArticleRow.updated_at).where(ArticleRow.uid == uid)
    ).scalar_one_or_none()
