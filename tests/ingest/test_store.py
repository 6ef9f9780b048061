"""Article and feed-state storage on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from digest.models import Article
from digest.store.articles import (
    article_by_uid,
    article_updated_at,
    articles_by_ids,
    articles_published_between,
    count_articles,
    upsert_articles,
)
from digest.store.db import make_engine, upgrade
from digest.store.feeds import (
    feed_state,
    feed_states,
    record_fetch_error,
    record_fetch_ok,
    record_not_modified,
)
from digest.store.schema import ArticleRow
from tests.ingest.helpers import big_parsed, parse, rss

T0 = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def article(n: int, **kw: object) -> Article:
    values: dict[str, object] = {
        "uid": f"wire:{n}",
        "source": "wire",
        "url": f"https://gen.example/{n}",
        "title": f"Title {n}",
        "summary": f"Summary {n}",
        "summary_html": f"<p>Summary {n}</p>",
        "author": "Desk",
        "categories": ("Markets",),
        "published_at": T0 - timedelta(minutes=n),
        "first_seen_at": T0,
        "read_minutes": 3,
        "image_url": None,
        "key_points": ("one", "two"),
    }
    values.update(kw)
    return Article(**values)  # type: ignore[arg-type]


def test_upsert_is_idempotent(engine: Engine) -> None:
    batch = [article(n) for n in range(5)]
    with engine.begin() as conn:
        counts = upsert_articles(conn, batch, T0)
    assert (counts.inserted, counts.updated, counts.unchanged) == (5, 0, 0)
    with engine.begin() as conn:
        again = upsert_articles(conn, [replace(a, first_seen_at=T1) for a in batch], T1)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    with engine.connect() as conn:
        assert count_articles(conn) == 5
        assert article_updated_at(conn, "wire:0") == T0  # nothing changed, nothing moved
        stored = article_by_uid(conn, "wire:0")
    assert stored is not None and stored.id is not None
    assert replace(stored, id=None) == batch[0]


def test_a_real_change_updates_and_moves_updated_at_only(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_articles(conn, [article(1), article(2)], T0)
    changed = article(1, title="Title 1 (corrected)", first_seen_at=T1)
    with engine.begin() as conn:
        counts = upsert_articles(conn, [changed, article(2, first_seen_at=T1)], T1)
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    with engine.connect() as conn:
        one = article_by_uid(conn, "wire:1")
        assert one is not None
        assert one.title == "Title 1 (corrected)"
        assert one.first_seen_at == T0  # first seen stays first seen
        assert article_updated_at(conn, "wire:1") == T1
        assert article_updated_at(conn, "wire:2") == T0


def test_undated_item_keeps_its_first_seen_time(engine: Engine) -> None:
    first = parse(rss(["<item><title>No date</title><link>https://gen.example/n</link></item>"]))
    later = parse(
        rss(["<item><title>No date</title><link>https://gen.example/n</link></item>"]), now=T1
    )
    with engine.begin() as conn:
        upsert_articles(conn, first.articles, T0)
    with engine.begin() as conn:
        counts = upsert_articles(conn, later.articles, T1)
    assert counts.unchanged == 1
    with engine.connect() as conn:
        stored = article_by_uid(conn, first.articles[0].uid)
    assert stored is not None
    assert stored.published_at == T0 and stored.first_seen_at == T0


def test_url_hash_is_stored(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_articles(conn, [article(7)], T0)
        stored = conn.execute(select(ArticleRow.url_hash)).scalar_one()
    assert stored == hashlib.sha256(b"https://gen.example/7").hexdigest()


def test_duplicate_uids_in_one_batch_count_once(engine: Engine) -> None:
    with engine.begin() as conn:
        counts = upsert_articles(conn, [article(1), article(1, title="later copy")], T0)
        assert counts.inserted == 1
        stored = article_by_uid(conn, "wire:1")
    assert stored is not None and stored.title == "Title 1"


def test_queries(engine: Engine) -> None:
    future = article(99, published_at=T0 + timedelta(days=2))
    same_time = [
        article(10, uid="wire:a", published_at=T0),
        article(11, uid="wire:b", published_at=T0),
    ]
    with engine.begin() as conn:
        upsert_articles(conn, [article(n) for n in range(1, 4)] + [future, *same_time], T0)
    with engine.connect() as conn:
        window = articles_published_between(conn, T0 - timedelta(minutes=3), T0)
        # start is exclusive (article 3 is exactly at start), end inclusive, newest first.
        assert [a.uid for a in window] == ["wire:a", "wire:b", "wire:1", "wire:2"]
        assert all(a.id is not None for a in window)
        assert window[0].id is not None and window[1].id is not None
        assert window[0].id < window[1].id
        assert "wire:99" not in {a.uid for a in window}  # the future one waits
        ids = [a.id for a in window if a.id is not None]
        found = articles_by_ids(conn, [*ids, 123456])
        assert set(found) == set(ids)
        assert found[ids[0]].uid == "wire:a"
        assert articles_by_ids(conn, []) == {}
        assert count_articles(conn) == 6


def test_three_thousand_item_feed_upserts_in_bulk(engine: Engine) -> None:
    feed = big_parsed()
    with engine.begin() as conn:
        first = upsert_articles(conn, feed.articles, T0)
    with engine.begin() as conn:
        second = upsert_articles(conn, feed.articles, T1)
    assert first.inserted == 3000
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3000)
    with engine.connect() as conn:
        assert count_articles(conn) == 3000


def test_feed_state_round_trip(engine: Engine) -> None:
    with engine.begin() as conn:
        assert feed_state(conn, "wire") is None
        record_fetch_ok(
            conn,
            "wire",
            now=T0,
            etag='"v1"',
            last_modified="Fri, 30 Jan 2026 04:00:00 GMT",
            items_seen=12,
        )
    with engine.begin() as conn:
        record_fetch_error(conn, "wire", now=T1, error="HTTP 500 Internal Server Error")
        record_fetch_error(conn, "other", now=T1, error="x" * 5000)
    with engine.connect() as conn:
        state = feed_state(conn, "wire")
        assert state is not None
        assert state.etag == '"v1"'  # validators survive a failure
        assert state.last_ok_at == T0 and state.last_fetched_at == T1
        assert state.last_error == "HTTP 500 Internal Server Error"
        assert state.items_seen == 12
        other = feed_state(conn, "other")
        assert other is not None and len(other.last_error or "") == 2000
    with engine.begin() as conn:
        record_not_modified(conn, "wire", now=T1, etag='"v1"', last_modified=None)
    with engine.connect() as conn:
        states = feed_states(conn, ["wire", "missing"])
        assert set(states) == {"wire"}
        assert states["wire"].last_error is None and states["wire"].last_ok_at == T1
        assert set(feed_states(conn)) == {"wire", "other"}
