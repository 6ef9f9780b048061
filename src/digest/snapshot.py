"""An edition's content as a plain, JSON-ready value, and its hash.

Approving an edition stores this value and its SHA-256: the edition then sends exactly that
content, even if an article's text changes in its feed afterwards (pure).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from digest.lifecycle import EditionState
from digest.models import Article, Edition, EditionItem

FORMAT = 1


def _article(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "uid": a.uid,
        "source": a.source,
        "url": a.url,
        "title": a.title,
        "summary": a.summary,
        "summary_html": a.summary_html,
        "author": a.author,
        "categories": list(a.categories),
        "published_at": a.published_at.isoformat(),
        "first_seen_at": a.first_seen_at.isoformat(),
        "read_minutes": a.read_minutes,
        "image_url": a.image_url,
        "key_points": list(a.key_points),
    }


def edition_content(edition: Edition) -> dict[str, Any]:
    """Everything of ``edition`` that a reader could see, as a JSON-ready mapping."""
    return {
        "format": FORMAT,
        "segment": edition.segment,
        "edition_date": edition.edition_date.isoformat(),
        "window_start": edition.window_start.isoformat(),
        "cutoff_at": edition.cutoff_at.isoformat(),
        "subject": edition.subject,
        "editor_note": edition.editor_note,
        "items": [
            {
                "position": it.position,
                "score": it.score,
                "topics": list(it.topics),
                "primary_topic": it.primary_topic,
                "pinned": it.pinned,
                "article": _article(it.article),
            }
            for it in edition.items
        ],
    }


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of the content in a canonical JSON form."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _article_from(data: dict[str, Any]) -> Article:
    return Article(
        id=data["id"],
        uid=data["uid"],
        source=data["source"],
        url=data["url"],
        title=data["title"],
        summary=data["summary"],
        summary_html=data["summary_html"],
        author=data["author"],
        categories=tuple(data["categories"]),
        published_at=datetime.fromisoformat(data["published_at"]),
        first_seen_at=datetime.fromisoformat(data["first_seen_at"]),
        read_minutes=data["read_minutes"],
        image_url=data["image_url"],
        key_points=tuple(data["key_points"]),
    )


def edition_from_content(
    content: dict[str, Any], *, edition_id: int | None, status: EditionState, base: Edition
) -> Edition:
    """The edition ``content`` describes, with the stored edition's id, status and reasons."""
    items = tuple(
        EditionItem(
            position=it["position"],
            article=_article_from(it["article"]),
            score=it["score"],
            topics=tuple(it["topics"]),
            primary_topic=it["primary_topic"],
            pinned=it["pinned"],
        )
        for it in content["items"]
    )
    return replace(
        base,
        id=edition_id,
        status=status,
        segment=content["segment"],
        edition_date=date.fromisoformat(content["edition_date"]),
        window_start=datetime.fromisoformat(content["window_start"]),
        cutoff_at=datetime.fromisoformat(content["cutoff_at"]),
        subject=content["subject"],
        editor_note=content["editor_note"],
        items=items,
    )
