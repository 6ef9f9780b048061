"""Property: no feed, however broken, makes parsing raise anything but FeedError, and every
article that comes out is usable (a title, an http(s) link, a plausible read time)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from digest.ingest import FeedError, ParsedFeed
from digest.ingest.normalise import MAX_READ_MINUTES
from tests.ingest.helpers import feed_bytes, parse

FIXTURE = feed_bytes("rss20.xml")
odd_text = st.text(max_size=60) | st.sampled_from(
    ["\x00", "\u202e", "]]>", "<![CDATA[", "&amp;", "&#0;", "&bogus;", "<b>", "javascript:x()"]
)


def _check(result: ParsedFeed) -> None:
    for article in result.articles:
        assert article.title.strip()
        assert article.url.startswith(("http://", "https://"))
        assert 1 <= article.read_minutes <= MAX_READ_MINUTES


@given(st.binary(max_size=400))
def test_any_bytes_parse_or_fail_as_a_feed_error(content: bytes) -> None:
    try:
        _check(parse(content))
    except FeedError:
        pass


@given(st.integers(0, len(FIXTURE)), st.integers(0, 200), st.binary(max_size=40))
def test_a_real_feed_cut_or_spliced_anywhere(at: int, drop: int, insert: bytes) -> None:
    mangled = FIXTURE[:at] + insert + FIXTURE[at + drop :]
    try:
        _check(parse(mangled))
    except FeedError:
        pass


@given(odd_text, odd_text, odd_text, odd_text, st.sampled_from(["rss", "atom", "json"]))
def test_items_with_hostile_fields(
    title: str, link: str, summary: str, date: str, kind: str
) -> None:
    if kind == "json":
        import json

        body = json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "t",
                "items": [
                    {
                        "id": title,
                        "url": link,
                        "title": title,
                        "content_html": summary,
                        "date_published": date,
                    }
                ],
            }
        ).encode()
    elif kind == "atom":
        body = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>t</title><entry><title>{escape(title)}</title>"
            f'<link href="{escape(link, {chr(34): "&quot;"})}"/><id>{escape(title)}</id>'
            f"<updated>{escape(date)}</updated><summary>{escape(summary)}</summary></entry></feed>"
        ).encode("utf-8", "surrogatepass")
    else:
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<pubDate>{escape(date)}</pubDate><description>{escape(summary)}</description>"
            "</item></channel></rss>"
        ).encode("utf-8", "surrogatepass")
    try:
        _check(parse(body))
    except FeedError:
        pass
