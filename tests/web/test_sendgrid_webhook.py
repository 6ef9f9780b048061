"""SendGrid Event Webhook: real ECDSA P-256 signatures, replay window, dedupe, effects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from digest.app import App, build
from digest.config import Secrets
from digest.store.db import upgrade
from digest.store.schema import ProviderEventRow
from digest.store.subscribers import subscriber_by_email
from digest.store.subscriptions import suppression_for
from digest.web import WebSetupError, create_app
from tests.conftest import TEST_SECRET, FixedClock, make_config
from tests.web.webhook_helpers import SIG, TS, Signer, counters, event, post


def _status(app: App, email: str) -> str:
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, email)
    assert sub is not None
    return sub.status


def test_signed_events_update_counters_and_suppress(
    hook_client: TestClient, hook_app: App, signer: Signer
) -> None:
    events = [
        event("processed", "ann@example.com", 1),
        event("delivered", "ann@example.com", 2),
        event("open", "ann@example.com", 3),
        event("click", "ann@example.com", 4, url="https://www.skn.example/a"),
        event(
            "bounce", "bob@example.com", 5, type="bounce", status="5.1.1", reason="550 no such user"
        ),
        event("spamreport", "cat@example.com", 6),
        event("group_unsubscribe", "ann@example.com", 7, asm_group_id=1),
        event("dropped", "stranger@example.com", 8, reason="Bounced Address"),
    ]
    r = post(hook_client, signer, hook_app, events)
    assert r.status_code == 200
    assert r.json() == {"received": 8, "applied": 8, "duplicates": 0, "ignored": 0}
    assert counters(hook_app) == (1, 1, 1, 1, 1)
    assert _status(hook_app, "bob@example.com") == "bounced"
    assert _status(hook_app, "cat@example.com") == "complained"
    assert _status(hook_app, "ann@example.com") == "unsubscribed"
    with hook_app.engine.connect() as conn:
        bob = suppression_for(conn, "bob@example.com")
        cat = suppression_for(conn, "cat@example.com")
        stranger = suppression_for(conn, "stranger@example.com")
    assert bob is not None and bob.reason == "bounce" and "550 no such user" in (bob.detail or "")
    assert cat is not None and cat.reason == "spamreport" and cat.source == "sendgrid"
    assert stranger is not None and stranger.reason == "dropped"


def test_replayed_events_are_applied_once(
    hook_client: TestClient, hook_app: App, signer: Signer
) -> None:
    events = [event("open", "ann@example.com", 1), event("open", "ann@example.com", 2)]
    assert post(hook_client, signer, hook_app, events).json()["applied"] == 2
    again = post(hook_client, signer, hook_app, events)
    assert again.json() == {"received": 2, "applied": 0, "duplicates": 2, "ignored": 0}
    assert counters(hook_app)[2] == 2
    with hook_app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ProviderEventRow)).scalar() == 2


@pytest.mark.parametrize(
    "tamper",
    ["unsigned", "forged-key", "altered-body", "bad-base64", "stale", "future", "no-timestamp"],
)
def test_unsigned_forged_or_stale_posts_change_nothing(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer, tamper: str
) -> None:
    hook_client, hook_app = sqlite_hook_client, sqlite_hook_app
    events = [event("bounce", "ann@example.com", 1), event("open", "ann@example.com", 2)]
    body = json.dumps(events).encode()
    now = int(hook_app.clock().timestamp())
    headers = signer.headers(body, now)
    if tamper == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif tamper == "forged-key":
        headers = Signer().headers(body, now)
    elif tamper == "altered-body":
        body = body.replace(b"ann@", b"bob@")
    elif tamper == "bad-base64":
        headers[SIG] = "%%%not-base64%%%"
    elif tamper == "stale":
        headers = signer.headers(body, now - 3600)
    elif tamper == "future":
        headers = signer.headers(body, now + 3600)
    elif tamper == "no-timestamp":
        del headers[TS]
    r = hook_client.post("/webhooks/sendgrid", content=body, headers=headers)
    assert r.status_code in (401, 403)
    assert "error" in r.json()
    assert _status(hook_app, "ann@example.com") == "active"
    assert counters(hook_app) == (0, 0, 0, 0, 0)
    with hook_app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ProviderEventRow)).scalar() == 0


def test_malformed_bodies_and_events(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer
) -> None:
    hook_client, hook_app = sqlite_hook_client, sqlite_hook_app
    body = b'{"not": "a list"}'
    r = hook_client.post(
        "/webhooks/sendgrid",
        content=body,
        headers=signer.headers(body, int(hook_app.clock().timestamp())),
    )
    assert r.status_code == 400
    events = [
        "junk",
        {"email": "ann@example.com"},
        # an edition id we never set: the event is not ours to count, so it is skipped
        event("open", "ann@example.com", 1, edition_id="not-a-number"),
        event("open", "not an address", 2),
        event("delivered", "ann@example.com", 3),
    ]
    r = post(hook_client, signer, hook_app, events)
    assert r.json() == {"received": 5, "applied": 1, "duplicates": 0, "ignored": 4}
    assert counters(hook_app) == (0, 1, 0, 0, 0)


def test_events_without_event_id_are_deduplicated_by_content(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer
) -> None:
    hook_client, hook_app = sqlite_hook_client, sqlite_hook_app
    anonymous = event("delivered", "ann@example.com", 1)
    del anonymous["sg_event_id"]
    post(hook_client, signer, hook_app, [anonymous])
    assert post(hook_client, signer, hook_app, [anonymous]).json()["duplicates"] == 1
    assert counters(hook_app)[1] == 1


def test_webhook_without_configured_key_refuses(tmp_path: Path, clock: FixedClock) -> None:
    app = build(make_config(tmp_path), Secrets(secret_key=TEST_SECRET), clock=clock)
    upgrade(app.engine)
    with TestClient(create_app(app)) as c:
        r = c.post("/webhooks/sendgrid", content=b"[]")
    assert r.status_code == 503 and "not configured" in r.json()["error"]
    app.engine.dispose()


def test_unusable_public_key_stops_start_up_with_a_clear_message(
    tmp_path: Path, clock: FixedClock
) -> None:
    app = build(
        make_config(tmp_path),
        Secrets(secret_key=TEST_SECRET, sendgrid_webhook_public_key="bm90IGEga2V5"),
        clock=clock,
    )
    with pytest.raises(WebSetupError, match="SENDGRID_WEBHOOK_PUBLIC_KEY"):
        create_app(app)
    app.engine.dispose()
