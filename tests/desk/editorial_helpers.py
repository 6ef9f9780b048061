"""Articles and an app for the editorial tests: five markets stories and two tech ones."""

from __future__ import annotations

from datetime import date

from digest.app import App
from digest.store.articles import upsert_articles
from tests.factories import NOW, article

DAY = date(2026, 1, 30)
SEGMENT = "markets-en"

STORIES = [
    article("DAX closes at a record", categories=("Markets",), hours_ago=1),
    article("FTSE slips on bank stocks", categories=("Markets",), hours_ago=2),
    article("Nikkei index rallies", categories=("Indices",), hours_ago=3),
    article("Dow futures flat before jobs data", categories=("Markets",), hours_ago=4),
    article("Oil index falls as supply grows", categories=("Indices",), hours_ago=5),
    article("Nvidia unveils a new AI chip", categories=("Technology",), hours_ago=2),
    article("Software makers rally on AI hopes", categories=("Technology",), hours_ago=6),
]


def seed(app: App, *extra) -> dict[str, int]:  # noqa: ANN002
    """Store the stories (and ``extra``); title -> article id."""
    with app.engine.begin() as conn:
        upsert_articles(conn, [*STORIES, *extra], NOW)
    from sqlalchemy import select

    from digest.store.schema import ArticleRow

    with app.engine.connect() as conn:
        return {r.title: r.id for r in conn.execute(select(ArticleRow.title, ArticleRow.id))}


def url_of(title: str) -> str:
    return next(a.url for a in STORIES if a.title == title)


def titles(view) -> list[str]:  # noqa: ANN001
    return [p.item.article.title for p in view.placed]
