"""SendGrid Event Webhook: real ECDSA P-256 signatures, replay window, dedupe, effects."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from digest.app import App, build
from digest.config import Secrets
from digest.store.db import upgrade
from digest.store.schema import EditionRow, ProviderEventRow
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.store.subscriptions import suppression_for
from digest.web import WebSetupError, create_app
from tests.conftest import TEST_SECRET, FixedClock, make_config

SIG = "X-Twilio-Email-Event-Webhook-Signature"
TS = "X-Twilio-Email-Event-Webhook-Timestamp"


class Signer:
    """Signs webhook bodies the way SendGrid does: ECDSA P-256 over timestamp + payload."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_b64 = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        signature = self.private.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            SIG: base64.b64encode(signature).decode(),
            TS: str(timestamp),
            "Content-Type": "application/json",
        }


@pytest.fixture
def signer() -> Signer:
    return Signer()


def _hook_app(tmp_path: Path, db_url: str, clock: FixedClock, signer: Signer) -> App:
    app = build(
        make_config(tmp_path, db_url),
        Secrets(secret_key=TEST_SECRET, sendgrid_webhook_public_key=signer.public_b64),
        clock=clock,
    )
    upgrade(app.engine)
    now = clock()
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [
                SubscriberInput(email="ann@example.com", segments=("markets-en",)),
                SubscriberInput(email="bob@example.com", segments=("markets-en",)),
                SubscriberInput(email="cat@example.com", segments=("markets-en",)),
            ],
            now,
        )
        conn.execute(
            EditionRow.__table__.insert().values(
                id=41,
                segment="markets-en",
                edition_date=date(2026, 1, 30),
                status="sent",
                window_start=now - timedelta(days=1),
                cutoff_at=now,
                subject="s",
                created_at=now,
                processed_count=0,
                delivered_count=0,
                open_count=0,
                click_count=0,
                bounce_count=0,
            )
        )
    return app


@pytest.fixture
def hook_app(tmp_path: Path, db_url: str, clock: FixedClock, signer: Signer) -> Iterator[App]:
    """The webhook's App on SQLite and PostgreSQL, with subscribers and edition 41."""
    app = _hook_app(tmp_path, db_url, clock, signer)
    yield app
    app.engine.dispose()


@pytest.fixture
def sqlite_hook_app(
    tmp_path: Path, sqlite_url: str, clock: FixedClock, signer: Signer
) -> Iterator[App]:
    """The same on SQLite only, for checks that never reach the database."""
    app = _hook_app(tmp_path, sqlite_url, clock, signer)
    yield app
    app.engine.dispose()


@pytest.fixture
def hook_client(hook_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(hook_app)) as c:
        yield c


@pytest.fixture
def sqlite_hook_client(sqlite_hook_app: App) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_hook_app)) as c:
        yield c


def _event(kind: str, email: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "timestamp": 1769749200,
        "event": kind,
        "sg_event_id": f"evt-{kind}-{n}",
        "sg_message_id": "msg.filter0001",
        "edition_id": "41",
        **extra,
    }


def _post(client: TestClient, signer: Signer, app: App, events: Any, *, skew: int = 0) -> Any:
    body = json.dumps(events).encode()
    ts = int(app.clock().timestamp()) + skew
    return client.post("/webhooks/sendgrid", content=body, headers=signer.headers(body, ts))


def _counters(app: App) -> tuple[int, int, int, int, int]:
    with app.engine.connect() as conn:
        row = conn.execute(select(EditionRow).where(EditionRow.id == 41)).one()
    return (
        row.processed_count,
        row.delivered_count,
        row.open_count,
        row.click_count,
        row.bounce_count,
    )


def _status(app: App, email: str) -> str:
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, email)
    assert sub is not None
    return sub.status


def test_signed_events_update_counters_and_suppress(
    hook_client: TestClient, hook_app: App, signer: Signer
) -> None:
    events = [
        _event("processed", "ann@example.com", 1),
        _event("delivered", "ann@example.com", 2),
        _event("open", "ann@example.com", 3),
        _event("click", "ann@example.com", 4, url="https://www.skn.example/a"),
        _event(
            "bounce", "bob@example.com", 5, type="bounce", status="5.1.1", reason="550 no such user"
        ),
        _event("spamreport", "cat@example.com", 6),
        _event("group_unsubscribe", "ann@example.com", 7, asm_group_id=1),
        _event("dropped", "stranger@example.com", 8, reason="Bounced Address"),
    ]
    r = _post(hook_client, signer, hook_app, events)
    assert r.status_code == 200
    assert r.json() == {"received": 8, "applied": 8, "duplicates": 0, "ignored": 0}
    assert _counters(hook_app) == (1, 1, 1, 1, 1)
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
    events = [_event("open", "ann@example.com", 1), _event("open", "ann@example.com", 2)]
    assert _post(hook_client, signer, hook_app, events).json()["applied"] == 2
    again = _post(hook_client, signer, hook_app, events)
    assert again.json() == {"received": 2, "applied": 0, "duplicates": 2, "ignored": 0}
    assert _counters(hook_app)[2] == 2
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
    events = [_event("bounce", "ann@example.com", 1), _event("open", "ann@example.com", 2)]
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
    assert _counters(hook_app) == (0, 0, 0, 0, 0)
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
        _event("open", "ann@example.com", 1, edition_id="not-a-number"),
    ]
    r = _post(hook_client, signer, hook_app, events)
    assert r.json() == {"received": 3, "applied": 1, "duplicates": 0, "ignored": 2}
    assert _counters(hook_app) == (0, 0, 0, 0, 0)


def test_events_without_event_id_are_deduplicated_by_content(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer
) -> None:
    hook_client, hook_app = sqlite_hook_client, sqlite_hook_app
    event = _event("delivered", "ann@example.com", 1)
    del event["sg_event_id"]
    _post(hook_client, signer, hook_app, [event])
    assert _post(hook_client, signer, hook_app, [event]).json()["duplicates"] == 1
    assert _counters(hook_app)[1] == 1


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
