"""Plain text, sanitised HTML and key points."""

from __future__ import annotations

from digest.ingest.keypoints import split_key_points_html, split_key_points_text
from digest.ingest.sanitize import sanitize_html, text_to_html, truncate_html
from digest.ingest.text import html_to_text, read_minutes, truncate_text, word_count

HOSTILE = (
    '<p style="color:red" onclick="steal()">Hello <b onmouseover="x()">world</b></p>'
    "<script>alert('xss')</script>"
    '<img src="https://evil.example/pixel.gif" onerror="alert(1)">'
    '<iframe src="https://evil.example/frame">fallback text</iframe>'
    "<style>body{display:none}</style>"
    '<a href="javascript:alert(1)">js link</a> '
    '<a href="data:text/html;base64,PHNjcmlwdD4=">data link</a> '
    '<a href="JaVaScRiPt:alert(2)">mixed case</a> '
    '<a href="https://good.example/a" target="_blank" onclick="x()">good link</a>'
    '<svg><script>alert(3)</script></svg><object data="x.swf"></object>'
    "<!-- a comment -->"
)


def test_hostile_markup_is_removed() -> None:
    clean = sanitize_html(HOSTILE)
    lowered = clean.lower()
    for bad in (
        "<script",
        "alert",
        "onerror",
        "onclick",
        "onmouseover",
        "<iframe",
        "<style",
        "style=",
        "javascript:",
        "data:",
        "<img",
        "<svg",
        "<object",
        "fallback text",
        "display:none",
        "comment",
        "target=",
    ):
        assert bad not in lowered, bad
    assert '<a href="https://good.example/a" rel="noopener noreferrer">good link</a>' in clean
    assert "<p>Hello <b>world</b></p>" in clean
    assert "js link" in clean  # the text stays, the link goes


def test_relative_links_are_resolved_or_dropped() -> None:
    html = '<a href="/story">story</a>'
    assert 'href="https://site.example/story"' in sanitize_html(html, "https://site.example/feed")
    assert "href" not in sanitize_html(html)


def test_html_to_text_strips_decodes_and_collapses() -> None:
    text = html_to_text(
        "<p>AT&amp;T&nbsp;rose&#8230;</p>\n\n<p>Second\tparagraph</p><script>bad()</script>"
        "<style>p{}</style><ul><li>one</li><li>two</li></ul>"
    )
    assert text == "AT&T rose… Second paragraph one two"


def test_html_to_text_removes_controls_and_bidi_overrides_but_keeps_hebrew_marks() -> None:
    assert html_to_text("a\x00b\x1bc\u202eevil\u202c d") == "a b c evil d"
    assert html_to_text("שלום\u200f עולם") == "שלום\u200f עולם"


def test_truncate_text_cuts_at_a_word_with_an_ellipsis() -> None:
    text = "The Shanghai Composite Index experienced a sharp technical correction today"
    cut = truncate_text(text, 40)
    assert len(cut) <= 40
    assert cut.endswith("…")
    assert cut == "The Shanghai Composite Index…"
    assert truncate_text("short", 40) == "short"


def test_truncate_html_keeps_tags_balanced() -> None:
    html = "<p>" + "word " * 50 + "<b>bold end</b></p><p>second</p>"
    cut = truncate_html(html, 60)
    assert cut.startswith("<p>word")
    assert cut.endswith("…</p>")
    assert "second" not in cut
    assert len(html_to_text(cut)) <= 60
    assert truncate_html("<p>short</p>", 60) == "<p>short</p>"


def test_text_to_html_escapes() -> None:
    assert text_to_html("a < b & c\n\nnext") == "<p>a &lt; b &amp; c</p><p>next</p>"


def test_word_count_and_read_minutes() -> None:
    assert word_count("Ford's EV plan — 2026 outlook, co-operation") == 6
    assert word_count("מדד תל אביב עלה") == 4
    assert read_minutes(0, 230) == 1
    assert read_minutes(230, 230) == 1
    assert read_minutes(231, 230) == 2
    assert read_minutes(1380, 230) == 6


def test_key_points_from_a_heading_and_list_are_taken_out_of_the_content() -> None:
    html = (
        '<div class="body"><h3><strong>Key Points</strong></h3>'
        "<ul><li>Ford held talks with Xiaomi.</li><li>Risks <em>remain</em>.</li></ul>"
        "<p>Global automakers are looking further.</p></div>"
    )
    points, rest = split_key_points_html(html)
    assert points == ("Ford held talks with Xiaomi.", "Risks remain.")
    assert "Key Points" not in rest
    assert "Ford held talks" not in rest
    assert "Global automakers are looking further." in rest
    assert rest.startswith('<div class="body">')


def test_key_points_label_variants_and_absence() -> None:
    points, rest = split_key_points_html("<p><b>Key takeaways:</b></p><ol><li>a</li></ol>tail")
    assert points == ("a",)
    assert rest == "tail"
    points, _ = split_key_points_html("<p>נקודות מרכזיות</p><ul><li>המדד עלה</li></ul>")
    assert points == ("המדד עלה",)
    # A list that is not introduced by the label is ordinary content.
    html = "<p>Intro paragraph first.</p><ul><li>a</li></ul>"
    assert split_key_points_html(html) == ((), html)
    assert split_key_points_html("plain text") == ((), "plain text")


def test_key_points_in_plain_text() -> None:
    text = "Key Points\n- Ford has held talks\n• Risks remain\n\nBody starts here."
    points, rest = split_key_points_text(text)
    assert points == ("Ford has held talks", "Risks remain")
    assert rest.strip() == "Body starts here."
    assert split_key_points_text("No label\n- a") == ((), "No label\n- a")
