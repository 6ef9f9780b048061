"""The Event Webhook under hostile or heavy input: poisoned events, huge or deep bodies,
unsigned floods, concurrent posters, a database that fails."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from digest.app import App
from digest.store.schema import ProviderEventRow
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.store.subscriptions import suppression_for
from digest.web import create_app
from tests.conftest import FixedClock
from tests.web.live_server import LiveServer
from tests.web.webhook_helpers import Signer, counters, event, hook_app_for, post


def _signed(client: TestClient, signer: Signer, app: App, body: bytes) -> Any:
    headers = signer.headers(body, int(app.clock().timestamp()))
    return client.post("/webhooks/sendgrid", content=body, headers=headers)


def _stored(app: App) -> int:
    with app.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ProviderEventRow)).scalar_one())


def test_a_poisoned_event_is_skipped_alone_and_its_neighbours_applied(
    hook_client: TestClient, hook_app: App, signer: Signer
) -> None:
    good = [
        event("bounce", "bob@example.com", 1, type="bounce", reason="550 no such user"),
        event("delivered", "ann@example.com", 2),
    ]
    poisoned = [
        event("bounce", "cat@example.com", 3, reason="bad\u0000reason"),
        event("open", "ann@example.com", 4, edition_id="99999999999999999999"),
        event("open", "ann@example.com", 5, edition_id=99999999999999999999),
        event("spamreport", "cat@example.com", 6, note="lone \ud800 surrogate"),
        event("open", "ann@example.com", 7, extra={"deep": [{"x": "\u0000"}]}),
    ]
    body = json.dumps([good[0], *poisoned, good[1]]).encode()
    # numbers Python's json reads but no database stores: NaN, infinity, 5,000 digits
    odd = [
        b'{"event": "open", "email": "ann@example.com", "sg_event_id": "n1", "timestamp": NaN}',
        b'{"event": "open", "email": "ann@example.com", "sg_event_id": "n2", "score": 1e999}',
        b'{"event": "open", "email": "ann@example.com", "sg_event_id": "n3", "n": '
        + b"9" * 5000
        + b"}",
    ]
    body = body[:-1] + b", " + b", ".join(odd) + b"]"
    r = _signed(hook_client, signer, hook_app, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"received": 10, "applied": 2, "duplicates": 0, "ignored": 8}
    processed, delivered, opened, clicked, bounced = counters(hook_app)
    assert (delivered, opened, bounced) == (1, 0, 1)
    with hook_app.engine.connect() as conn:
        assert suppression_for(conn, "bob@example.com") is not None
        assert suppression_for(conn, "cat@example.com") is None
        cat = subscriber_by_email(conn, "cat@example.com")
    assert cat is not None and cat.status == "active"
    assert _stored(hook_app) == 2
    again = _signed(hook_client, signer, hook_app, body)
    assert again.json() == {"received": 10, "applied": 0, "duplicates": 2, "ignored": 8}


def test_deeply_nested_json_is_refused_as_bad_input_not_a_server_error(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    r = _signed(sqlite_hook_client, signer, sqlite_hook_app, body)
    assert r.status_code == 400
    assert "error" in r.json()
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    fine = json.dumps([event("open", "ann@example.com", 1, extra=nested)]).encode()
    assert _signed(sqlite_hook_client, signer, sqlite_hook_app, fine).status_code == 200


@pytest.fixture
def small_limit_app(tmp_path: Path, sqlite_url: str, clock: FixedClock, signer: Signer) -> App:
    return hook_app_for(tmp_path, sqlite_url, clock, signer, web={"max_body_bytes": 20_000})


def test_a_body_over_the_limit_is_refused_with_413(small_limit_app: App, signer: Signer) -> None:
    big = json.dumps([event("open", "ann@example.com", n) for n in range(200)]).encode()
    assert len(big) > 20_000
    with TestClient(create_app(small_limit_app)) as client:
        r = _signed(client, signer, small_limit_app, big)
        assert r.status_code == 413

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(big), 4096):
                yield big[i : i + 4096]

        headers = signer.headers(big, int(small_limit_app.clock().timestamp()))
        r = client.post("/webhooks/sendgrid", content=chunks(), headers=headers)
        assert r.status_code == 413
        form = client.post("/subscribe", data={"email": "a@example.com", "name": "x" * 30_000})
        assert form.status_code == 413
    assert _stored(small_limit_app) == 0


def _raw_request(port: int, head: bytes, first_chunk: bytes) -> bytes:
    """Send the head and one chunk of a chunked body, then read whatever answer comes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + b"%x\r\n" % len(first_chunk) + first_chunk + b"\r\n")
        sock.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer


