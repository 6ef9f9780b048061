"""ingest_sources end to end: files and a real HTTP server, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from digest.app import App
from digest.ingest import IngestError, format_report, ingest_sources
from digest.store.articles import article_by_uid, article_updated_at, count_articles
from digest.store.feeds import feed_state
from tests.conftest import FixedClock, make_app, make_config
from tests.ingest.feed_server import FeedServer, serve_bytes, serve_conditional
from tests.ingest.helpers import FEEDS, NOW, feed_bytes, item, rss

LAST_MODIFIED = "Fri, 30 Jan 2026 04:00:00 GMT"
FAST = {"timeout_seconds": 0.5, "max_bytes": 100_000, "user_agent": "digest-test"}


def build_app(
    tmp_path: Path, db_url: str | None, sources: list[dict[str, str]], **ingest: Any
) -> App:
    config = make_config(tmp_path, db_url, sources=sources, ingest={**FAST, **ingest})
    return make_app(config, FixedClock(NOW))


@pytest.fixture
def versioned(feed_server: FeedServer) -> Iterator[dict[str, Any]]:
    """/rss serves a feed whose content and ETag the test can change."""
    state: dict[str, Any] = {"version": 1, "items": [item(1), item(2)]}
    feed_server.routes["/rss"] = serve_conditional(
        lambda: rss(state["items"]), lambda: f'"v{state["version"]}"', LAST_MODIFIED
    )
    yield state


def test_conditional_get_across_runs(
    tmp_path: Path, db_url: str, feed_server: FeedServer, versioned: dict[str, Any]
) -> None:
    app = build_app(tmp_path, db_url, [{"name": "wire", "url": feed_server.url("/rss")}])
    try:
        first = ingest_sources(app)
        (result,) = first.sources
        assert result.ok and not result.not_modified
        assert (result.items, result.inserted, result.updated, result.unchanged) == (2, 2, 0, 0)
        with app.engine.connect() as conn:
            state = feed_state(conn, "wire")
        assert state is not None and state.etag == '"v1"'
        assert state.last_modified == LAST_MODIFIED

        second = ingest_sources(app)
        assert second.sources[0].not_modified and second.sources[0].ok
        assert feed_server.headers_for("/rss")[1]["If-None-Match"] == '"v1"'

        versioned["version"] = 2
        versioned["items"] = [item(1, title="Story number 1, corrected"), item(2), item(3)]
        app.clock.now = NOW.replace(hour=6)  # type: ignore[attr-defined]
        third = ingest_sources(app)
        r = third.sources[0]
        assert (r.items, r.inserted, r.updated, r.unchanged) == (3, 1, 1, 1)
        with app.engine.connect() as conn:
            assert count_articles(conn) == 3
            assert article_updated_at(conn, "wire:gen-1") == NOW.replace(hour=6)
            assert article_updated_at(conn, "wire:gen-2") == NOW
            state = feed_state(conn, "wire")
        assert state is not None and state.etag == '"v2"'
    finally:
        app.engine.dispose()


def test_file_sources_of_every_format_twice_is_idempotent(tmp_path: Path, db_url: str) -> None:
    names = [
        "rss20.xml",
        "rss091.xml",
        "rss10.rdf",
        "atom.xml",
        "feed.json",
        "hebrew-1255-prolog.xml",
    ]
    sources = [{"name": n.split(".")[0], "url": str(FEEDS / n)} for n in names]
    app = build_app(tmp_path, db_url, sources)
    try:
        first = ingest_sources(app)
        assert first.ok, format_report(first)
        assert first.inserted == 4 + 2 + 2 + 2 + 2 + 1
        with app.engine.connect() as conn:
            total = count_articles(conn)
            hebrew = article_by_uid(conn, "hebrew-1255-prolog:he-1")
        assert total == first.inserted
        assert hebrew is not None and hebrew.title == "מדד תל אביב 35 עלה ב-1.2%"
        app.clock.now = NOW.replace(hour=9)  # type: ignore[attr-defined]
        second = ingest_sources(app)
        assert (second.inserted, second.updated) == (0, 0)
        assert second.unchanged == first.inserted
        with app.engine.connect() as conn:
            assert count_articles(conn) == total
            note = article_by_uid(conn, "rss20:https://www.skn.example/markets/note")
        assert note is not None and note.published_at == NOW  # undated: first seen, kept
    finally:
        app.engine.dispose()


def test_one_bad_source_never_stops_the_others(
    tmp_path: Path, feed_server: FeedServer, closed_port: int, versioned: dict[str, Any]
) -> None:
    feed_server.routes["/500"] = serve_bytes(b"down", "text/plain", status=500)
    feed_server.routes["/page"] = serve_bytes(feed_bytes("page.html"), "text/html")
    feed_server.routes["/he"] = serve_bytes(
        feed_bytes("hebrew-1255-http.xml"), "application/rss+xml; charset=windows-1255"
    )

    def slow(req: BaseHTTPRequestHandler) -> None:
        feed_server.release.wait(10)

    feed_server.routes["/slow"] = slow
    sources = [
        {"name": "good-file", "url": str(FEEDS / "atom.xml")},
        {"name": "unreachable", "url": f"http://127.0.0.1:{closed_port}/feed.xml"},
        {"name": "server-error", "url": feed_server.url("/500")},
        {"name": "html-page", "url": feed_server.url("/page")},
        {"name": "slow", "url": feed_server.url("/slow")},
        {"name": "missing-file", "url": str(tmp_path / "missing.xml")},
        {"name": "truncated", "url": str(FEEDS / "truncated.xml")},
        {"name": "good-http", "url": feed_server.url("/rss")},
        {"name": "hebrew-http", "url": feed_server.url("/he")},
    ]
    app = build_app(tmp_path, None, sources)
    try:
        report = ingest_sources(app)
        by_name = {r.name: r for r in report.sources}
        assert [r.name for r in report.sources] == [s["name"] for s in sources]
        assert {r.name for r in report.failed} == {
            "unreachable",
            "server-error",
            "html-page",
            "slow",
            "missing-file",
        }
        assert by_name["unreachable"].error is not None
        assert by_name["unreachable"].error.startswith(
            f"cannot connect to http://127.0.0.1:{closed_port}"
        )
        assert by_name["server-error"].error == (
            f"HTTP 500 Internal Server Error from {feed_server.url('/500')}"
        )
        assert by_name["html-page"].error == (
            "not a feed but an HTML page; the page advertises a feed at "
            "https://www.skn.example/feed.xml"
        )
        assert "timed out after 0.5s" in (by_name["slow"].error or "")
        assert by_name["missing-file"].error == f"file not found: {tmp_path / 'missing.xml'}"
        assert by_name["good-file"].inserted == 2
        assert by_name["good-http"].inserted == 2
        assert by_name["hebrew-http"].inserted == 1
        truncated = by_name["truncated"]
        assert truncated.ok and truncated.inserted == 2 and truncated.warnings
        with app.engine.connect() as conn:
            assert count_articles(conn) == 2 + 2 + 1 + 2
            failed_state = feed_state(conn, "server-error")
            truncated_state = feed_state(conn, "truncated")
        assert failed_state is not None and failed_state.last_error is not None
        assert "HTTP 500" in failed_state.last_error and failed_state.last_ok_at is None
        assert truncated_state is not None and truncated_state.etag is None

        lines = format_report(report)
        url_500 = feed_server.url("/500")
        failed_line = f"FAILED server-error: HTTP 500 Internal Server Error from {url_500}"
        assert failed_line in lines
        assert "ok good-http: 2 item(s): 2 new, 0 updated, 0 unchanged, 0 skipped" in lines
        assert any(line.startswith("  warning: malformed or truncated XML") for line in lines)
        assert lines[-1].startswith("total: 9 source(s), 5 failed; 7 new")
    finally:
        app.engine.dispose()


def test_oversize_source_fails_and_names_the_cap(tmp_path: Path, feed_server: FeedServer) -> None:
    big = rss([item(n) for n in range(1000)])
    assert len(big) > 100_000
    feed_server.routes["/big"] = serve_bytes(big, "application/rss+xml")
    app = build_app(tmp_path, None, [{"name": "big", "url": feed_server.url("/big")}])
    try:
        (result,) = ingest_sources(app).sources
        assert not result.ok
        assert "over ingest.max_bytes (100,000 bytes)" in (result.error or "")
        with app.engine.connect() as conn:
            assert count_articles(conn) == 0
    finally:
        app.engine.dispose()


def test_only_selects_sources_and_unknown_names_are_refused(tmp_path: Path) -> None:
    sources = [
        {"name": "atom", "url": str(FEEDS / "atom.xml")},
        {"name": "json", "url": str(FEEDS / "feed.json")},
    ]
    app = build_app(tmp_path, None, sources)
    try:
        report = ingest_sources(app, only=["json"])
        assert [r.name for r in report.sources] == ["json"]
        expected = "unknown source.*nope; configured sources: atom, json"
        with pytest.raises(IngestError, match=expected):
            ingest_sources(app, only=["nope"])
    finally:
        app.engine.dispose()


def test_no_sources_configured(tmp_path: Path) -> None:
    app = build_app(tmp_path, None, [])
    try:
        report = ingest_sources(app)
        assert report.sources == () and report.ok
        assert format_report(report) == ["no sources to ingest (config: sources)"]
    finally:
        app.engine.dispose()
