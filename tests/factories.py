"""Small builders for test values."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from digest.models import Article

NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)


def article(
    title: str,
    *,
    hours_ago: float = 1.0,
    categories: tuple[str, ...] = (),
    summary: str = "",
    url: str | None = None,
    uid: str | None = None,
    id: int | None = None,
    source: str = "test",
    author: str | None = "Ronny Mor",
    now: datetime = NOW,
) -> Article:
    """An Article published ``hours_ago`` before ``now``."""
    slug = hashlib.sha1(title.encode()).hexdigest()[:10]
    published = now - timedelta(hours=hours_ago)
    return Article(
        uid=uid or f"{source}:{slug}",
        source=source,
        url=url or f"https://www.skn.example/news/{slug}",
        title=title,
        summary=summary or f"Summary of {title}",
        summary_html="",
        author=author,
        categories=categories,
        published_at=published,
        first_seen_at=published,
        read_minutes=5,
        id=id,
    )
