"""`digest send` sends every channel of the segment (or `--channel` ones); `digest status
--json` shows each channel's counts; a failing channel post never holds the email back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from digest.config import load_config
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.cli_helpers import digest
from tests.fakes.http_receiver import HttpReceiver
from tests.fakes.push_service import PushServiceStandIn
from tests.push.helpers import push_app, push_config_dict, store_edition, subscribe


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


def setup(tmp_path: Path, ca_bundle: Path, channels: list[str], urls: list[str]):
    raw = push_config_dict(tmp_path, ca_bundle)
    raw["segments"][0]["channels"] = channels
    raw["segments"][0]["apprise_urls"] = urls
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    app = push_app(load_config(path))
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [
                SubscriberInput(email=f"r{i}@example.com", segments=("markets-en",))
                for i in range(3)
            ],
            app.clock(),
        )
    store_edition(app, status="draft")
    return app, path


def test_send_every_channel_then_status(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn, receiver: HttpReceiver
) -> None:
    urls = [f"json://127.0.0.1:{receiver.port}/news"]
    app, path = setup(tmp_path, ca_bundle, ["email", "webpush", "apprise"], urls)
    browsers = [push_service.subscribe() for _ in range(4)]
    for b in browsers:
        subscribe(app, b)
    res = digest(
        "--config", str(path), "send", "markets-en", "--date", "2026-01-30", "--json", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["edition_status"] == "sent"
    assert report["channels"]["webpush"]["sent"] == 4
    assert report["channels"]["apprise"]["sent"] == 1
    assert all(len(push_service.received(b.id)) == 1 for b in browsers)
    assert len(receiver.posts) == 1
    status = digest(
        "--config",
        str(path),
        "status",
        "markets-en",
        "--date",
        "2026-01-30",
        "--json",
        cwd=tmp_path,
    )
    data = json.loads(status.stdout)
    assert set(data["channels"]) == {"email", "webpush", "apprise"}
    assert data["channels"]["email"]["sent"] == 3
    assert data["channels"]["webpush"]["sent"] == 4 and data["channels"]["webpush"]["gone"] == 0
    again = digest(
        "--config", str(path), "send", "markets-en", "--date", "2026-01-30", cwd=tmp_path
    )
    assert all(len(push_service.received(b.id)) == 1 for b in browsers) and len(receiver.posts) == 1
    assert again.returncode in (0, 4), again.stderr
    app.engine.dispose()


def test_channel_option_limits_the_send(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    app, path = setup(tmp_path, ca_bundle, ["email", "webpush"], [])
    browser = push_service.subscribe()
    subscribe(app, browser)
    res = digest(
        "--config",
        str(path),
        "send",
        "markets-en",
        "--date",
        "2026-01-30",
        "--channel",
        "webpush",
        "--json",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert "email" not in report["channels"] and report["channels"]["webpush"]["sent"] == 1
    assert report["sent"] == 0  # the email channel did not run
    assert not any(p.is_file() for p in (tmp_path / "outbox").rglob("*"))
    app.engine.dispose()


def test_a_failing_channel_post_never_holds_the_email_back(tmp_path: Path, ca_bundle: Path) -> None:
    app, path = setup(tmp_path, ca_bundle, ["apprise", "email"], ["json://127.0.0.1:9/${NOPE}"])
    res = digest(
        "--config", str(path), "send", "markets-en", "--date", "2026-01-30", "--json", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["sent"] == 3
    assert report["channels"]["apprise"]["failed"] == 1
    assert "NOPE is not set" in report["note"]
    app.engine.dispose()
