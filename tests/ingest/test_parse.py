"""parse_feed: every feed format, normalisation rules, encodings and broken documents."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digest.ingest import FeedError
from digest.ingest.normalise import SUMMARY_MAX, TITLE_MAX, UID_MAX
from tests.ingest.helpers import NOW, big_parsed, feed_bytes, item, parse, rss


def by_url(feed, url):  # type: ignore[no-untyped-def]
    return next(a for a in feed.articles if a.url == url)


def test_rss20_items_are_normalised() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    assert feed.kind == "rss20"
    assert feed.title == "SKN Markets"
    ford = feed.articles[0]
    assert ford.uid == "wire:skn-1001"
    assert ford.source == "wire"
    assert ford.url == "https://www.skn.example/autos/ford-xiaomi?id=42"
    assert ford.title == "Ford Explores EV Partnership With Xiaomi"
    assert ford.author == "orshu"
    assert ford.categories == ("Autos", "Technology")  # "autos" repeated, dropped
    assert ford.published_at == datetime(2026, 1, 30, 2, 0, tzinfo=UTC)  # +0200 to UTC
    assert ford.first_seen_at == NOW
    assert ford.summary == "Ford has held talks with Xiaomi about an EV partnership."
    assert ford.summary_html == (
        "<p>Ford has held talks with <b>Xiaomi</b> about an EV partnership.</p>"
    )
    assert ford.image_url == "https://cdn.skn.example/img/ford.jpg?w=600"
    assert ford.key_points == (
        "Ford has held preliminary discussions with China’s Xiaomi regarding a potential "
        "electric vehicle (EV) partnership.",
        "The talks highlight growing convergence between automakers and consumer technology firms.",
        "Geopolitical, regulatory, and execution risks remain central.",
    )
    assert ford.read_minutes == 1


def test_rss20_author_email_enclosure_and_feed_read_time() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    shanghai = by_url(feed, "https://www.skn.example/markets/shanghai")
    assert shanghai.uid == "wire:https://www.skn.example/markets/shanghai"  # no guid: the URL
    assert shanghai.author == "Ronny Mor"  # "ronny@skn.example (Ronny Mor)"
    assert shanghai.title == "Shanghai Composite Faces Profit-Taking & Correction"
    assert shanghai.image_url == "https://cdn.skn.example/img/shanghai.png"
    assert shanghai.read_minutes == 6  # <skn:readMinutes>


def test_tracking_parameter_duplicates_collapse_to_one_article() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    urls = [a.url for a in feed.articles]
    assert urls.count("https://www.skn.example/markets/shanghai") == 1
    assert (
        "https://www.skn.example/markets/shanghai?utm_campaign=social&ref=twitter",
        "same id as item #2 of this feed; kept the first",
    ) in feed.skipped


def test_items_without_an_http_link_are_skipped_with_a_reason() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    assert ("javascript:alert(1)", "no http(s) article link (got 'javascript:alert(1)')") in (
        feed.skipped
    )
    assert feed.items == len(feed.articles) + len(feed.skipped) == 6


def test_undated_item_gets_the_time_it_was_first_seen() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    note = by_url(feed, "https://www.skn.example/markets/note")
    assert note.published_at == NOW
    assert note.first_seen_at == NOW


def test_future_item_keeps_its_real_date() -> None:
    feed = parse(feed_bytes("rss20.xml"))
    outlook = by_url(feed, "https://www.skn.example/markets/outlook")
    assert outlook.published_at == datetime(2026, 2, 1, 6, 0, tzinfo=UTC)
    assert outlook.published_at > NOW
    assert outlook.uid == "wire:https://www.skn.example/markets/outlook"


def test_rss091_with_html_entities() -> None:
    feed = parse(feed_bytes("rss091.xml"))
    assert feed.kind.startswith("rss091")
    assert [a.title for a in feed.articles] == ["Café prices rise again", "Second story"]
    assert feed.articles[0].summary == "Coffee costs more in München."
    assert feed.encoding == "iso8859-1"


def test_rss10_rdf() -> None:
    feed = parse(feed_bytes("rss10.rdf"))
    assert feed.kind == "rss10"
    one, two = feed.articles
    assert one.uid == "wire:https://rdf.example/one"
    assert one.url == "https://rdf.example/one"
    assert one.author == "Lior Mor"
    assert one.categories == ("Indices",)
    assert one.published_at == datetime(2026, 1, 30, 0, 15, tzinfo=UTC)
    assert two.published_at == datetime(2026, 1, 30, 1, 0, tzinfo=UTC)


def test_atom() -> None:
    feed = parse(feed_bytes("atom.xml"))
    assert feed.kind == "atom10"
    nvidia, updated_only = feed.articles
    assert nvidia.uid == "wire:tag:atom.example,2026:nvidia-openai"
    assert nvidia.url == "https://atom.example/tech/nvidia-openai"
    assert nvidia.title == "Nvidia bets deeper on OpenAI"
    assert nvidia.author == "Lior Mor"
    assert nvidia.published_at == datetime(2026, 1, 30, 0, 0, tzinfo=UTC)
    assert nvidia.image_url == "https://atom.example/img/nvidia.webp"
    assert nvidia.summary == "Global technology markets are recalibrating expectations."
    assert updated_only.published_at == datetime(2026, 1, 30, 3, 0, tzinfo=UTC)


def test_json_feed() -> None:
    feed = parse(feed_bytes("feed.json"), "application/feed+json")
    assert feed.kind == "json1.1"
    msci, chips = feed.articles
    assert msci.uid == "wire:json-1"
    assert msci.url == "https://json.example/markets/msci-europe?page=2"
    assert msci.author == "Ronny Mor"
    assert msci.categories == ("Markets", "Indices")
    assert msci.key_points == ("Europe closed at 2,759.31", "Geopolitics weigh")
    assert msci.read_minutes == 6
    assert msci.image_url == "https://json.example/img/msci.jpg"
    assert msci.published_at == datetime(2026, 1, 30, 4, 17, tzinfo=UTC)
    assert msci.summary.startswith("The MSCI Europe Index demonstrated notable resilience during")
    assert chips.uid == "wire:2"
    assert chips.url == "https://json.example/tech/chips"  # relative, against home_page_url
    assert chips.author == "JSON Desk"  # the feed's author
    assert chips.key_points == ("Chips up", "Memory leads")
    assert chips.summary == "Semiconductor shares rallied on Friday."
    assert chips.image_url == "https://json.example/img/chips.png"
    assert chips.published_at == datetime(2026, 1, 30, 8, 0, tzinfo=UTC)
    assert feed.skipped == (("json-3", "no article link"),)


def test_json_feed_without_content_type_is_sniffed_and_script_removed() -> None:
    feed = parse(feed_bytes("feed.json"))
    assert feed.kind == "json1.1"
    doc = json.loads(feed_bytes("feed.json"))
    doc["items"][0].pop("summary")
    feed = parse(json.dumps(doc).encode())
    assert "<script" not in feed.articles[0].summary_html
    assert "alert" not in feed.articles[0].summary


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON at line 1"),
        (b'{"title": "x", "items": []}', "not a JSON Feed: version must start with"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": {}}', "'items' is missing"),
        (b"[1, 2]", "not a JSON Feed"),
    ],
)
def test_bad_json_feeds_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match="JSON"):
        parse(content, "application/json")
    with pytest.raises(FeedError) as err:
        parse(content, "application/json")
    assert message in str(err.value)


def test_hebrew_windows_1255_declared_in_the_prolog() -> None:
    feed = parse(feed_bytes("hebrew-1255-prolog.xml"))
    assert feed.encoding == "cp1255"
    (article,) = feed.articles
    assert article.title == "מדד תל אביב 35 עלה ב-1.2%"
    assert article.summary == "המדד המוביל בבורסה בתל אביב עלה היום בחדות."
    assert article.categories == ("שווקים",)
    assert feed.title == "חדשות שוק ההון"


def test_hebrew_windows_1255_declared_only_in_the_http_charset() -> None:
    content = feed_bytes("hebrew-1255-http.xml")
    assert b"encoding=" not in content
    feed = parse(content, "application/rss+xml; charset=windows-1255")
    (article,) = feed.articles
    assert article.title == "מדד תל אביב 35 עלה ב-1.2%"
    assert feed.warnings == ()


def test_undeclared_windows_1255_is_read_with_charset_normalizers_guess() -> None:
    """No charset anywhere and not UTF-8: charset-normalizer's guess, with a warning."""
    content = feed_bytes("hebrew-1255-http.xml")
    feed = parse(content, "application/rss+xml")
    (article,) = feed.articles
    assert article.title == "מדד תל אביב 35 עלה ב-1.2%"
    assert article.categories == ("שווקים",)
    assert feed.encoding == "cp1255"
    (warning,) = feed.warnings
    assert "no charset declared" in warning and "cp1255" in warning and "guess" in warning


