"""Each piece reads in its own direction, as a reader sees it: in headless Chromium the computed
direction and alignment of every article (both emails, and the view-in-browser page) at 375
and 600 px; in the plain-text part, the direction marks that keep wrapped lines in order."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.config import Config
from digest.editions import build_edition, render_variant
from digest.lifecycle import finish, start
from digest.render import RenderContext, list_id, personalise, render_edition
from digest.store.articles import upsert_articles
from digest.web import create_app
from tests.conftest import FixedClock, make_app, make_config
from tests.factories import NOW, article
from tests.render.conftest import CTA, demo_edition, values
from tests.render.editions import make_edition

LRM, RLM = "\u200e", "\u200f"
WIDTHS = (375, 600)

# Every article block: the direction of its title's text (first strong character), and the
# computed direction and text-align of its title, excerpt and key points.
ARTICLES_JS = """
() => {
  const strong = t => { const m = t.match(/[A-Za-z\\u0590-\\u05FF]/);
                        return m ? (/[A-Za-z]/.test(m[0]) ? 'ltr' : 'rtl') : null; };
  return [...document.querySelectorAll('.article')].map(block => {
    const pieces = [...block.querySelectorAll('.article-title, .article-excerpt, .article-point')];
    return {
      title: block.querySelector('.article-title').textContent.trim().slice(0, 50),
      want: strong(block.querySelector('.article-title').textContent),
      lang: block.getAttribute('lang'),
      pieces: pieces.map(el => ({
        text: el.textContent.trim().slice(0, 30),
        want: strong(el.textContent),
        dir: getComputedStyle(el).direction,
        align: getComputedStyle(el).textAlign,
        blockAlign: getComputedStyle(el.closest('p, h2, h3, li, ul') || el).textAlign,
      })),
    };
  });
}
"""


def _first_strong(text: str) -> str | None:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return make_config(tmp_path_factory.mktemp("direction"), email={"call_to_action": CTA})


def _mixed_email(config: Config, segment: str) -> str:
    """The segment's email with Hebrew and English articles mixed, personalised."""
    seg = config.segment(segment)
    ctx = RenderContext(config, seg, seg.locale, "https://digest.skn.example/e/x/2026-01-30")
    rendered = render_edition(make_edition(segment, hebrew=True, count=8), ctx)
    email = personalise(
        rendered, values(seg.locale), list_id=list_id(config, segment), unsubscribe_mailto=None
    )
    return email.html


def _read(browser, html: str, width: int) -> list[dict]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda route: route.abort())
    try:
        page.set_content(html, wait_until="domcontentloaded")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        return page.evaluate(ARTICLES_JS)
    finally:
        page.close()


def _assert_each_piece_follows_its_text(articles: list[dict], email_dir: str) -> None:
    assert len(articles) >= 5
    wants = {a["want"] for a in articles}
    assert wants == {"ltr", "rtl"}, "the edition mixes both directions"
    for a in articles:
        side = "left" if a["want"] == "ltr" else "right"
        other = "he" if a["want"] == "rtl" else "en"
        if a["want"] != email_dir:
            assert a["lang"] == other, a["title"]  # another language is marked as such
        for piece in a["pieces"]:
            assert piece["dir"] == piece["want"], (a["title"], piece)
            assert piece["blockAlign"] == side, (a["title"], piece)  # aligned with its article


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("segment", ["markets-en", "tech-he"])
def test_articles_align_by_their_own_language_in_the_email(
    browser, config: Config, segment: str, width: int
) -> None:
    html = _mixed_email(config, segment)
    email_dir = "rtl" if segment.endswith("-he") else "ltr"
    assert f'dir="{email_dir}"' in html.split(">", 2)[1]
    _assert_each_piece_follows_its_text(_read(browser, html, width), email_dir)


# ---- the view-in-browser page ----------------------------------------------------------------

