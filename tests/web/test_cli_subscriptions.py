"""The subscription commands: in-process through click, and as the real `digest` script.

Each subprocess costs seconds of start-up, so only the exit codes, the error messages and
`serve` go through the console script; the rest runs the same commands in-process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from digest.app import App
from digest.cli import CliError, cli
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from tests.conftest import config_dict, make_app, make_config

TEST_KEY = "cli-test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, App]:
    """A config file on disk, its migrated database and one imported subscriber."""
    raw = config_dict(tmp_path)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    app = make_app(make_config(tmp_path))
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [
                SubscriberInput(
                    email="dana@example.com", segments=("markets-en",), topics=("markets",)
                )
            ],
            app.clock(),
        )
    return path, app


def digest(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_KEY}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        ["digest", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def run(config: Path, *args: str) -> Result:
    """The command run in-process (same click commands, no interpreter start-up)."""
    result = CliRunner().invoke(
        cli, ["--config", str(config), *args], env={"DIGEST_SECRET_KEY": TEST_KEY}
    )
    return result


def test_show_unsubscribe_and_show_again(project: tuple[Path, App]) -> None:
    config, _ = project
    r = digest(config, "subscribers", "show", "Dana@Example.com", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["subscriber"]["status"] == "active"
    assert data["subscriber"]["segments"] == ["markets-en"]
    assert data["subscriber"]["topics"] == ["markets"]
    assert data["suppression"] is None
    assert [c["action"] for c in data["consents"]] == ["import"]

    r = run(config, "subscribers", "unsubscribe", "dana@example.com")
    assert r.exit_code == 0 and "unsubscribed dana@example.com" in r.output
    r = run(config, "subscribers", "unsubscribe", "dana@example.com")
    assert "already unsubscribed" in r.output

    r = run(config, "subscribers", "show", "dana@example.com")
    assert r.exit_code == 0
    assert "status:       unsubscribed" in r.output
    assert "suppressed:   unsubscribe via cli" in r.output
    assert "unsubscribe  cli" in r.output


def test_unknown_or_invalid_addresses_give_clear_messages(project: tuple[Path, App]) -> None:
    config, _ = project
    r = digest(config, "subscribers", "show", "nobody@example.com")
    assert r.returncode == 1 and "no subscriber or suppression for nobody@example.com" in r.stderr
    assert "Traceback" not in r.stderr
    result = run(config, "subscribers", "unsubscribe", "not-an-address")
    assert isinstance(result.exception, CliError) and result.exception.exit_code == 2
    assert "not a valid email address" in result.exception.message


def test_suppressions_add_list_remove(project: tuple[Path, App]) -> None:
    config, _ = project
    r = run(
        config,
        "suppressions",
        "add",
        "Spam@Example.com",
        "--reason",
        "spamreport",
        "--note",
        "complained by phone",
    )
    assert r.exit_code == 0 and "suppressed spam@example.com (spamreport)" in r.output
    assert "already suppressed" in run(config, "suppressions", "add", "spam@example.com").output
    run(config, "suppressions", "add", "manual@example.com")
    r = run(config, "suppressions", "list", "--json")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert {(x["email"], x["reason"]) for x in rows} == {
        ("spam@example.com", "spamreport"),
        ("manual@example.com", "manual"),
    }
    r = run(config, "suppressions", "list", "--reason", "manual")
    assert "manual@example.com" in r.stdout and "spam@example.com" not in r.stdout
    assert "2 suppressed address(es)" in r.stderr
    assert run(config, "suppressions", "remove", "manual@example.com").exit_code == 0
    r = digest(config, "suppressions", "remove", "manual@example.com")
    assert r.returncode == 1 and "is not suppressed" in r.stderr
    r = run(config, "subscribers", "show", "spam@example.com")
    assert r.exit_code == 0 and "only on the suppression list" in r.output


def test_serve_answers_on_the_given_port(project: tuple[Path, App]) -> None:
    config, _ = project
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_KEY}
    log = (config.parent / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            "digest",
            "--config",
            str(config),
            "--log-format",
            "json",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((config.parent / "serve.log").read_text()) from exc
                time.sleep(0.1)
        assert r.json() == {"status": "ok", "database": "ok"}
        page = httpx.get(f"http://127.0.0.1:{port}/subscribe?lang=he", timeout=5)
        assert 'dir="rtl"' in page.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    # serve logs at info through digest's one logging set-up, uvicorn's access log included
    lines = (config.parent / "serve.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert any(r["logger"] == "uvicorn.access" and "/healthz" in r["message"] for r in records), (
        lines
    )


def test_serve_refuses_a_bad_webhook_key(project: tuple[Path, App]) -> None:
    config, _ = project
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_KEY, "SENDGRID_WEBHOOK_PUBLIC_KEY": "bm9wZQ=="}
    r = subprocess.run(
        ["digest", "--config", str(config), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "SENDGRID_WEBHOOK_PUBLIC_KEY" in r.stderr and "Traceback" not in r.stderr