def test_an_unsigned_post_is_refused_before_its_body_is_read(sqlite_hook_app: App) -> None:
    head = (
        b"POST /webhooks/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with LiveServer(sqlite_hook_app) as live:
        started = time.monotonic()
        # the client never finishes the body: the answer must not wait for it
        answer = _raw_request(live.port, head, b"[" + b" " * 60_000)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert time.monotonic() - started < 4
        stale = head.replace(
            b"Transfer-Encoding",
            b"X-Twilio-Email-Event-Webhook-Signature: c2ln\r\n"
            b"X-Twilio-Email-Event-Webhook-Timestamp: 1000\r\nTransfer-Encoding",
        )
        assert _raw_request(live.port, stale, b"[").startswith(b"HTTP/1.1 403")


def test_a_database_failure_answers_503_so_sendgrid_retries(
    sqlite_hook_client: TestClient, sqlite_hook_app: App, signer: Signer
) -> None:
    with sqlite_hook_app.engine.begin() as conn:
        conn.execute(text("DROP TABLE provider_events"))
    r = post(sqlite_hook_client, signer, sqlite_hook_app, [event("open", "ann@example.com", 1)])
    assert r.status_code == 503
    assert "error" in r.json()


def test_concurrent_posts_on_postgresql_neither_deadlock_nor_lose_counts(
    tmp_path: Path, pg_url: str, clock: FixedClock, signer: Signer
) -> None:
    app = hook_app_for(tmp_path, pg_url, clock, signer)
    emails = [f"p{i}@example.com" for i in range(40)]
    with app.engine.begin() as conn:
        upsert_subscribers(conn, [SubscriberInput(email=e) for e in emails], clock())
    posts: list[list[dict[str, Any]]] = []
    for p in range(4):
        # the same addresses bounce in every post, in a different order each time
        order = emails if p % 2 else list(reversed(emails))
        batch = [event("bounce", e, 1000 * p + i) for i, e in enumerate(order)]
        batch += [event("delivered", emails[i % 40], 1000 * p + 100 + i) for i in range(200)]
        batch += [event("unsubscribe", emails[(i + p) % 40], 1000 * p + 500 + i) for i in range(5)]
        posts.append(batch)
    answers: list[int] = []
    try:
        with LiveServer(app) as live:

            def poster(batch: list[dict[str, Any]]) -> None:
                body = json.dumps(batch).encode()
                with httpx.Client(base_url=live.url, timeout=60) as http:
                    for _ in range(2):  # the second is a replay
                        r = http.post(
                            "/webhooks/sendgrid",
                            content=body,
                            headers=signer.headers(body, int(clock().timestamp())),
                        )
                        answers.append(r.status_code)

            threads = [threading.Thread(target=poster, args=(b,)) for b in posts]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert answers == [200] * 8
        processed, delivered, opened, clicked, bounced = counters(app)
        assert (delivered, bounced) == (800, 160)
        assert _stored(app) == 4 * (40 + 200 + 5)
        with app.engine.connect() as conn:
            for e in emails:
                sup = suppression_for(conn, e)
                assert sup is not None and sup.reason == "bounce"
                sub = subscriber_by_email(conn, e)
                assert sub is not None and sub.status == "bounced"
    finally:
        app.engine.dispose()