TITLES = (
    ("Nvidia’s CEO Signals Deeper Bet on OpenAI", ("Technology",)),
    ("אנבידיה מגבירה את ההימור על OpenAI כשמרוץ ההשקעות מתעצם", ("Technology",)),
    ("Ford and Xiaomi Discuss an EV Partnership", ("Autos",)),
    ("פורד ו-Xiaomi בוחנות שיתוף פעולה ברכב חשמלי", ("Autos",)),
    ("AI software stocks rally in Asia", ("Technology",)),
    ("מניות הטכנולוגיה עולות בתל אביב", ("Technology",)),
    ("יצרנית הרכב החשמלי מרחיבה את הייצור", ("Autos",)),
)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """An App whose tech-he edition of 30 January 2026 was sent, mixing both languages."""
    tmp = tmp_path_factory.mktemp("published")
    clock = FixedClock(NOW)
    app = make_app(make_config(tmp, email={"call_to_action": CTA}), clock)
    with app.engine.begin() as conn:
        upsert_articles(
            conn,
            [
                article(t, categories=c, hours_ago=1 + i / 2, summary=f"{t}. {t}.")
                for i, (t, c) in enumerate(TITLES)
            ],
            NOW,
        )
    edition = build_edition(app, "tech-he", date(2026, 1, 30))
    assert edition.id is not None and len(edition.items) == 6  # max_articles
    with app.engine.begin() as conn:
        start(conn, edition.id, actor="test", now=NOW)
        finish(conn, edition.id, actor="test", now=NOW)
    yield app
    app.engine.dispose()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["he", "en"])
def test_articles_align_by_their_own_language_on_the_view_in_browser_page(
    browser, published: App, lang: str, width: int
) -> None:
    with TestClient(create_app(published)) as client:
        page = client.get(f"/e/tech-he/2026-01-30?lang={lang}")
    assert page.status_code == 200
    email_dir = "rtl" if lang == "he" else "ltr"
    assert f'<html lang="{lang}" dir="{email_dir}"' in page.text
    _assert_each_piece_follows_its_text(_read(browser, page.text, width), email_dir)


def test_view_in_browser_page_says_nothing_personal_and_no_empty_address(
    published: App,
) -> None:
    with TestClient(create_app(published)) as client:
        he = client.get("/e/tech-he/2026-01-30").text
        en = client.get("/e/tech-he/2026-01-30?lang=en").text
        fr = client.get("/e/tech-he/2026-01-30?lang=fr").text
    for page in (he, en):
        assert "is subscribed" not in page and "רשומה" not in page  # no "because  is subscribed"
        assert "Hi there" not in page and "שלום" not in page  # no greeting on a web page
        assert "%%digest" not in page
    assert "This is the web version of" in en
    assert 'lang="he"' in fr.split(">", 2)[1]  # an unknown language falls back to the segment's
    web = render_variant(published, _published_edition(published), "he", web=True)
    assert "/manage" not in web.html  # placeholders until the page fills in neutral links


def _published_edition(app: App):
    from digest.store.editions import edition_for

    with app.engine.connect() as conn:
        edition = edition_for(conn, "tech-he", date(2026, 1, 30))
    assert edition is not None
    return edition


# ---- the plain-text part ---------------------------------------------------------------------


@pytest.mark.parametrize("segment", ["markets-en", "tech-he"])
def test_plain_text_lines_carry_direction_marks(config: Config, segment: str) -> None:
    seg = config.segment(segment)
    ctx = RenderContext(config, seg, seg.locale, "https://digest.skn.example/e/x/2026-01-30")
    edition = make_edition(segment, hebrew=True, count=8)
    text = render_edition(edition, ctx).text
    email_mark = RLM if seg.locale == "he" else LRM
    lines = [ln for ln in text.splitlines() if ln.strip() and ln != "-- "]
    assert all(ln[0] in (LRM, RLM) for ln in lines), [
        ln for ln in lines if ln[0] not in "\u200e\u200f"
    ]
    titles = {" ".join(i.article.title.split()) for i in edition.items}
    seen = 0
    for ln in lines:
        body = ln[1:].lstrip("- ")
        if any(t.startswith(body[:30]) for t in titles if body):
            want = RLM if _first_strong(body) == "rtl" else LRM
            assert ln[0] == want, ln  # a title line starts with its own direction's mark
            seen += 1
    assert seen >= 6
    first_chrome = lines[0]  # the publication's name: the email's own direction
    assert first_chrome[0] == email_mark
    # every wrapped line of a Hebrew paragraph keeps the right-to-left mark
    if seg.locale == "he":
        hebrew_lines = [ln for ln in lines if _first_strong(ln[1:]) == "rtl"]
        assert hebrew_lines and all(ln[0] == RLM for ln in hebrew_lines)


def test_demo_edition_text_part_still_passes_the_gate(config: Config) -> None:
    rendered = render_edition(
        demo_edition("tech-he"),
        RenderContext(
            config, config.segment("tech-he"), "he", "https://digest.skn.example/e/x/2026-01-30"
        ),
    )
    assert RLM in rendered.text
