"""Canonical URLs: one spelling per page, tracking removed, http(s) only."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, provisional, settings

from digest.ingest.urls import canonical_url, http_url, is_tracking_param, url_hash


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&UTM_Campaign=z", "https://example.com/a"),
        (
            "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&ref=6&id=7",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?msclkid=1&_hsenc=2&yclid=3&q=x", "https://example.com/a?q=x"),
        ("https://example.com/a?empty=&q=1", "https://example.com/a?empty=&q=1"),
        ("https://example.com./a", "https://example.com/a"),
    ],
)
def test_canonical_url_rules(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:a@b.example",
        "ftp://example.com/a",
        "",
        "   ",
        "https://",
        "http://example.com:99999/",
        "//",
    ],
)
def test_non_http_links_are_refused(raw: str) -> None:
    assert canonical_url(raw) is None


def test_relative_links_resolve_against_the_base() -> None:
    assert canonical_url("/a/b?utm_source=x", "https://site.example/feed") == (
        "https://site.example/a/b"
    )
    assert canonical_url("/a", None) is None


def test_tracking_variants_share_one_url_and_hash() -> None:
    variants = [
        "https://www.skn.example/markets/shanghai",
        "https://www.skn.example/markets/shanghai?utm_source=newsletter",
        "https://WWW.SKN.example:443/markets/shanghai?fbclid=abc#top",
        "https://www.skn.example/markets/shanghai?ref=twitter&gclid=9",
    ]
    urls = {canonical_url(v) for v in variants}
    assert urls == {"https://www.skn.example/markets/shanghai"}
    (only,) = urls
    assert url_hash(only) == hashlib.sha256(only.encode()).hexdigest()


def test_tracking_param_names() -> None:
    assert is_tracking_param("utm_content")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("id")
    assert not is_tracking_param("page")


def test_http_url_keeps_the_query_of_images() -> None:
    assert http_url("https://cdn.example/a.jpg?w=600&sig=abc") == (
        "https://cdn.example/a.jpg?w=600&sig=abc"
    )
    assert http_url("img/a.jpg", "https://site.example/feed/") == (
        "https://site.example/feed/img/a.jpg"
    )
    assert http_url("data:image/png;base64,AAAA") is None
    assert http_url("javascript:alert(1)") is None
    assert http_url(None) is None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://www.skn.example/a%7eb", "https://www.skn.example/a~b"),
        ("https://www.skn.example/café", "https://www.skn.example/caf%C3%A9"),
        ("https://bücher.de/news/1", "https://xn--bcher-kva.de/news/1"),
        ("https://BÜCHER.de:443/news/1?utm_source=x", "https://xn--bcher-kva.de/news/1"),
        ("https://www.skn.example/a?q=caf%C3%A9&b=1", "https://www.skn.example/a?b=1&q=café"),
        ("https://www.skn.example/%61", "https://www.skn.example/a"),
    ],
)
def test_spellings_of_one_page_collapse(one: str, other: str) -> None:
    assert canonical_url(one) is not None
    assert canonical_url(one) == canonical_url(other)


def test_the_pairs_are_one_story_after_ingest() -> None:
    """Two items of a feed linking to two spellings of one page: ranking keeps one."""
    from datetime import timedelta

    from digest.rank import rank
    from tests.ingest.helpers import NOW, item, parse, rss
    from tests.test_rank import inp

    pairs = [
        ("https://www.skn.example/a%7eb", "https://www.skn.example/a~b"),
        ("https://www.skn.example/café", "https://www.skn.example/caf%C3%A9"),
        ("https://bücher.de/news/1", "https://xn--bcher-kva.de/news/1"),
    ]
    items = [
        item(2 * i + k + 1, title=f"DAX story {i} take {k}", link=url)
        for i, pair in enumerate(pairs)
        for k, url in enumerate(pair)
    ]
    feed = parse(rss(items))
    assert len(feed.articles) == 6 and len({a.url for a in feed.articles}) == 3
    result = rank(list(feed.articles), inp(now=NOW, window_start=NOW - timedelta(hours=24)))
    assert len(result.selected) == 3
    assert all(len(s.duplicates) == 1 for s in result.selected)


@settings(max_examples=300, deadline=None)
@given(provisional.urls())
def test_canonical_urls_are_fixed_points(raw: str) -> None:
    """Canonicalising a canonical URL changes nothing (no story splits in two on re-ingest)."""
    once = canonical_url(raw)
    if once is not None:
        assert canonical_url(once) == once
