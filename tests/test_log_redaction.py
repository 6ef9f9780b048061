"""Secrets and link tokens never reach a log line, at any level, from any library."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.log_redaction import RedactingFilter, install_redaction, redact
from digest.send.transports.sendgrid_client import OfficialClientPoster
from tests.fakes.sendgrid_server import VALID_KEY, SendGridStandIn
from tests.schedule.test_processes import SCHEDULER, env, prepared

KEY = "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"
TOKEN = "42.m.markets-en.aGVsbG8.QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"


@pytest.mark.parametrize(
    "line",
    [
        f"HEADERS: {{'Authorization': 'Bearer {KEY}', 'User-agent': 'sendgrid/6'}}",
        f"Authorization: Bearer {KEY}",
        f'{{"authorization": "Basic dXNlcjpwYXNzd29yZA=="}} and {KEY}',
        f"the key {KEY} was refused",
    ],
)
def test_credentials_are_masked_in_any_shape(line: str) -> None:
    masked = redact(line)
    assert KEY not in masked and "dXNlcjpwYXNzd29yZA" not in masked
    assert "***" in masked


def test_link_tokens_are_masked_in_paths_but_other_paths_kept() -> None:
    line = f'127.0.0.1:5000 - "GET /u/{TOKEN}?lang=he HTTP/1.1" 200'
    assert redact(line) == '127.0.0.1:5000 - "GET /u/***?lang=he HTTP/1.1" 200'
    assert redact(f"POST /c/{TOKEN}") == "POST /c/***"
    assert redact("GET /e/markets-en/2026-01-30 and /tmp/u/data") == (
        "GET /e/markets-en/2026-01-30 and /tmp/u/data"
    )


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_redaction()
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_the_sendgrid_client_debug_dump_is_masked(captured: io.StringIO) -> None:
    with SendGridStandIn(validate=False) as standin:
        poster = OfficialClientPoster(VALID_KEY, standin.url, timeout=10)
        try:
            answer = poster.post_mail_send(b'{"personalizations": []}', {})
        finally:
            poster.close()
    assert answer.status in (202, 400)
    out = captured.getvalue()
    assert "HEADERS" in out  # the library did dump its headers at DEBUG
    assert VALID_KEY not in out
    assert "Bearer ***" in out


def test_access_log_records_keep_their_shape_for_uvicorns_formatter() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/p/{TOKEN}", "1.1", 200),
        None,
    )
    assert RedactingFilter().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", "/p/***", "1.1", 200)
    assert TOKEN not in record.getMessage()


def test_install_is_idempotent() -> None:
    handler = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_redaction()
        install_redaction()
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)


def test_scheduler_at_debug_never_logs_the_sendgrid_key(tmp_path: Path, sqlite_url: str) -> None:
    config = prepared(tmp_path, sqlite_url)
    with SendGridStandIn() as standin:
        run_env = env()
        run_env.update(
            DIGEST_TRANSPORT="sendgrid", SENDGRID_HOST=standin.url, SENDGRID_API_KEY=VALID_KEY
        )
        result = subprocess.run(
            [sys.executable, str(SCHEDULER), "--config", str(config), "--once"]
            + ["--log-level", "DEBUG"],
            cwd=config.parent,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        accepted = standin.state.accepted_count
    assert result.returncode == 0, result.stderr[-3000:]
    assert accepted == 3  # the readers were sent through SendGrid
    assert "HEADERS" in result.stderr
    assert VALID_KEY not in result.stderr + result.stdout
