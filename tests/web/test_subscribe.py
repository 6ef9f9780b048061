"""Subscribe with double opt-in: the form, the POST endpoint, consent evidence, rate limits."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from digest.app import App
from digest.send.transports.base import TransportError
from digest.store.schema import ConsentRow, SubscriberRow
from digest.store.subscribers import subscriber_by_email
from digest.store.subscriptions import add_suppression
from tests.web.conftest import link_path, subscribe_and_confirm, subscribe_form
from tests.web.fakes import RecordingTransport


def test_form_is_accessible_in_english_and_hebrew(client: TestClient) -> None:
    r = client.get("/subscribe")
    assert r.status_code == 200
    assert '<html lang="en" dir="ltr">' in r.text
    assert '<label for="f-email">Email address</label>' in r.text
    assert 'name="segments" value="markets-en"' in r.text
    assert "12 Harbour Street" in r.text  # postal address on every page
    assert r.headers["referrer-policy"] == "no-referrer"
    he = client.get("/subscribe?lang=he")
    assert '<html lang="he" dir="rtl">' in he.text
    assert "כתובת דוא״ל" in he.text
    by_header = client.get("/", headers={"Accept-Language": "he-IL,he;q=0.9,en;q=0.5"})
    assert 'dir="rtl"' in by_header.text


def test_subscribe_creates_pending_subscriber_with_consent_and_sends_confirmation(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    r = client.post(
        "/subscribe",
        data=subscribe_form(" Dana@Example.COM ", segments=["markets-en", "tech-he"]),
        headers={"User-Agent": "pytest-browser"},
    )
    assert r.status_code == 200
    assert "Check your inbox" in r.text
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "dana@example.com")
        consent = conn.execute(select(ConsentRow)).one()
    assert sub is not None and sub.status == "pending" and sub.segments == ()
    assert consent.action == "subscribe"
    assert consent.source == "web-form"
    assert consent.ip == "testclient"
    assert consent.user_agent == "pytest-browser"
    assert consent.wording_version == web_app.config.web.consent_version
    assert consent.detail["segments"] == ["markets-en", "tech-he"]
    [mail] = transport.to("dana@example.com")
    assert mail.subject == "Confirm your subscription to SKN Markets"
    assert "12 Harbour Street" in mail.html and "12 Harbour Street" in mail.text
    assert link_path(mail.text, "c") == link_path(mail.html, "c")


def test_confirmation_email_is_localised(client: TestClient, transport: RecordingTransport) -> None:
    client.post(
        "/subscribe", data=subscribe_form("noa@example.com", locale="he", segments=["tech-he"])
    )
    [mail] = transport.to("noa@example.com")
    assert mail.message.rendered.locale == "he"
    assert 'dir="rtl"' in mail.html
    assert "אישור המינוי" in mail.subject


def test_responses_never_reveal_whether_an_address_is_known(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "known@example.com")
    with web_app.engine.begin() as conn:
        add_suppression(conn, "bounced@example.com", "bounce", "test", web_app.clock())
    new = client.post("/subscribe", data=subscribe_form("new@example.com"))
    known = client.post("/subscribe", data=subscribe_form("known@example.com"))
    bounced = client.post("/subscribe", data=subscribe_form("bounced@example.com"))
    assert new.status_code == known.status_code == bounced.status_code == 200
    assert new.text == known.text == bounced.text
    assert transport.to("bounced@example.com") == []  # a bounced address gets nothing


def test_resubscribing_an_active_address_does_not_change_it_until_confirmed(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    subscribe_and_confirm(client, transport, "active@example.com")
    client.post("/subscribe", data=subscribe_form("active@example.com", segments=["tech-he"]))
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "active@example.com")
    assert sub is not None and sub.status == "active" and sub.segments == ("markets-en",)
    r = client.post(link_path(transport.to("active@example.com")[-1].text, "c"))
    assert r.status_code == 200
    with web_app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "active@example.com")
    assert sub is not None and sub.segments == ("markets-en", "tech-he")


def test_invalid_submissions_are_explained_and_store_nothing(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    r = client.post(
        "/subscribe",
        data={
            "email": "not-an-address",
            "segments": ["nope"],
            "timezone": "Mars/Base",
            "locale": "fr",
        },
    )
    assert r.status_code == 422
    assert "Enter a valid email address." in r.text
    assert "Unknown digest: nope." in r.text
    assert "Choose a time zone from the list" in r.text
    assert "Choose one of the offered languages." in r.text
    assert "Tick the box to agree" in r.text
    assert 'value="not-an-address"' in r.text  # the form keeps what was typed
    with web_app.engine.connect() as conn:
        assert conn.execute(select(SubscriberRow)).first() is None
    assert transport.sent == []


def test_json_endpoint(client: TestClient, transport: RecordingTransport) -> None:
    r = client.post(
        "/subscribe",
        json={**subscribe_form("api@example.com"), "segments": ["markets-en"], "consent": True},
    )
    assert r.status_code == 202
    assert r.json()["status"] == "check_inbox"
    assert len(transport.to("api@example.com")) == 1
    bad = client.post("/subscribe", json={"email": "x"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) >= {"email", "segments", "consent"}
    assert client.post("/subscribe", json=[1, 2]).status_code == 400


def test_rate_limit_per_client_ip(client: TestClient, web_app: App) -> None:
    limit = web_app.config.web.subscribe_rate_per_minute
    for i in range(limit):
        r = client.post("/subscribe", data=subscribe_form(f"r{i}@example.com"))
        assert r.status_code == 200
    r = client.post("/subscribe", data=subscribe_form("over@example.com"))
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    with web_app.engine.connect() as conn:
        assert subscriber_by_email(conn, "over@example.com") is None
    web_app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    assert client.post("/subscribe", data=subscribe_form("later@example.com")).status_code == 200


def test_confirmation_emails_to_one_address_are_capped(
    client: TestClient, transport: RecordingTransport
) -> None:
    for _ in range(5):
        r = client.post("/subscribe", data=subscribe_form("victim@example.com"))
        assert r.status_code == 200
    assert len(transport.to("victim@example.com")) == 3


def test_honeypot_submissions_are_dropped_silently(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    r = client.post("/subscribe", data=subscribe_form("bot@example.com", website_url="spam"))
    assert r.status_code == 200 and "Check your inbox" in r.text
    assert transport.sent == []
    with web_app.engine.connect() as conn:
        assert subscriber_by_email(conn, "bot@example.com") is None


def test_transport_failure_keeps_nothing_and_says_try_later(
    client: TestClient, web_app: App, transport: RecordingTransport
) -> None:
    transport.fail_with = TransportError("connection refused", retryable=True)
    r = client.post("/subscribe", data=subscribe_form("later@example.com"))
    assert r.status_code == 503
    assert "try again" in r.text
    with web_app.engine.connect() as conn:
        assert subscriber_by_email(conn, "later@example.com") is None
        assert conn.execute(select(ConsentRow)).first() is None
