"""The public pages read as a Hebrew reader reads them: no English words but proper names,
topic names and digest titles in Hebrew on every form, the service emails in Hebrew."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.store.subscribers import subscriber_by_email
from tests.web.conftest import link_path, path_of, subscribe_form
from tests.web.fakes import RecordingTransport

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*")


def visible_text(html: str, *, page_lang_only: bool = False) -> str:
    """What a sighted reader sees: no head, scripts, hidden blocks or the honeypot; with
    ``page_lang_only``, also without pieces marked as another language (``lang="en"`` on
    'English' in the language menu)."""
    root = lxml.html.document_fromstring(html)
    page_lang = root.get("lang")
    for el in list(root.iter()):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        if el.tag in ("head", "script", "style") or el.get("hidden") is not None:
            el.drop_tree()
        elif el.get("aria-hidden") == "true":
            el.drop_tree()
        elif page_lang_only and el.get("lang") not in (None, page_lang):
            el.drop_tree()
    return " ".join(root.text_content().split())


def proper_names(app: App) -> set[str]:
    """The Latin words a Hebrew page may show: the publication's name and postal address."""
    pub = app.config.publication
    return set(LATIN_WORD.findall(f"{pub.name} {pub.postal_address}"))


def english_words(html: str, app: App) -> list[str]:
    text = visible_text(html, page_lang_only=True)
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)  # web and email addresses are names too
    return [w for w in LATIN_WORD.findall(text) if w.strip(".'’-") not in proper_names(app)]


def _subscriber_id(app: App, email: str) -> int:
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, email)
    assert sub is not None
    return sub.id


def test_every_public_page_in_hebrew_shows_no_english_words(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    form = subscribe_form("noa@example.com", locale="he", segments=["tech-he", "markets-en"])
    posted = client.post("/subscribe?lang=he", data=form)
    [mail] = transport.to("noa@example.com")
    confirm = link_path(mail.text, "c")
    pages = {
        "subscribe": client.get("/subscribe?lang=he"),
        "check inbox": posted,
        "invalid form": client.post("/subscribe?lang=he", data={"email": "x", "timezone": "No"}),
        "confirm": client.get(confirm),
        "confirmed": client.post(confirm),
        "manage": client.get("/manage?lang=he"),
        "bad link": client.get("/p/not-a-token?lang=he"),
        "not found": client.get("/nowhere?lang=he"),
    }
    sub_id = _subscriber_id(web_app, "noa@example.com")
    pages["preferences"] = client.get(path_of(web_app.links.preferences_url(sub_id)))
    pages["unsubscribe"] = client.get(path_of(web_app.links.unsubscribe_url(sub_id, "tech-he")))
    for name, response in pages.items():
        assert '<html lang="he" dir="rtl">' in response.text, name
        assert english_words(response.text, web_app) == [], name
    assert english_words(mail.html, web_app) == []
    assert "אישור המינוי" in mail.subject
    assert mail.message.rendered.headers["Content-Language"] == "he"
    client.post("/manage?lang=he", data={"email": "noa@example.com"})
    manage = transport.to("noa@example.com")[-1]
    assert manage.message.rendered.headers["Content-Language"] == "he"


def test_topic_names_and_digest_titles_are_localised_on_every_form(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    he = client.get("/subscribe?lang=he").text
    for word in ("שווקים", "טכנולוגיה", "רכב", "תקציר שווקים", "תקציר טכנולוגיה"):
        assert word in visible_text(he), word
    en = visible_text(client.get("/subscribe?lang=en").text)
    for word in ("Markets", "Tech", "Autos", "Markets digest", "Tech digest"):
        assert word in en, word
    client.post("/subscribe", data=subscribe_form("dan@example.com", locale="he"))
    confirm = link_path(transport.to("dan@example.com")[-1].text, "c")
    client.post(confirm)
    prefs = client.get(
        path_of(web_app.links.preferences_url(_subscriber_id(web_app, "dan@example.com")))
    )
    assert "תקציר שווקים" in visible_text(prefs.text) and "רכב" in visible_text(prefs.text)


def test_time_zone_picker_lists_places_in_the_page_language(client: TestClient) -> None:
    he = lxml.html.document_fromstring(client.get("/subscribe?lang=he").text)
    [select] = he.xpath("//select[@name='timezone']")
    labels = {o.get("value"): o.text_content() for o in select.iter("option")}
    assert len(labels) > 300
    assert labels["Asia/Jerusalem"] == "ישראל — ירושלים"
    assert labels["America/New_York"] == "ארצות הברית — ניו יורק"
    assert select.get("data-from-browser") == "1"  # a fresh form takes the browser's zone
    [label] = he.xpath("//label[@for='f-timezone']")
    assert label.text_content() == "אזור זמן"
    en = lxml.html.document_fromstring(client.get("/subscribe?lang=en").text)
    [select] = en.xpath("//select[@name='timezone']")
    assert {o.get("value"): o.text_content() for o in select.iter("option")}[
        "Europe/London"
    ] == "United Kingdom — London"


@pytest.mark.parametrize("zone", ["Nowhere/City", "../etc/passwd", ""])
def test_the_server_still_checks_the_zone(client: TestClient, zone: str) -> None:
    r = client.post("/subscribe", data=subscribe_form("z@example.com", timezone=zone or " "))
    if zone:
        assert r.status_code == 422 and "Choose a time zone from the list" in r.text
    else:
        assert r.status_code == 200  # an empty zone means UTC


def test_an_alias_zone_stays_valid_and_selected(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    client.post("/subscribe", data=subscribe_form("k@example.com", timezone="Asia/Calcutta"))
    client.post(link_path(transport.to("k@example.com")[-1].text, "c"))
    prefs = client.get(
        path_of(web_app.links.preferences_url(_subscriber_id(web_app, "k@example.com")))
    )
    root = lxml.html.document_fromstring(prefs.text)
    [chosen] = root.xpath("//select[@name='timezone']/option[@selected]")
    assert chosen.get("value") == "Asia/Calcutta"


def test_every_form_problem_has_words_in_the_catalog() -> None:
    from digest.web.routes.common import ERROR_TEXTS

    web = Path(__file__).resolve().parents[2] / "src" / "digest" / "web"
    codes = {
        code
        for path in web.rglob("*.py")
        for code in re.findall(r"\"(err_[a-z_]+)", path.read_text(encoding="utf-8"))
    }
    assert codes and codes <= set(ERROR_TEXTS), sorted(codes - set(ERROR_TEXTS))
