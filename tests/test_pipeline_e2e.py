"""Real-world-style feeds through `digest ingest` and `digest preview`, as ops would run them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.cli_helpers import digest, write_config

NOW = datetime.now(UTC)


def rss(items: str, encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>t</title>'
        f"<link>https://www.skn.example/</link><description>d</description>{items}</channel></rss>"
    )


def item(
    title: str,
    link: str,
    *,
    hours_ago: float | None = 1,
    guid: str | None = None,
    cat: str = "Markets",
    desc: str = "The index moved.",
) -> str:
    date = (
        f"<pubDate>{format_datetime(NOW - timedelta(hours=hours_ago))}</pubDate>"
        if hours_ago is not None
        else ""
    )
    g = f"<guid>{guid}</guid>" if guid else ""
    return (
        f"<item><title>{title}</title><link>{link}</link>{g}{date}<category>{cat}</category>"
        f"<description>{desc}</description></item>"
    )


def feeds(tmp_path: Path) -> list[dict[str, str]]:
    d = tmp_path / "feeds"
    d.mkdir()
    dupes = rss(
        item(
            "SKN | DAX Hits a Record",
            "https://www.skn.example/dax?utm_source=rss&amp;utm_medium=x",
            guid="d1",
        )
        + item(
            "DAX hits a record!", "https://www.skn.example/dax?fbclid=abc", guid="d2", hours_ago=2
        )
        + item("dax hits a record", "https://mirror.example/dax-copy", guid="d3", hours_ago=3)
    )
    (d / "dupes.xml").write_text(dupes, encoding="utf-8")
    timing = rss(
        item("Future DAX outlook", "https://www.skn.example/future", hours_ago=-48, guid="f1")
        + item("Undated index note", "https://www.skn.example/undated", hours_ago=None, guid="u1")
    )
    (d / "timing.xml").write_text(timing, encoding="utf-8")
    hostile_desc = (
        "&lt;p onclick=&quot;steal()&quot;&gt;Stocks &lt;script&gt;alert(1)&lt;/script&gt;"
        "&lt;iframe src=&quot;https://evil.example&quot;&gt;&lt;/iframe&gt;"
        "&lt;a href=&quot;javascript:alert(2)&quot;&gt;click&lt;/a&gt;&lt;/p&gt;"
    )
    hostile = rss(
        item(
            "Stocks &lt;img src=x onerror=alert(3)&gt; rally",
            "https://www.skn.example/hostile",
            guid="h1",
            desc=hostile_desc,
        )
        + item("Data link index", "javascript:alert(1)", guid="h2")
    )
    (d / "hostile.xml").write_text(hostile, encoding="utf-8")
    hebrew = rss(
        item(
            "מדד המניות עולה", "https://www.skn.example/he", guid="he1", desc="מניות index בתל אביב"
        ),
        "windows-1255",
    )
    (d / "hebrew.xml").write_bytes(hebrew.encode("windows-1255"))
    (d / "truncated.xml").write_text(dupes[: len(dupes) // 2], encoding="utf-8")
    (d / "page.html").write_text("<html><body><h1>Not a feed</h1></body></html>", encoding="utf-8")
    big = rss(
        "".join(
            item(
                f"Index story {i}",
                f"https://www.skn.example/s/{i}",
                guid=f"b{i}",
                hours_ago=1 + i / 100,
            )
            for i in range(3000)
        )
    )
    (d / "big.xml").write_text(big, encoding="utf-8")
    names = ["dupes", "timing", "hostile", "hebrew", "truncated", "page", "big"]
    exts = {"page": "html"}
    return [{"name": n, "url": str(d / f"{n}.{exts.get(n, 'xml')}")} for n in names] + [
        {"name": "unreachable", "url": "http://127.0.0.1:9/feed.xml"}
    ]


def test_held_out_style_feeds(tmp_path: Path) -> None:
    segments = [
        {
            "name": "markets-en",
            "topics": {"markets": 1.0},
            "timezone": "Europe/London",
            "locale": "en",
            "max_articles": 20,
            "lookback_hours": 24,
        },
        {
            "name": "tech-he",
            "topics": {"markets": 1.0},
            "timezone": "Asia/Jerusalem",
            "locale": "he",
            "max_articles": 20,
            "lookback_hours": 24,
        },
    ]
    write_config(
        tmp_path,
        sources=feeds(tmp_path),
        segments=segments,
        ranking={"half_life_hours": 12, "max_per_topic": 20},
    )
    assert digest("init", cwd=tmp_path).returncode == 0
    res = digest("ingest", cwd=tmp_path, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 1
    assert "Traceback" not in out
    for failing in ("page", "unreachable"):
        assert f"{failing}: FAILED" in res.stderr, out
    for good in ("dupes", "timing", "hostile", "hebrew", "big"):
        assert f"{good}: FAILED" not in res.stderr, out

    prev = digest("preview", "markets-en", "--format", "json", cwd=tmp_path)
    assert prev.returncode == 0, prev.stderr
    data = json.loads(prev.stdout)
    urls = [a["url"] for a in data["articles"]]
    titles = [a["title"].casefold() for a in data["articles"]]
    assert len(urls) == len(set(urls))
    assert sum("dax hits a record" in t for t in titles) == 1
    assert not any("utm_" in u or "fbclid" in u for u in urls)
    assert all(u.startswith("https://") for u in urls)
    assert "https://www.skn.example/future" not in urls
    assert "https://www.skn.example/undated" in urls

    html = digest("preview", "tech-he", "--format", "html", cwd=tmp_path)
    assert html.returncode == 0, html.stderr
    lower = html.stdout.lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in lower, bad
    assert "מדד המניות עולה" in html.stdout
    assert 'dir="rtl"' in html.stdout
