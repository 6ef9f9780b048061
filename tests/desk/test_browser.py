"""The desk in headless Chromium: an editor signs in, pins, excludes, writes the subject and a
note, approves and sends a test; the pages work at 375 px, by keyboard and in Hebrew.

Screenshots go to test-artifacts/desk/ (git-ignored); with DIGEST_DESK_SCREENSHOTS=docs/img
the README's screenshots are written there too.
"""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.app import App
from digest.editorial import edition_view
from digest.lifecycle import EditionState
from digest.staff import Role, add_user
from tests.conftest import FixedClock, make_app, make_config
from tests.desk.conftest import EDITOR, PASSWORD
from tests.desk.editorial_helpers import DAY, SEGMENT, seed, titles
from tests.web.test_loop import LiveServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desk"
PAGE = f"/desk/editions/{SEGMENT}/{DAY}"
# form controls and frames a screen reader could not name
UNLABELLED_JS = """
() => [...document.querySelectorAll(
    'input:not([type=hidden]), textarea, select, button, iframe')].filter(el =>
  !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
  && !el.getAttribute('title') && !(el.tagName === 'BUTTON' && el.textContent.trim())
).map(el => el.outerHTML.slice(0, 80))
"""


@pytest.fixture
def live(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[App, LiveServer]]:
    """The desk on 127.0.0.1 with the outbox transport, an editor and the day's stories."""
    app = make_app(make_config(tmp_path), clock)
    seed(app)
    add_user(app, EDITOR, Role.EDITOR, PASSWORD, actor="test")
    with LiveServer(app) as server:
        yield app, server
    app.engine.dispose()


def _page(browser: object, server: LiveServer, width: int, lang: str = "en") -> object:
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=lang)  # type: ignore[attr-defined]
    # only our own server: no test reaches the internet (article images, links)
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(server.url) else r.abort()
    )
    page.goto(f"{server.url}/desk/login?lang={lang}")
    page.fill("#f-email", EDITOR)
    page.fill("#f-password", PASSWORD)
    page.press("#f-password", "Enter")
    page.wait_for_url(f"{server.url}/desk/")
    return page


def _shot(page: object, name: str, *, readme: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    docs = os.environ.get("DIGEST_DESK_SCREENSHOTS")
    if docs and readme:
        Path(docs).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(docs) / f"desk-{name}.png"), full_page=False)  # type: ignore[attr-defined]


def _story_id(app: App, title: str) -> int:
    view = edition_view(app, SEGMENT, DAY)
    for placed in view.placed:
        if placed.item.article.title == title:
            return placed.item.article.id or 0
    for scored, _ in view.left_out:
        if scored.article.title == title:
            return scored.article.id or 0
    raise AssertionError(title)


def test_an_editor_adjusts_approves_and_tests_an_edition(
    browser: object, live: tuple[App, LiveServer]
) -> None:
    app, server = live
    page = _page(browser, server, 1280)
    _shot(page, "home")
    page.click(f"a[href='{PAGE}']")
    page.wait_for_url(f"**{PAGE}")
    frame = page.frame_locator("iframe")
    frame.get_by_role("heading", name="DAX closes at a record").wait_for()
    oil = _story_id(app, "Oil index falls as supply grows")
    page.get_by_role("button", name="Pin “Oil index falls as supply grows”", exact=True).click()
    page.wait_for_selector("#notice")
    page.fill(f"#pos-{oil}", "1")
    page.get_by_role("button", name="Pin “Oil index falls as supply grows”", exact=True).click()
    page.wait_for_selector("#notice")
    page.get_by_role("button", name="Exclude “DAX closes at a record”", exact=True).click()
    page.wait_for_selector("text=Excluded. The next best article takes its place.")
    page.fill("#f-subject", "Oil leads the markets")
    page.get_by_role("button", name="Save the subject").click()
    page.wait_for_selector("text=Subject saved.")
    page.fill("#f-note", "Good morning from the markets desk.")
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_selector("text=Note saved.")
    assert page.inner_text("#subject") == "Oil leads the markets"
    frame.locator("text=Good morning from the markets desk.").wait_for()
    _shot(page, "draft")
    page.get_by_role("button", name="Approve this edition").click()
    page.wait_for_selector("text=Approved: this exact content will be sent.")
    assert page.inner_text("#state") == "approved"
    page.fill("#f-to", "colleague@skn.example")
    page.get_by_role("button", name="Send a test").click()
    page.wait_for_selector("text=Test sent. Check the inbox.")
    view = edition_view(app, SEGMENT, DAY)
    assert view.status is EditionState.APPROVED
    assert titles(view)[0] == "Oil index falls as supply grows"
    assert "DAX closes at a record" not in titles(view)
    sent = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in Path(app.config.transport.outbox.path).rglob("*.eml")
    ]
    assert sorted(str(m["To"]) for m in sent) == ["colleague@skn.example", EDITOR]
    assert {m["Subject"] for m in sent} == {"[TEST] Oil leads the markets"}
    page.close()


def test_the_desk_works_at_375_px_by_keyboard_and_in_hebrew(
    browser: object, live: tuple[App, LiveServer]
) -> None:
    _, server = live
    for lang in ("en", "he"):
        page = _page(browser, server, 375, lang)
        page.goto(f"{server.url}{PAGE}?width=375")
        page.frame_locator("iframe").get_by_role(
            "heading", name="DAX closes at a record"
        ).wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.get_attribute("html", "dir") == ("rtl" if lang == "he" else "ltr")
        _shot(page, f"draft-375-{lang}", readme=lang == "he")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        for _ in range(40):  # every control is reachable and shows where focus is
            page.keyboard.press("Tab")
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            tag = page.evaluate("document.activeElement.tagName")
            if tag in ("A", "BUTTON", "INPUT", "TEXTAREA", "SELECT"):
                assert outline != "none", tag
        unlabelled = page.evaluate(UNLABELLED_JS)
        assert unlabelled == []
        page.close()
