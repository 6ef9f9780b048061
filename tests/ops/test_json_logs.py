"""JSON log lines: each parses, says which segment and edition it is about, holds no secret."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.log_context import in_context, log_context
from digest.logging_setup import configure_logging
from tests.cli_helpers import digest, write_config
from tests.conftest import TEST_SECRET

TOKEN = re.compile(r"/[up]/([A-Za-z0-9._-]{20,})")


def test_the_context_reaches_records_of_this_thread_and_of_threads_it_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    undo = configure_logging("info", "json")
    log = logging.getLogger("digest.test")
    try:
        with log_context(segment="markets-en", edition_date="2026-01-30", edition=7):
            log.info("planning")
            worker = threading.Thread(target=in_context(lambda: log.info("from a sender")))
            worker.start()
            worker.join()
            log.info("own field wins", extra={"segment": "tech-he"})
        log.info("outside")
    finally:
        undo()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(x["message"], x.get("segment"), x.get("edition")) for x in lines] == [
        ("planning", "markets-en", 7),
        ("from a sender", "markets-en", 7),
        ("own field wins", "tech-he", 7),
        ("outside", None, None),
    ]


def test_a_send_and_a_scheduler_pass_log_json_lines_without_secrets(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from digest.config import parse_config
    from tests.conftest import FixedClock, make_app
    from tests.schedule.conftest import add_readers, schedule_config, write_feed

    now = datetime.now(UTC)
    write_feed(tmp_path / "feed" / "skn.xml", now)
    raw = schedule_config(tmp_path, f"sqlite:///{tmp_path / 'digest.db'}")
    raw["segments"][0]["schedule"] = "0 0 1 1 *"
    raw["segments"][1]["schedule"] = "0 0 1 1 *"
    app = make_app(parse_config(raw, "test"), FixedClock(now))
    add_readers(app)
    app.engine.dispose()
    config = write_config(tmp_path, **{k: v for k, v in raw.items() if k != "database"})
    secret_env = {"DIGEST_SECRET_KEY": TEST_SECRET, "SENDGRID_API_KEY": "SG.never-logged-key-0123"}
    ingested = digest("--config", str(config), "ingest", cwd=tmp_path, env=secret_env)
    assert ingested.returncode == 0, ingested.stderr
    sent = digest(
        "--config", str(config), "--log-format", "json", "--log-level", "debug",
        "send", "markets-en", "--yes", cwd=tmp_path, env=secret_env,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    once = digest(
        "--config", str(config), "--log-format", "json", "scheduler", "--once",
        cwd=tmp_path, env=secret_env,
    )  # fmt: skip
    assert once.returncode in (0, 1), once.stderr
    lines = [line for line in (sent.stderr + once.stderr).splitlines() if line.strip()]
    assert "3 sent" in sent.stdout
    assert lines, "no log lines at debug level"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"timestamp", "level", "logger", "message"} <= set(r) for r in records)
    about_send = [r for r in records if r.get("segment") == "markets-en" and r.get("edition")]
    assert about_send, "no line of the send names its segment and edition:\n" + "\n".join(lines)
    tokens = {
        m.group(1)
        for eml in (tmp_path / "outbox").rglob("*.eml")
        for m in TOKEN.finditer(eml.read_text(encoding="utf-8", errors="replace"))
    }
    assert tokens, "the outbox holds no signed links to look for"
    text = "\n".join(lines)
    for secret in (TEST_SECRET, "SG.never-logged-key-0123", *tokens):
        assert secret not in text


def test_the_web_apps_json_log_holds_no_link_token_or_bearer_token(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from digest.config import parse_config
    from tests.conftest import FixedClock, config_dict, make_app

    app = make_app(parse_config(config_dict(tmp_path), "t"), FixedClock(datetime.now(UTC)))
    token = app.links.manage_urls(1, "markets-en")[0].rsplit("/", 1)[1]
    app.engine.dispose()
    config = write_config(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    metrics_token = "metrics-bearer-token-0123456789abcdef"
    env = {**os.environ, "DIGEST_SECRET_KEY": TEST_SECRET, "DIGEST_METRICS_TOKEN": metrics_token}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from digest.cli import main; main()", "--config", str(config),
         "--log-format", "json", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        httpx.get(f"{base}/u/{token}")
        httpx.get(f"{base}/p/{token}?lang=he")
        r = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    lines = [line for line in err.splitlines() if line.strip()]
    assert [line for line in lines if not line.startswith("{")] == []
    records = [json.loads(line) for line in lines]
    assert any("/u/" in r["message"] for r in records), "no access log line for the link"
    for secret in (token, metrics_token, TEST_SECRET):
        assert secret not in err
