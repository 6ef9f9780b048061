"""Fetching over real HTTP on 127.0.0.1 and from local files."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from digest.ingest import FetchError
from digest.ingest.fetch import FetchSettings, fetch_http, make_client, read_local
from tests.ingest.feed_server import FeedServer, serve_bytes, serve_conditional
from tests.ingest.helpers import feed_bytes

SETTINGS = FetchSettings(timeout_seconds=0.5, max_bytes=100_000, user_agent="digest-test/1.0")
LAST_MODIFIED = "Fri, 30 Jan 2026 04:00:00 GMT"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(SETTINGS) as c:
        yield c


def test_conditional_get_with_etag(feed_server: FeedServer, client: httpx.Client) -> None:
    body = feed_bytes("rss20.xml")
    feed_server.routes["/rss"] = serve_conditional(lambda: body, lambda: '"v1"', LAST_MODIFIED)
    first = fetch_http(client, feed_server.url("/rss"), SETTINGS)
    assert first.content == body
    assert first.etag == '"v1"' and first.last_modified == LAST_MODIFIED
    assert first.content_type == "application/rss+xml; charset=utf-8"
    second = fetch_http(
        client,
        feed_server.url("/rss"),
        SETTINGS,
        etag=first.etag,
        last_modified=first.last_modified,
    )
    assert second.not_modified and second.content is None
    sent = feed_server.headers_for("/rss")
    assert "If-None-Match" not in sent[0]
    assert sent[1]["If-None-Match"] == '"v1"'
    assert sent[1]["If-Modified-Since"] == LAST_MODIFIED
    assert sent[0]["User-Agent"] == "digest-test/1.0"


def test_conditional_get_with_last_modified_only(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.routes["/lm"] = serve_conditional(lambda: b"<rss/>", lambda: '"x"', LAST_MODIFIED)
    result = fetch_http(client, feed_server.url("/lm"), SETTINGS, last_modified=LAST_MODIFIED)
    assert result.not_modified


def test_redirect_is_followed_and_final_url_kept(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    def redirect(req: BaseHTTPRequestHandler) -> None:
        req.send_response(301)
        req.send_header("Location", "/feeds/new.xml")
        req.end_headers()

    feed_server.routes["/old"] = redirect
    feed_server.routes["/feeds/new.xml"] = serve_bytes(b"<rss/>", "application/rss+xml")
    result = fetch_http(client, feed_server.url("/old"), SETTINGS)
    assert result.content == b"<rss/>"
    assert result.final_url == feed_server.url("/feeds/new.xml")


def test_unreachable(closed_port: int, client: httpx.Client) -> None:
    with pytest.raises(FetchError, match=rf"cannot connect to http://127.0.0.1:{closed_port}/"):
        fetch_http(client, f"http://127.0.0.1:{closed_port}/feed", SETTINGS)


def test_http_error(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.routes["/boom"] = serve_bytes(b"oops", "text/plain", status=500)
    with pytest.raises(FetchError) as err:
        fetch_http(client, feed_server.url("/boom"), SETTINGS)
    assert str(err.value) == f"HTTP 500 Internal Server Error from {feed_server.url('/boom')}"
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_http(client, feed_server.url("/missing"), SETTINGS)


def test_timeout(feed_server: FeedServer, client: httpx.Client) -> None:
    def slow(req: BaseHTTPRequestHandler) -> None:
        feed_server.release.wait(10)  # far past the 0.5 s timeout; released at teardown

    feed_server.routes["/slow"] = slow
    with pytest.raises(FetchError, match=r"timed out after 0.5s waiting for data"):
        fetch_http(client, feed_server.url("/slow"), SETTINGS)


TOTAL = 40_000_000


def test_oversize_stream_is_aborted_at_the_cap(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    def huge(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.end_headers()  # no Content-Length: the body ends when the connection closes
        chunk = b"<!-- padding -->" * 4096
        feed_server.body_bytes_sent["/huge"] = 0
        while feed_server.body_bytes_sent["/huge"] < TOTAL:
            req.wfile.write(chunk)
            feed_server.body_bytes_sent["/huge"] += len(chunk)

    feed_server.routes["/huge"] = huge
    with pytest.raises(
        FetchError,
        match=r"passed ingest.max_bytes \(100,000 bytes\); download "
        "stopped",
    ):
        fetch_http(client, feed_server.url("/huge"), SETTINGS)
    client.close()
    assert feed_server.body_bytes_sent["/huge"] < TOTAL


def test_declared_oversize_is_refused_before_reading(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    def declared(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("Content-Length", "50000000")
        req.end_headers()
        req.wfile.write(b"<rss>")

    feed_server.routes["/declared"] = declared
    with pytest.raises(FetchError, match=r"response is 50,000,000 bytes, over ingest.max_bytes"):
        fetch_http(client, feed_server.url("/declared"), SETTINGS)


def test_local_files(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss/>")
    assert read_local(str(feed), 100_000).content == b"<rss/>"
    assert read_local(feed.as_uri(), 100_000).content == b"<rss/>"
    with pytest.raises(FetchError, match=f"file not found: {tmp_path / 'nope.xml'}"):
        read_local(str(tmp_path / "nope.xml"), 100_000)
    with pytest.raises(FetchError, match="not a file but a directory"):
        read_local(str(tmp_path), 100_000)
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 200_000)
    over = r"is 200,000 bytes, over ingest.max_bytes \(100,000 bytes\)"
    with pytest.raises(FetchError, match=over):
        read_local(str(big), 100_000)
