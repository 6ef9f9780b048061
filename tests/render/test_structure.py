"""The rendered HTML and text carry every section, in an accessible, localised structure."""

from __future__ import annotations

import re

import lxml.html
import pytest

from digest.models import RenderedEmail
from digest.render import RenderContext, default_subject, render_edition
from digest.render.colors import contrast, palette, parse_hex
from tests.render.conftest import (
    CTA,
    DEMO_SEGMENTS,
    context,
    demo_config,
    demo_edition,
    plain,
)

VAGUE_LINK_TEXT = {"click here", "here", "read more", "more", "link", "this"}


def doc(r: RenderedEmail) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(r.html.encode("utf-8"))


def visible_text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


@pytest.mark.parametrize("segment", DEMO_SEGMENTS)
def test_html_lang_dir_title_and_wrapper(rendered: dict[str, RenderedEmail], segment: str) -> None:
    r = rendered[segment]
    root = doc(r)
    lang, direction = ("he", "rtl") if segment == "tech-he" else ("en", "ltr")
    assert root.get("lang") == lang and root.get("dir") == direction
    wrapper = root.body[0]
    assert wrapper.tag == "div" and wrapper.get("lang") == lang and wrapper.get("dir") == direction
    assert root.find(".//title").text == r.subject
    assert r.locale == lang


@pytest.mark.parametrize("segment", DEMO_SEGMENTS)
def test_preheader_is_hidden_and_first(rendered: dict[str, RenderedEmail], segment: str) -> None:
    root = doc(rendered[segment])
    pre = root.body[0][0]
    style = pre.get("style").replace(" ", "")
    assert "display:none" in style and "mso-hide:all" in style and "max-height:0" in style
    assert "Xiaomi" in pre.text_content()


