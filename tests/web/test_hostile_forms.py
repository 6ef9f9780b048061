"""The public forms against hostile input and timing probes; limits that hold across workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from digest.app import App
from digest.send.transports.base import BatchOutcome, BatchRecipient, OutgoingMessage
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.web import create_app
from tests.conftest import FixedClock, make_app, make_config
from tests.web.conftest import subscribe_form
from tests.web.fakes import RecordingTransport
from tests.web.live_server import LiveServer


@pytest.mark.parametrize(
    "name", ["Dana\u202eevil", "Dana\nBcc: x@evil.example", "Da\x00na", "\x1b[31mDana", "a\u2066b"]
)
def test_names_with_control_or_bidi_characters_are_refused_with_the_right_message(
    client: TestClient, web_app: App, transport: RecordingTransport, name: str
) -> None:
    r = client.post("/subscribe", data=subscribe_form("n@example.com", name=name))
    assert r.status_code == 422
    assert "cannot be used in a name" in r.text
    assert "too long" not in r.text
    he = client.post("/subscribe?lang=he", data=subscribe_form("n@example.com", name=name))
    assert he.status_code == 422 and "השם מכיל תו" in he.text
    api = client.post(
        "/subscribe", json={**subscribe_form("n@example.com", name=name), "consent": True}
    )
    assert api.status_code == 422 and "cannot be used in a name" in api.json()["errors"]["name"]
    assert transport.sent == []
    with web_app.engine.connect() as conn:
        assert subscriber_by_email(conn, "n@example.com") is None


def test_a_long_name_is_still_too_long_and_hebrew_marks_are_fine(
    client: TestClient, transport: RecordingTransport
) -> None:
    r = client.post("/subscribe", data=subscribe_form("l@example.com", name="x" * 201))
    assert r.status_code == 422 and "too long" in r.text
    ok = client.post("/subscribe", data=subscribe_form("h@example.com", name="\u200fדנה כהן"))
    assert ok.status_code == 200
    assert transport.to("h@example.com")[0].recipient.recipient.name == "\u200fדנה כהן"


class GatedTransport(RecordingTransport):
    """Holds every send until ``gate`` is set (a slow provider)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome:
        self.entered.set()
        assert self.gate.wait(30)
        return super().send_batch(message, recipients, batch_key)


def test_manage_answers_before_the_email_is_sent_known_or_not(
    tmp_path: Path, clock: FixedClock
) -> None:
    transport = GatedTransport()
    app = make_app(make_config(tmp_path), clock, transport=transport)
    with app.engine.begin() as conn:
        upsert_subscribers(conn, [SubscriberInput(email="known@example.com")], clock())
    try:
        with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=10) as http:
            known = http.post("/manage", data={"email": "known@example.com"})
            # the answer came while the provider still holds the email
            assert transport.entered.wait(10) and not transport.gate.is_set()
            unknown = http.post("/manage", data={"email": "unknown@example.com"})
            assert known.status_code == unknown.status_code == 200
            assert known.text == unknown.text
            transport.gate.set()
            deadline = time.monotonic() + 10
            while not transport.to("known@example.com") and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(transport.to("known@example.com")) == 1
        assert transport.to("unknown@example.com") == []
    finally:
        transport.gate.set()
        app.engine.dispose()


def test_rate_limits_are_shared_by_every_worker(any_web_app: App) -> None:
    limit = any_web_app.config.web.subscribe_rate_per_minute
    with (
        TestClient(create_app(any_web_app)) as worker_a,
        TestClient(create_app(any_web_app)) as worker_b,
    ):
        for i in range(limit):
            client = worker_a if i % 2 else worker_b
            assert (
                client.post("/subscribe", data=subscribe_form(f"r{i}@example.com")).status_code
                == 200
            )
        assert worker_a.post("/subscribe", data=subscribe_form("x@example.com")).status_code == 429
        assert worker_b.post("/manage", data={"email": "x@example.com"}).status_code == 429
        any_web_app.clock.now = any_web_app.clock() + __import__("datetime").timedelta(minutes=1)  # type: ignore[attr-defined]
        assert worker_b.post("/subscribe", data=subscribe_form("y@example.com")).status_code == 200