def test_utf8_document_under_a_latin1_server_default_is_read_as_utf8() -> None:
    content = (
        feed_bytes("hebrew-1255-prolog.xml")
        .decode("cp1255")
        .replace('encoding="windows-1255"', 'encoding="utf-8"')
        .encode("utf-8")
    )
    feed = parse(content, "text/xml; charset=ISO-8859-1")
    assert feed.articles[0].title == "מדד תל אביב 35 עלה ב-1.2%"


def test_wrong_or_unknown_encoding_is_refused_with_the_declaration_named() -> None:
    content = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><item>"
        "<title>שלום</title></item></channel></rss>"
    )
    with pytest.raises(FeedError, match=r"not valid utf-8 \(XML declaration\)"):
        parse(content.encode("cp1255"))
    with pytest.raises(FeedError, match="unknown encoding 'x-klingon'"):
        parse(content.encode("cp1255"), "text/xml; charset=x-klingon")


def test_truncated_feed_keeps_only_the_complete_items() -> None:
    feed = parse(feed_bytes("truncated.xml"))
    assert [a.title for a in feed.articles] == ["First complete", "Second complete"]
    assert not feed.complete
    (warning,) = feed.warnings
    assert "truncated XML at line 22" in warning
    assert "kept the 2 complete item(s)" in warning


