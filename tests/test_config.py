"""Config: validation errors name the key path; env overrides; secrets only from env."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from digest.config import ConfigError, load_config, load_secrets, parse_config, reveal
from tests.conftest import REPO, config_dict


def write(tmp_path: Path, raw: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_repo_config_is_valid() -> None:
    config = load_config(REPO / "config.yaml")
    assert {s.name for s in config.segments} == {"markets-en", "tech-he"}
    text = config.disclaimers[0].text
    assert isinstance(text, dict) and text["en"].startswith("This article, in whole or in part")
    assert text["he"].startswith("כתבה זו, כולה או חלקה")  # the publisher's Hebrew disclaimer
    assert config.disclaimers[0].required
    assert {s.name: s.send_locales for s in config.segments} == {
        "markets-en": ("en", "he"),
        "tech-he": ("he", "en"),
    }
    assert config.transport.kind == "outbox"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: c["segments"][1].update(timezone="Mars/Olympus"),
            "segments[1].timezone: unknown IANA timezone",
        ),
        (
            lambda c: c["segments"][0].update(schedule="every morning"),
            "segments[0].schedule: not a cron expression",
        ),
        (
            lambda c: c["segments"][0].update(locale="fr"),
            "segments[0].locale: unsupported locale 'fr'",
        ),
        (lambda c: c["segments"][0]["topics"].update(sport=1.0), "unknown topic 'sport'"),
        (lambda c: c["publication"].update(from_email="not-an-address"), "publication.from_email"),
        (
            lambda c: c["publication"].pop("postal_address"),
            "publication.postal_address: required key is missing",
        ),
        (lambda c: c.update(colour="blue"), "colour: unknown key"),
        (lambda c: c["transport"].update(kind="pigeon"), "transport.kind"),
        (lambda c: c["ranking"].update(half_life_hours=0), "ranking.half_life_hours"),
        (lambda c: c["segments"].append(dict(c["segments"][0])), "duplicate segment name"),
        (
            lambda c: c["segments"][0].update(audience={"shoe_size": ["42"]}),
            "unknown audience attribute",
        ),
    ],
)
def test_bad_config_names_the_key_path(tmp_path: Path, mutate, expected: str) -> None:
    raw = config_dict(tmp_path)
    mutate(raw)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, raw))
    assert expected in str(err.value)


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "config.yaml"
    bad.write_text("publication: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(bad)


def test_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("DIGEST_TRANSPORT", "sendgrid")
    monkeypatch.setenv("SENDGRID_HOST", "http://127.0.0.1:9999")
    config = parse_config(config_dict(tmp_path))
    assert config.database.url == "postgresql://postgres@127.0.0.1:5432/x"
    assert config.transport.kind == "sendgrid"
    assert config.transport.sendgrid.host == "http://127.0.0.1:9999"
    monkeypatch.setenv("DIGEST_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ConfigError, match="transport.kind"):
        parse_config(config_dict(tmp_path))


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    raw = config_dict(tmp_path)
    raw["database"]["url"] = "sqlite:///data/digest.db"
    raw["sources"] = [
        {"name": "local", "url": "feeds/a.xml"},
        {"name": "web", "url": "https://x.example/f"},
    ]
    raw["transport"]["outbox"]["path"] = "out"
    config = load_config(write(tmp_path, raw))
    assert config.database.url == f"sqlite:///{tmp_path / 'data' / 'digest.db'}"
    assert config.sources[0].url == str(tmp_path / "feeds" / "a.xml")
    assert config.sources[1].url == "https://x.example/f"
    assert config.transport.outbox.path == str(tmp_path / "out")


def test_secrets_come_from_env_and_placeholders_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "changeme")
    with pytest.raises(ConfigError, match="SENDGRID_API_KEY is set to a placeholder"):
        load_secrets()
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.real-looking-key")
    monkeypatch.setenv("DIGEST_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_secrets()
    monkeypatch.setenv("DIGEST_SECRET_KEY", "x" * 40)  # long, but one character repeated
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY .*placeholder"):
        load_secrets()
    monkeypatch.setenv("DIGEST_SECRET_KEY", "k3Yq-Pz8vT1rWm0aLxN6sH2dJ9cF5bGe7uQi4oR")
    assert reveal(load_secrets().sendgrid_api_key) == "SG.real-looking-key"


def test_secrets_never_show_in_repr_logs_or_tracebacks(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key, password = "SG.abc123-real-looking-key", "hunter2-smtp-pass"
    signing = "k3Yq-Pz8vT1rWm0aLxN6sH2dJ9cF5bGe7uQi4oR"
    monkeypatch.setenv("SENDGRID_API_KEY", key)
    monkeypatch.setenv("SMTP_PASSWORD", password)
    monkeypatch.setenv("DIGEST_SECRET_KEY", signing)
    secrets = load_secrets()
    shown = [repr(secrets), str(secrets), f"{secrets}", secrets.model_dump_json()]
    shown += [str(secrets.model_dump()), repr(secrets.sendgrid_api_key)]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("digest.test").warning("secrets: %s %r", secrets, secrets)
        try:
            raise RuntimeError(f"could not connect with {secrets.sendgrid_api_key}")
        except RuntimeError:
            logging.getLogger("digest.test").exception("failed")
    shown.append(caplog.text)
    for text in shown:
        for value in (key, password, signing):
            assert value not in text, text
    assert reveal(secrets.sendgrid_api_key) == key
    assert reveal(secrets.smtp_password) == password and reveal(None) is None


def test_secrets_are_not_config_keys(tmp_path: Path) -> None:
    raw = config_dict(tmp_path)
    raw["transport"]["sendgrid"] = {"api_key": "SG.secret"}
    with pytest.raises(ConfigError, match=r"transport.sendgrid.api_key: unknown key"):
        parse_config(raw)
