"""The whole loop against a real uvicorn on 127.0.0.1 and the real outbox transport:
subscribe, confirm, receive an edition, one-click unsubscribe, receive nothing more."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message
from pathlib import Path

import httpx
import pytest

from digest.app import App
from digest.editions import build_edition
from digest.sending import send_edition
from digest.store.articles import upsert_articles
from digest.store.subscribers import subscriber_by_email
from tests.conftest import FixedClock, make_app, make_config
from tests.factories import NOW, article
from tests.web.conftest import BASE, subscribe_form
from tests.web.live_server import LiveServer


@pytest.fixture
def live_app(tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """An App using the configured outbox transport (no test transport)."""
    application = make_app(make_config(tmp_path), clock)
    yield application
    application.engine.dispose()


def _outbox(app: App) -> list[Message]:
    root = Path(app.config.transport.outbox.path)
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(root.rglob("*.eml"))
    ]


def _to(app: App, address: str) -> list[Message]:
    return [m for m in _outbox(app) if address in str(m["To"])]


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def _seed(app: App, title: str, when_hours_ago: float, now=NOW) -> None:
    with app.engine.begin() as conn:
        upsert_articles(
            conn, [article(title, categories=("Markets",), hours_ago=when_hours_ago, now=now)], now
        )


def _one_click_url(message: Message) -> str:
    header = str(message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.search(r"<(https://[^>]+/u/[^>]+)>", header)
    assert match, header
    return match.group(1)


def test_subscribe_confirm_receive_one_click_unsubscribe_receive_nothing(
    live_app: App, clock: FixedClock
) -> None:
    address = "loop@example.com"
    with LiveServer(live_app) as live, httpx.Client(base_url=live.url) as http:
        r = http.post("/subscribe", data=subscribe_form(address))
        assert r.status_code == 200
        [confirmation] = _to(live_app, address)
        assert str(confirmation["Subject"]).startswith("Confirm")
        confirm = re.search(re.escape(BASE) + r"(/c/\S+)", _text(confirmation))
        assert confirm
        assert http.post(confirm.group(1)).status_code == 200

        _seed(live_app, "DAX closes at a record", 2)
        day1 = date(2026, 1, 30)
        report = send_edition(live_app, "markets-en", day1, actor="test")
        assert report.edition_status == "sent"
        [edition_copy] = [
            m
            for m in _to(live_app, address)
            if m is not confirmation and not str(m["Subject"]).startswith("Confirm")
        ]
        assert "DAX closes at a record" in str(edition_copy["Subject"]) + _text(edition_copy)

        one_click = _one_click_url(edition_copy).removeprefix(BASE)
        r = http.post(
            one_click,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200 and not r.is_redirect
        with live_app.engine.connect() as conn:
            sub = subscriber_by_email(conn, address)
        assert sub is not None and sub.status == "unsubscribed"

        before = len(_to(live_app, address))
        clock.now = NOW + timedelta(days=1)
        _seed(live_app, "Stocks rally on the DAX again", 2, now=clock.now)
        send_edition(live_app, "markets-en", date(2026, 1, 31), actor="test")
        assert len(_to(live_app, address)) == before  # nothing more


def test_unsubscribe_after_the_edition_was_built_stops_that_copy(
    live_app: App, clock: FixedClock
) -> None:
    from tests.web.conftest import link_path

    stays, leaves = "stays@example.com", "leaves@example.com"
    with LiveServer(live_app) as live, httpx.Client(base_url=live.url) as http:
        for address in (stays, leaves):
            http.post("/subscribe", data=subscribe_form(address))
            [mail] = _to(live_app, address)
            http.post(link_path(_text(mail), "c"))
        _seed(live_app, "DAX opens higher", 2)
        edition = build_edition(live_app, "markets-en", date(2026, 1, 30))
        assert edition.status == "draft"
        assert http.get("/e/markets-en/2026-01-30").status_code == 404  # drafts stay private
        with live_app.engine.connect() as conn:
            sub = subscriber_by_email(conn, leaves)
        assert sub is not None
        url = live_app.links.unsubscribe_url(sub.id, "markets-en").removeprefix(BASE)
        assert http.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        send_edition(live_app, "markets-en", date(2026, 1, 30), actor="test")
        page = http.get("/e/markets-en/2026-01-30")
        assert page.status_code == 200 and "DAX opens higher" in page.text
        assert stays not in page.text and "/manage" in page.text  # neutral, nobody's links
        assert http.get("/e/markets-en/not-a-date").status_code == 404
        assert http.get("/e/nope/2026-01-30").status_code == 404
    assert len(_to(live_app, stays)) == 2  # confirmation + edition
    assert len(_to(live_app, leaves)) == 1  # confirmation only
