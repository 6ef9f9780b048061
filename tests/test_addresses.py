"""One address check everywhere: the same list gets the same verdict and the same spelling
through CSV import, /subscribe, `digest subscribers add` and the configuration."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.addresses import InvalidAddress, normalise_address
from digest.app import App
from digest.cli import CliError, cli
from digest.config import ConfigError, parse_config
from digest.store.subscribers import subscriber_by_email
from digest.subscriber_csv import RowError, parse_rows
from digest.web import create_app
from tests.conftest import TEST_SECRET, config_dict, make_app, make_config

# (as typed, as stored)
VALID = [
    ("ann@example.com", "ann@example.com"),
    ("  Ann.Lee+news@Example.COM ", "ann.lee+news@example.com"),
    ("user@bücher.de", "user@xn--bcher-kva.de"),
    ("User@BÜCHER.de", "user@xn--bcher-kva.de"),
    ("user@xn--bcher-kva.de", "user@xn--bcher-kva.de"),
    ("o'brien@example.ie", "o'brien@example.ie"),
    ("x" * 64 + "@example.com", "x" * 64 + "@example.com"),
]
INVALID = [
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "user@example.123",
    "x" * 65 + "@example.com",
    "用户@例子.广告",
    "a@localhost",
    "a@b",
    "a@foo.test",
    "test@[127.0.0.1]",
    '"quoted"@example.com',
    "a b@example.com",
    "Ann <ann@example.com>",
    "ann@example.com.",
    "ann",
    "",
]


@pytest.mark.parametrize(("raw", "stored"), VALID)
def test_valid_addresses_have_one_spelling(raw: str, stored: str) -> None:
    assert normalise_address(raw) == stored


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_addresses_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidAddress) as exc:
        normalise_address(raw)
    assert str(exc.value).startswith("not a valid email address")
    assert len(str(exc.value)) > len("not a valid email address: ''")


def csv_verdicts(tmp_path: Path, addresses: list[str]) -> list[str | None]:
    rows = "".join(f'"{a}",,en,UTC,,markets-en\n' for a in addresses)
    text = "email,name,locale,timezone,topics,segments\n" + rows
    out = list(parse_rows(io.StringIO(text), make_config(tmp_path)))
    return [None if isinstance(r, RowError) else r.subscriber.email for r in out]


def test_csv_import_gives_the_same_verdicts(tmp_path: Path) -> None:
    addresses = [raw for raw, _ in VALID] + [a for a in INVALID if a and '"' not in a]
    expected: list[str | None] = [stored for _, stored in VALID]
    expected += [None] * (len(addresses) - len(VALID))
    assert csv_verdicts(tmp_path, addresses) == expected


@pytest.fixture
def roomy_app(tmp_path: Path) -> App:
    """An app whose subscribe rate limit does not get in the way of many posts."""
    raw = config_dict(tmp_path)
    raw["web"] = {"subscribe_rate_per_minute": 1000}
    app = make_app(parse_config(raw, "test"))
    return app


def test_subscribe_endpoint_gives_the_same_verdicts(roomy_app: App) -> None:
    with TestClient(create_app(roomy_app), follow_redirects=False) as client:
        for raw, stored in VALID:
            form = {"email": raw, "segments": ["markets-en"], "consent": True}
            r = client.post("/subscribe", json=form)
            assert r.status_code == 202, (raw, r.text)
            with roomy_app.engine.connect() as conn:
                assert subscriber_by_email(conn, stored) is not None, raw
        for raw in INVALID:
            r = client.post(
                "/subscribe", json={"email": raw, "segments": ["markets-en"], "consent": True}
            )
            assert r.status_code == 422, raw
            assert "email" in r.json()["errors"], raw


def cli_add(config: Path, *args: str) -> tuple[int, str]:
    """`digest subscribers add ARGS` in-process: (exit code, output or error message)."""
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "subscribers", "add", *args],
        env={"DIGEST_SECRET_KEY": TEST_SECRET},
    )
    if isinstance(result.exception, CliError):  # digest.cli.main turns it into this exit
        return result.exception.exit_code, result.exception.message
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(tmp_path), allow_unicode=True), encoding="utf-8")
    make_app(make_config(tmp_path)).engine.dispose()
    return path


def test_subscribers_add_gives_the_same_verdicts(config_file: Path, tmp_path: Path) -> None:
    app = make_app(make_config(tmp_path))
    for raw, stored in VALID:
        code, out = cli_add(config_file, raw, "--segments", "markets-en")
        assert code == 0, (raw, out)
        with app.engine.connect() as conn:
            assert subscriber_by_email(conn, stored) is not None, raw
    for raw in INVALID:
        code, out = cli_add(config_file, raw, "--segments", "markets-en")
        assert code == 2, (raw, out)
        assert "not a valid email address" in out and "Traceback" not in out


def test_the_two_spellings_of_an_idn_address_are_one_subscriber(
    config_file: Path, tmp_path: Path
) -> None:
    assert cli_add(config_file, "reader@bücher.de", "--segments", "markets-en")[0] == 0
    code, out = cli_add(config_file, "Reader@xn--bcher-kva.de", "--segments", "tech-he", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["email"] == "reader@xn--bcher-kva.de" and report["outcome"] == "updated"
    app = make_app(make_config(tmp_path))
    with app.engine.connect() as conn:
        sub = subscriber_by_email(conn, "reader@xn--bcher-kva.de")
    assert sub is not None and sub.segments == ("tech-he",)
    assert sub.locale == "he", "the locale defaults to the first chosen segment's"


def test_subscribers_add_checks_everything_else_like_the_csv_import(config_file: Path) -> None:
    code, out = cli_add(config_file, "ann@example.com", "--segments", "nope")
    assert code == 2 and "unknown segment(s) nope" in out
    code, out = cli_add(
        config_file, "ann@example.com", "--segments", "markets-en", "--timezone", "Mars/Base"
    )
    assert code == 2 and "unknown timezone 'Mars/Base'" in out
    code, out = cli_add(
        config_file,
        "ann@example.com",
        "--segments",
        "markets-en,tech-he",
        "--topics",
        "markets",
        "--name",
        "Ann Lee",
        "--locale",
        "en",
        "--timezone",
        "Europe/London",
    )
    assert code == 0 and "added ann@example.com" in out, out


def test_configured_addresses_are_checked_the_same_way(tmp_path: Path) -> None:
    for raw, stored in VALID:
        raw_config = config_dict(tmp_path)
        raw_config["publication"]["from_email"] = raw
        raw_config["email"] = {"unsubscribe_mailto": raw}
        config = parse_config(raw_config, "test")
        assert config.publication.from_email == stored
        assert config.email.unsubscribe_mailto == stored
    for raw in INVALID:
        raw_config = config_dict(tmp_path)
        raw_config["publication"]["reply_to"] = raw
        with pytest.raises(ConfigError, match=r"publication\.reply_to: not a valid email address"):
            parse_config(raw_config, "test")


@settings(max_examples=300, deadline=None)
@given(st.emails())
def test_the_spelling_is_stable_and_plain(raw: str) -> None:
    """Whatever an address looks like, its spelling is lower-case ASCII and a fixed point."""
    try:
        spelled = normalise_address(raw)
    except InvalidAddress:
        return
    assert spelled == spelled.lower() and spelled.isascii()
    assert normalise_address(spelled) == spelled
    assert normalise_address(raw.upper()) == spelled