@pytest.mark.parametrize("segment", DEMO_SEGMENTS)
def test_headings_are_real_and_in_order(rendered: dict[str, RenderedEmail], segment: str) -> None:
    root = doc(rendered[segment])
    levels = [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert levels.count(3) >= 5  # key points + one per listed article


@pytest.mark.parametrize("segment", DEMO_SEGMENTS)
def test_images_have_alt_and_links_say_where_they_go(
    rendered: dict[str, RenderedEmail], segment: str
) -> None:
    root = doc(rendered[segment])
    images = list(root.iter("img"))
    assert images, "the lead story image is shown"
    assert all(img.get("alt") for img in images)
    for a in root.iter("a"):
        label = (a.get("aria-label") or visible_text(a) or "").strip().lower()
        if not label:
            label = " ".join(img.get("alt", "") for img in a.iter("img")).strip().lower()
        assert label and label not in VAGUE_LINK_TEXT, f"vague link text for {a.get('href')}"


def test_layout_is_tables_with_presentation_role_and_ghost_tables(
    rendered: dict[str, RenderedEmail],
) -> None:
    html = rendered["markets-en"].html
    root = doc(rendered["markets-en"])
    tables = list(root.iter("table"))
    assert tables and all(t.get("role") == "presentation" for t in tables)
    container = root.find_class("container")[0]
    assert "max-width:600px" in container.get("style").replace(" ", "")
    assert re.search(r"<!--\[if mso\]><table role=\"presentation\"[^>]*width=\"600\"", html)
    assert "<![endif]-->" in html


def test_sections_in_english(rendered: dict[str, RenderedEmail], config) -> None:
    r = rendered["markets-en"]
    root = doc(r)
    text = visible_text(root.body)
    h1 = root.find(".//h1")
    assert visible_text(h1) == "SKN Markets"
    assert "30 January 2026" in text and "Markets digest" in text
    assert "Editor's note" in text and "Markets open the last session" in text
    assert "Top story" in text and "Key points" in text
    assert len(root.find_class("li")) == 3
    # ranked list: linked titles in rank order, author, read time, local time, topic
    titles = [visible_text(h) for h in root.iter("h3") if h.find("a") is not None]
    edition = demo_edition("markets-en")
    assert titles == [i.article.title for i in edition.items[1:]]
    assert "Ronny Mor · 6 min read · 30 Jan, 4:17 am" in text  # 04:17 UTC is 04:17 in London
    assert "ago" not in text
    for label in ("Markets", "Tech", "Autos"):
        assert label.upper() in text.upper()
    assert CTA["heading"] in text and CTA["button"] in text
    hrefs = {a.get("href") for a in root.iter("a")}
    assert CTA["url"] in hrefs and "https://www.skn.example/disclaimer" in hrefs
    assert config.publication.postal_address in text
    assert "is subscribed to Markets digest from SKN Markets" in text
    assert {r.html_tokens["unsubscribe_url"], r.html_tokens["preferences_url"]} <= hrefs
    assert f"{config.publication.base_url}/e/markets-en/2026-01-30" in hrefs
    assert r.html_tokens["name"] in text and r.html_tokens["email"] in text


def test_times_are_local_to_the_segment_timezone(config) -> None:
    r = render_edition(demo_edition("tech-he"), context(config, "tech-he"))
    # The lead was published 04:58 UTC = 06:58 in Jerusalem; 19:00 UTC = 21:00.
    text = visible_text(doc(r).body)
    assert "6:58" in text and "21:00" in text and "שעון ישראל" in text


def test_hebrew_segment_is_right_to_left_and_translated(
    rendered: dict[str, RenderedEmail],
) -> None:
    r = rendered["tech-he"]
    root = doc(r)
    text = visible_text(root.body)
    for phrase in ("דבר העורך", "הכתבה המובילה", "נקודות מרכזיות", "כתבות נוספות", "מידע חשוב"):
        assert phrase in text
    assert "30 בינואר 2026" in text and "תקציר טכנולוגיה" in text
    articles = root.find_class("article")

    def in_article(el) -> bool:
        return any(
            "article" in (node.get("class") or "").split() for node in (el, *el.iterancestors())
        )

    for cls in ("base", "h2", "h3", "muted", "small"):
        for el in root.find_class(cls):
            if in_article(el):
                continue  # an article aligns by its own language (test_direction.py)
            side = "left" if el.get("dir") == "ltr" else "right"
            assert f"text-align:{side}" in el.get("style").replace(" ", ""), cls
    for block in articles:
        side = "left" if block.get("dir") == "ltr" else "right"
        assert f"text-align:{side}" in block.get("style").replace(" ", "")
    ul = root.find(".//ul")  # the English lead story's key points read left to right
    assert ul.get("dir") == "ltr"
    assert "padding-left:22px" in ul.get("style").replace(" ", "")
    # English titles inside the Hebrew email keep their own direction, so they stay readable.
    titles = root.find_class("article-title")
    english = [h for h in titles if h.text_content().startswith("Shanghai")]
    assert english and all(h.get("dir") == "ltr" for h in english)
    hebrew = [h for h in titles if h.text_content().startswith("אנבידיה")]
    assert hebrew and hebrew[0].get("dir") == "rtl"
    address = root.find_class("address")[0]
    assert address.get("dir") == "ltr"


def test_text_part_has_everything(rendered: dict[str, RenderedEmail], config) -> None:
    r = rendered["markets-en"]
    t = plain(r.text)
    flat = " ".join(t.split())
    assert " ".join(config.disclaimers[0].text.split()) in flat
    assert "https://www.skn.example/disclaimer" in t
    assert config.publication.postal_address in flat
    assert r.text_tokens["unsubscribe_url"] in t and r.text_tokens["preferences_url"] in t
    assert "<" not in t.replace(r.text_tokens["email"], "")  # no markup in plain text
    for item in demo_edition("markets-en").items:
        assert item.article.url in t
    assert all(len(line) <= 76 or "http" in line or "%%" in line for line in t.splitlines())


def test_optional_sections_are_left_out(tmp_path) -> None:
    cfg = demo_config(tmp_path)
    cfg = cfg.model_copy(update={"email": cfg.email.model_copy(update={"call_to_action": None})})
    r = render_edition(demo_edition("markets-en", editor_note=None), context(cfg, "markets-en"))
    text = visible_text(doc(r).body)
    assert "Editor's note" not in text and CTA["heading"] not in text


def test_subject_defaults_localised_and_edition_subject_wins(config) -> None:
    ed = demo_edition("markets-en")
    assert default_subject(ed, context(config, "markets-en")) == (
        "Markets digest: Ford Holds Talks With China’s Xiaomi on a Possible…"
    )
    he = default_subject(demo_edition("tech-he"), context(config, "tech-he"))
    assert he.startswith("תקציר טכנולוגיה: Ford Holds Talks")
    r = render_edition(
        demo_edition("markets-en", subject="Friday  briefing"), context(config, "markets-en")
    )
    assert r.subject == "Friday briefing"


def test_segment_subject_template(tmp_path) -> None:
    raw_cfg = demo_config(tmp_path)
    seg = raw_cfg.segment("markets-en").model_copy(update={"subject": "{publication}: {date}"})
    ctx = RenderContext(raw_cfg, seg, "en", "https://digest.skn.example/e/markets-en/2026-01-30")
    assert default_subject(demo_edition("markets-en"), ctx) == "SKN Markets: 30 January 2026"


def test_palette_text_pairs_reach_contrast() -> None:
    for brand in ("#0b3d91", "#ffd400", "#66ccff", "#000000"):
        p = palette(brand)
        for fg, bg in [
            (p.text, p.card),
            (p.muted, p.page),
            (p.muted, p.card),
            (p.link, p.card),
            (p.link, p.page),
            (p.on_brand, p.brand),
            (p.footer_text, p.page),
            (p.text, p.note_bg),
        ]:
            assert contrast(parse_hex(fg), parse_hex(bg)) >= 4.5, (brand, fg, bg)


def test_content_cannot_smuggle_placeholders(config) -> None:
    ed = demo_edition("markets-en")
    lead = ed.items[0]
    from dataclasses import replace

    evil = replace(lead.article, title="Win %%digest-html:email%% now")
    ed = replace(ed, items=(replace(lead, article=evil), *ed.items[1:]))
    r = render_edition(ed, context(config, "markets-en"))
    assert "Win %%digest-html:email%%" not in r.html
