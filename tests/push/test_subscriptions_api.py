"""POST/DELETE /push/subscriptions: stored once per endpoint, refused with the field named."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from digest.app import App
from digest.store.schema import PushSubscriptionRow, PushSubscriptionSegmentRow, SubscriberRow
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from digest.web import create_app
from tests.fakes.push_service import new_browser_keys, public_b64
from tests.push.helpers import push_app, push_config, push_config_dict

ENDPOINT = "https://127.0.0.1:8443/push/abc"


def body(**overrides: Any) -> dict[str, Any]:
    private, auth = new_browser_keys()
    data: dict[str, Any] = {
        "endpoint": ENDPOINT,
        "keys": {
            "p256dh": public_b64(private),
            "auth": base64.urlsafe_b64encode(auth).rstrip(b"=").decode(),
        },
        "segments": ["markets-en"],
        "locale": "he",
        "timezone": "Asia/Jerusalem",
    }
    data.update(overrides)
    return data


@pytest.fixture
def web(tmp_path: Path, ca_bundle: Path) -> Iterator[tuple[App, TestClient]]:
    app = push_app(push_config(tmp_path, ca_bundle))
    with TestClient(create_app(app)) as client:
        yield app, client
    app.engine.dispose()


def rows(app: App) -> list[tuple[str, str, str]]:
    with app.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    PushSubscriptionRow.endpoint,
                    PushSubscriptionRow.locale,
                    PushSubscriptionSegmentRow.segment,
                ).join(PushSubscriptionSegmentRow)
            )
        ]


def test_subscribe_update_and_remove(web: tuple[App, TestClient]) -> None:
    app, client = web
    r = client.post("/push/subscriptions", json=body())
    assert r.status_code == 201, r.text
    assert r.json()["segments"] == ["markets-en"]
    r = client.post("/push/subscriptions", json=body(segments=["markets-en", "tech-he"]))
    assert r.status_code == 201
    assert sorted(rows(app)) == [(ENDPOINT, "he", "markets-en"), (ENDPOINT, "he", "tech-he")]
    r = client.request("DELETE", "/push/subscriptions", json={"endpoint": ENDPOINT})
    assert r.status_code == 204
    assert rows(app) == []
    r = client.request("DELETE", "/push/subscriptions", json={"endpoint": ENDPOINT})
    assert r.status_code == 404


def test_renewal_keeps_the_old_settings(web: tuple[App, TestClient]) -> None:
    app, client = web
    assert client.post("/push/subscriptions", json=body()).status_code == 201
    renewed = body(endpoint=ENDPOINT + "-new", replaces=ENDPOINT)
    del renewed["segments"], renewed["locale"], renewed["timezone"]
    assert client.post("/push/subscriptions", json=renewed).status_code == 201
    assert rows(app) == [(ENDPOINT + "-new", "he", "markets-en")]


BAD = [
    ({"keys": {"p256dh": "not base64!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
    ({"keys": {"p256dh": "BAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
    ({"keys": {"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
    ({"endpoint": "http://127.0.0.1:8443/push/abc"}, "endpoint"),
    ({"endpoint": "https://push.evil.example/x"}, "endpoint"),
    ({"endpoint": 42}, "endpoint"),
    ({"segments": ["nope"]}, "segments"),
    ({"segments": []}, "segments"),
    ({"locale": "xx"}, "locale"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_malformed_subscriptions_get_422_naming_the_field(
    web: tuple[App, TestClient], change: dict[str, Any], field: str
) -> None:
    app, client = web
    r = client.post("/push/subscriptions", json=body(**change))
    assert r.status_code == 422
    assert field in r.json()["errors"], r.json()
    assert rows(app) == []


def test_bad_auth_length_and_forged_token(web: tuple[App, TestClient]) -> None:
    app, client = web
    good = body()
    good["keys"]["auth"] = "AAAA"
    r = client.post("/push/subscriptions", json=good)
    assert r.status_code == 422 and "keys.auth" in r.json()["errors"]
    r = client.post("/push/subscriptions", json=body(preferences_token="forged.token"))
    assert r.status_code == 422 and "preferences_token" in r.json()["errors"]
    r = client.post("/push/subscriptions", content=b"endpoint=x")
    assert r.status_code == 415


INTERNAL = [
    "https://127.0.0.1/push/x",
    "https://10.1.2.3/push/x",
    "https://192.168.0.5/push/x",
    "https://[::1]/push/x",
    "https://169.254.169.254/latest",
    "https://localhost/push/x",
    "https://[::ffff:10.0.0.1]/push/x",
]


@pytest.mark.parametrize("endpoint", INTERNAL)
def test_private_addresses_are_refused_unless_allowed(
    tmp_path: Path, ca_bundle: Path, endpoint: str
) -> None:
    raw = push_config_dict(tmp_path, ca_bundle, allowed_hosts=["*.push.example", "127.0.0.2"])
    raw["push"]["allow_private_addresses"] = False
    from digest.config import parse_config

    app = push_app(parse_config(raw, "test"))
    with TestClient(create_app(app)) as client:
        r = client.post("/push/subscriptions", json=body(endpoint=endpoint))
        assert r.status_code == 422
        assert "endpoint" in r.json()["errors"]
        # a wildcard never lets an internal address through
        local = body(endpoint="https://x.localhost/push/x")
        assert client.post("/push/subscriptions", json=local).status_code == 422
        listed = body(endpoint="https://127.0.0.2:8443/push/x")  # listed by itself: allowed
        assert client.post("/push/subscriptions", json=listed).status_code == 201
    app.engine.dispose()


def test_an_allowed_name_resolving_to_a_private_address_is_refused_before_sending() -> None:
    from digest.push.endpoints import EndpointPolicy, EndpointRefused

    policy = EndpointPolicy(("push.example.com",))
    assert policy.check("https://push.example.com/x") == "push.example.com"
    with pytest.raises(EndpointRefused, match="resolves to a loopback or private"):
        policy.check_resolved("push.example.com", lambda host: ["93.184.216.34", "10.0.0.7"])
    policy.check_resolved("push.example.com", lambda host: ["93.184.216.34"])
    EndpointPolicy(("push.example.com",), True).check_resolved(
        "push.example.com", lambda h: ["10.0.0.7"]
    )


def test_default_allow_list_takes_the_browsers_push_services(tmp_path: Path) -> None:
    from digest.config import parse_config
    from tests.conftest import config_dict

    raw = config_dict(tmp_path)
    raw["publication"]["push_contact"] = "mailto:ops@skn.example"
    raw["segments"][0]["channels"] = ["email", "webpush"]
    app = push_app(parse_config(raw, "test"))
    with TestClient(create_app(app)) as client:
        ok = body(endpoint="https://fcm.googleapis.com/fcm/send/abc:def")
        assert client.post("/push/subscriptions", json=ok).status_code == 201
        apple = body(endpoint="https://web.push.apple.com/QGuQ")
        assert client.post("/push/subscriptions", json=apple).status_code == 201
        local = body(endpoint=ENDPOINT)
        assert client.post("/push/subscriptions", json=local).status_code == 422
        # tech-he does not send notifications
        r = client.post("/push/subscriptions", json=body(segments=["tech-he"]))
        assert r.status_code == 422 and "segments" in r.json()["errors"]
    app.engine.dispose()


def test_preference_centre_links_the_push_subscription(web: tuple[App, TestClient]) -> None:
    app, client = web
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn, [SubscriberInput(email="dana@example.com", segments=("markets-en",))], app.clock()
        )
        subscriber = conn.execute(select(SubscriberRow.id)).scalar_one()
    token = app.links.preferences_url(subscriber).rsplit("/", 1)[1]
    page = client.get(f"/p/{token}")
    assert 'id="notifications"' in page.text and f'data-preferences-token="{token}"' in page.text
    r = client.post("/push/subscriptions", json=body(preferences_token=token))
    assert r.status_code == 201
    with app.engine.connect() as conn:
        linked = conn.execute(select(PushSubscriptionRow.subscriber_id)).scalar_one()
    assert linked == subscriber


def test_pages_serve_the_worker_script_key_and_images(web: tuple[App, TestClient]) -> None:
    app, client = web
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and "showNotification" in sw.text
    assert sw.headers["service-worker-allowed"] == "/"
    assert "javascript" in sw.headers["content-type"]
    key = client.get("/push/key").json()["publicKey"]
    assert len(base64.urlsafe_b64decode(key + "=")) == 65
    page = client.get("/subscribe")
    assert f'data-vapid-key="{key}"' in page.text and "/push/notify.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/push/icon.png").content.startswith(b"\x89PNG")
    assert client.get("/push/badge.png").content.startswith(b"\x89PNG")
