"""Canonical URLs: one spelling per page, tracking removed, http(s) only."""

from __future__ import annotations

import hashlib

import pytest

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
