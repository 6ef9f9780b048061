"""Configuration an attacker or a hurried operator might write: header injection through
``email.unsubscribe_mailto``, placeholder-like or low-entropy secrets, file:// sources."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from digest.config import ConfigError, load_config, load_secrets, parse_config, reveal
from tests.conftest import config_dict


@pytest.mark.parametrize(
    "mailto",
    [
        "u@x>, <https://evil.example/unsub",
        "u@x.example>,<https://evil.example/unsub",
        "u@x.example\r\nBcc: all@x.example",
        "mailto:u@x.example",
        "not-an-address",
    ],
)
def test_unsubscribe_mailto_is_validated_like_the_from_address(tmp_path: Path, mailto: str) -> None:
    raw = config_dict(tmp_path)
    raw["email"] = {"unsubscribe_mailto": mailto}
    with pytest.raises(ConfigError, match=r"email\.unsubscribe_mailto"):
        parse_config(raw)


def test_a_plain_unsubscribe_mailto_is_accepted(tmp_path: Path) -> None:
    raw = config_dict(tmp_path)
    raw["email"] = {"unsubscribe_mailto": "unsubscribe@skn.example"}
    assert parse_config(raw).email.unsubscribe_mailto == "unsubscribe@skn.example"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DIGEST_SECRET_KEY", "x" * 40),
        ("DIGEST_SECRET_KEY", "changeme-changeme-changeme-changeme"),
        ("DIGEST_SECRET_KEY", "abcabcabcabcabcabcabcabcabcabcabcabc"),
        ("DIGEST_SECRET_KEY", "0000000000000000000000000000000000000000"),
        ("DIGEST_SECRET_KEY", "please-replace-me-with-a-real-secret-key"),
        ("DIGEST_SECRET_KEY", "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbaaaaaaaaaa"),
        ("SENDGRID_API_KEY", "SG.xxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxx"),
        ("SENDGRID_API_KEY", "your-sendgrid-api-key"),
        ("SMTP_PASSWORD", "changeme"),
        ("SMTP_PASSWORD", "********"),
    ],
)
def test_placeholder_like_or_low_entropy_secrets_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_secrets()


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_urlsafe(32),
        secrets.token_hex(16),
        secrets.token_urlsafe(48),
        "test-secret-key-that-is-long-enough-0123456789",
    ],
)
def test_random_secrets_are_accepted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", value)
    monkeypatch.setenv(
        "SENDGRID_API_KEY", "SG." + secrets.token_urlsafe(16) + "." + secrets.token_urlsafe(32)
    )
    monkeypatch.setenv("SMTP_PASSWORD", "Tr0ub4dor&3")
    assert reveal(load_secrets().secret_key) == value


def test_file_urls_name_local_feeds(tmp_path: Path) -> None:
    feed = tmp_path / "feeds" / "a b.xml"
    raw = config_dict(tmp_path)
    raw["sources"] = [
        {"name": "absolute", "url": feed.as_uri()},
        {"name": "localhost", "url": "file://localhost" + feed.as_posix()},
        {"name": "relative", "url": "file:feeds/a%20b.xml"},
    ]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    config = load_config(path)
    assert [s.url for s in config.sources] == [str(feed)] * 3
    raw["sources"] = [{"name": "remote-host", "url": "file://server.example/share/a.xml"}]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\[0\]\.url"):
        load_config(path)
