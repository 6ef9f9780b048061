"""Apprise channel posts to a local HTTP receiver: once per edition and URL, retried,
failures reported, secrets from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.apprise_channel.sender import AppriseSender
from digest.channel_run import KeepGoing
from digest.config import parse_config
from tests.fakes.http_receiver import HttpReceiver
from tests.push.helpers import push_app, push_config_dict, store_edition


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as r:
        yield r


def apprise_app(tmp_path: Path, ca_bundle: Path, urls: list[str], segment: int = 0):
    raw = push_config_dict(tmp_path, ca_bundle)
    raw["segments"][segment]["channels"] = ["email", "apprise"]
    raw["segments"][segment]["apprise_urls"] = urls
    return push_app(parse_config(raw, "test"))


def run(app, edition, env=None):
    sender = AppriseSender(app, env=env or {})
    with app.engine.begin() as conn:
        sender.prepare(conn, edition, app.clock())
    return sender.run(edition, KeepGoing())


def test_posts_once_per_edition_and_url_with_links(
    tmp_path: Path, ca_bundle: Path, receiver: HttpReceiver
) -> None:
    urls = [
        f"json://127.0.0.1:{receiver.port}/hook-a",
        f"json://127.0.0.1:{receiver.port}/${{HOOK_PATH}}",
    ]
    app = apprise_app(tmp_path, ca_bundle, urls)
    edition = store_edition(app)
    result = run(app, edition, {"HOOK_PATH": "secret-hook"})
    assert result.counts["sent"] == 2 and result.note is None
    assert sorted(p[0] for p in receiver.posts) == ["/hook-a", "/secret-hook"]
    body = receiver.posts[0][2]
    assert body["title"].startswith("SKN Markets — Markets digest, 30 January 2026")
    lead = "[DAX closes at a record as tech stocks rally](https://www.skn.example/"
    assert lead in body["message"]
    assert "(https://digest.skn.example/e/markets-en/2026-01-30)" in body["message"]
    again = run(app, edition, {"HOOK_PATH": "secret-hook"})
    assert again.sent == 0 and len(receiver.posts) == 2
    app.engine.dispose()


def test_hebrew_segment_posts_in_hebrew(
    tmp_path: Path, ca_bundle: Path, receiver: HttpReceiver
) -> None:
    app = apprise_app(tmp_path, ca_bundle, [f"json://127.0.0.1:{receiver.port}/he"], segment=1)
    run(app, store_edition(app, "tech-he"))
    [(_, _, body)] = receiver.posts
    assert "בינואר" in body["title"] and "הכותרות המובילות" in body["message"]
    app.engine.dispose()


def test_failures_are_retried_then_reported(
    tmp_path: Path, ca_bundle: Path, receiver: HttpReceiver
) -> None:
    urls = [f"json://127.0.0.1:{receiver.port}/flaky", "json://127.0.0.1:${MISSING_PORT}/x"]
    app = apprise_app(tmp_path, ca_bundle, urls)
    receiver.fail_next(1)
    result = run(app, store_edition(app))
    assert result.counts["sent"] == 1 and result.counts["failed"] == 1
    assert [p[0] for p in receiver.posts] == ["/flaky"]
    assert "MISSING_PORT is not set" in (result.note or "")


def test_config_checks_apprise_urls(tmp_path: Path, ca_bundle: Path) -> None:
    from digest.config import ConfigError

    raw = push_config_dict(tmp_path, ca_bundle)
    raw["segments"][0]["apprise_urls"] = ["json://127.0.0.1/x"]
    with pytest.raises(ConfigError, match=r"segments\.0|segments\[0\]"):
        parse_config(raw, "test")
    raw["segments"][0]["channels"] = ["email", "apprise"]
    raw["segments"][0]["apprise_urls"] = ["not a url"]
    with pytest.raises(ConfigError, match="not an Apprise URL"):
        parse_config(raw, "test")
