"""Every demo segment in headless Chromium at 375 and 600 px: no overflow, legible, RTL right.

Screenshots are kept under test-artifacts/render/ (git-ignored) for a human look.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from digest.render import list_id, personalise
from digest.render.colors import contrast
from tests.render.conftest import DEMO_SEGMENTS, context, demo_edition, values

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "render"
WIDTHS = (375, 600)

# Every element that shows text: its colour and the first opaque background behind it.
COLOUR_PAIRS_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let bg = null, node = el;
    while (node && node.nodeType === 1) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
      node = node.parentElement;
    }
    out.push({text: el.textContent.trim().slice(0, 40),
              fg: rgb(getComputedStyle(el).color).slice(0, 3), bg: bg || [255, 255, 255]});
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def pages(config) -> dict[str, tuple[str, str]]:
    """Personalised HTML and subject of each demo segment, plus a 60-article edition."""
    out = {}
    for seg in DEMO_SEGMENTS:
        from digest.render import render_edition

        r = render_edition(demo_edition(seg), context(config, seg))
        p = personalise(r, values(r.locale), list_id=list_id(config, seg), unsubscribe_mailto=None)
        out[seg] = (p.html, r.subject)
    r60 = render_edition(demo_edition("markets-en", count=60), context(config, "markets-en"))
    p60 = personalise(r60, values("en"), list_id="x.example", unsubscribe_mailto=None)
    out["markets-en-60"] = (p60.html, r60.subject)
    return out


def _open(browser, html: str, width: int, dark: bool = False):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda route: route.abort())  # no network at all: images fall back to alt
    if dark:
        page.emulate_media(color_scheme="dark")
    page.set_content(html, wait_until="domcontentloaded")
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [*DEMO_SEGMENTS, "markets-en-60"])
def test_no_horizontal_overflow_and_screenshot(browser, pages, name: str, width: int) -> None:
    html, subject = pages[name]
    page = _open(browser, html, width)
    try:
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} overflows at {width}px ({scroll}px wide)"
        box = page.locator(".container").bounding_box()
        assert box is not None and box["width"] <= 600 and box["x"] >= 0
        assert page.title() == subject
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        page.close()


@pytest.mark.parametrize("name", DEMO_SEGMENTS)
def test_layout_does_not_need_the_style_block(browser, pages, name: str) -> None:
    html = re.sub(r"<style\b[^>]*>.*?</style>", "", pages[name][0], flags=re.S)
    assert "<style" not in html.split("<!--[if mso]>")[0] or "@media" not in html
    for width in (375, 900):
        page = _open(browser, html, width)
        try:
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            box = page.locator(".container").bounding_box()
            assert box is not None and box["width"] <= 600
            if width == 900:
                assert box["width"] == 600 and abs(box["x"] - (900 - 600) / 2) <= 1  # centred
        finally:
            page.close()


def _pairs(browser, html: str, dark: bool) -> list[dict]:
    page = _open(browser, html, 600, dark=dark)
    try:
        return page.evaluate(COLOUR_PAIRS_JS)
    finally:
        page.close()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("name", DEMO_SEGMENTS)
def test_text_contrast_at_least_4_5(browser, pages, name: str, dark: bool) -> None:
    pairs = _pairs(browser, pages[name][0], dark)
    assert len(pairs) > 40
    low = [
        (p["text"], p["fg"], p["bg"])
        for p in pairs
        if contrast(tuple(p["fg"]), tuple(p["bg"])) < 4.5
    ]
    assert not low, f"low contrast: {low[:5]}"


@pytest.mark.parametrize("name", DEMO_SEGMENTS)
def test_colours_survive_forced_inversion(browser, pages, name: str) -> None:
    """Clients that force dark mode invert colours; every pair must stay legible inverted."""
    for p in _pairs(browser, pages[name][0], dark=False):
        fg = tuple(255 - c for c in p["fg"])
        bg = tuple(255 - c for c in p["bg"])
        assert contrast(fg, bg) >= 4.5, p["text"]


def test_hebrew_renders_right_to_left(browser, pages) -> None:
    page = _open(browser, pages["tech-he"][0], 600)
    try:
        checks = page.evaluate(
            """() => {
              const wrap = document.querySelector('div[role=article]');
              const ul = document.querySelector('ul');
              const li = ul.querySelector('li');
              const heads = [...document.querySelectorAll('h2, h3')].map(h => {
                const range = document.createRange(); range.selectNodeContents(h);
                const rects = [...range.getClientRects()];
                const box = h.getBoundingClientRect();
                const block = h.closest('.article') || h;  // an article aligns as one
                return {text: h.textContent.trim().slice(0, 30),
                        dir: getComputedStyle(block).direction,
                        right: box.right, left: box.left,
                        textRight: Math.max(...rects.map(r => r.right)),
                        textLeft: Math.min(...rects.map(r => r.left))};
              });
              const lead = document.querySelector('.article .article-title');
              return {dir: getComputedStyle(wrap).direction, html: document.documentElement.dir,
                      ul: getComputedStyle(ul).direction, liAlign: getComputedStyle(li).textAlign,
                      leadDir: getComputedStyle(lead).direction,
                      ulPadStart: getComputedStyle(ul).direction === 'rtl'
                        ? getComputedStyle(ul).paddingRight : getComputedStyle(ul).paddingLeft,
                      heads};
            }"""
        )
        assert checks["dir"] == "rtl" and checks["html"] == "rtl"
        # the key points follow their article (the English lead story reads left to right)
        assert checks["ul"] == checks["leadDir"] == "ltr"
        assert checks["liAlign"] == "left" and checks["ulPadStart"] == "22px"
        for head in checks["heads"]:  # every heading hugs the start edge of its article
            if head["dir"] == "rtl":
                assert abs(head["right"] - head["textRight"]) <= 2, head
            else:
                assert abs(head["left"] - head["textLeft"]) <= 2, head
        assert {h["dir"] for h in checks["heads"]} == {"ltr", "rtl"}
    finally:
        page.close()


def teardown_module() -> None:
    if ARTIFACTS.exists() and not any(ARTIFACTS.iterdir()):
        shutil.rmtree(ARTIFACTS)