def test_truncated_feed_without_a_complete_item_is_refused() -> None:
    with pytest.raises(FeedError, match="no complete item before it"):
        parse(feed_bytes("truncated-early.xml"))


def test_malformed_middle_item_drops_it_and_the_rest() -> None:
    content = rss([item(1), "<item><title>bad & broken</title></item>", item(3)])
    feed = parse(content)
    assert [a.uid for a in feed.articles] == ["wire:gen-1"]
    assert "not well-formed" in feed.warnings[0]


def test_html_page_instead_of_a_feed() -> None:
    with pytest.raises(FeedError) as err:
        parse(feed_bytes("page.html"), "text/html; charset=utf-8")
    assert str(err.value) == (
        "not a feed but an HTML page; the page advertises a feed at "
        "https://www.skn.example/feed.xml"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "not an RSS, Atom or RDF feed"),
        (b"just some text", "not an RSS, Atom or RDF feed"),
    ],
)
def test_not_a_feed(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse(content)


def test_empty_but_valid_feed_has_no_items() -> None:
    feed = parse(rss([]))
    assert feed.articles == () and feed.skipped == () and feed.complete


def test_hostile_markup_in_a_feed_is_removed() -> None:
    hostile = (
        '<p onclick="x()" style="color:red">Safe text</p><script>alert(1)</script>'
        '<img src=x onerror="alert(2)"><iframe src="https://evil.example/"></iframe>'
        '<a href="javascript:alert(3)">js</a> <a href="data:text/html,hi">data</a>'
        ' <a href="https://ok.example/">ok</a><style>p{}</style>'
    )
    feed = parse(rss([item(1, title="<b>Bold</b> <script>x()</script>title", summary=hostile)]))
    (article,) = feed.articles
    assert article.title == "Bold title"
    html = article.summary_html.lower()
    for bad in (
        "script",
        "alert",
        "onerror",
        "onclick",
        "iframe",
        "style",
        "javascript:",
        "data:",
        "<img",
    ):
        assert bad not in html, bad
    assert '<a href="https://ok.example/" rel="noopener noreferrer">ok</a>' in article.summary_html
    assert article.summary == "Safe text js data ok"


def test_long_title_and_summary_are_limited() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    feed = parse(rss([item(1, title=words, summary=f"<p>{words}</p>")]))
    (article,) = feed.articles
    assert len(article.title) <= TITLE_MAX and article.title.endswith("…")
    assert len(article.summary) <= SUMMARY_MAX and article.summary.endswith("…")
    assert article.summary_html.startswith("<p>word0") and article.summary_html.endswith("…</p>")
    assert article.read_minutes == 2  # 400 words at 230 per minute


def test_missing_title_falls_back_to_the_summary_and_both_missing_is_skipped() -> None:
    no_title = (
        "<item><link>https://gen.example/a</link>"
        "<description>Only a body here.</description></item>"
    )
    nothing = "<item><link>https://gen.example/b</link></item>"
    feed = parse(rss([no_title, nothing]))
    (article,) = feed.articles
    assert article.title == "Only a body here."
    assert feed.skipped == (("https://gen.example/b", "no title and no summary"),)


def test_very_long_guid_is_hashed_to_fit_the_column() -> None:
    long_guid = "g" * 1000
    feed = parse(rss([item(1).replace("gen-1", long_guid)]))
    uid = feed.articles[0].uid
    assert len(uid) <= UID_MAX and uid.startswith("wire:sha256:")
    again = parse(rss([item(1).replace("gen-1", long_guid)]))
    assert again.articles[0].uid == uid


def test_same_guid_in_two_sources_gives_two_uids_but_one_url_hash() -> None:
    a = parse(rss([item(1)]), source="alpha").articles[0]
    b = parse(rss([item(1)]), source="beta").articles[0]
    assert a.uid == "alpha:gen-1" and b.uid == "beta:gen-1"
    assert a.url == b.url == "https://gen.example/story/1"


def test_parse_is_pure_and_repeatable() -> None:
    content = feed_bytes("rss20.xml")
    first, second = parse(content), parse(content)
    assert first == second
    later_now = NOW + timedelta(hours=1)
    later = parse(content, now=later_now)
    for before, after in zip(first.articles, later.articles, strict=True):
        assert after.first_seen_at == later_now
        if before.published_at == NOW:  # undated: "now" is all it has
            assert after.published_at == later_now
        else:
            assert replace(after, first_seen_at=NOW) == before


def test_three_thousand_items() -> None:
    feed = big_parsed()
    assert len(feed.articles) == 3000
    assert len({a.uid for a in feed.articles}) == 3000
    assert feed.articles[-1].url == "https://gen.example/story/2999"
