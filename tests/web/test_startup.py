"""Web app start-up: the signing key exists before the first request; `digest serve --workers`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from digest.app import build
from digest.config import Secrets
from digest.store.db import upgrade
from digest.store.schema import SettingRow
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.web import create_app
from tests.cli_helpers import write_config
from tests.conftest import FixedClock, make_app, make_config
from tests.web.conftest import subscribe_form
from tests.web.fakes import RecordingTransport


def test_without_a_secret_key_the_first_subscribe_neither_hangs_nor_fails(
    tmp_path: Path, clock: FixedClock
) -> None:
    transport = RecordingTransport()
    app = build(make_config(tmp_path), Secrets(), clock=clock, transport=transport)
    upgrade(app.engine)
    try:
        web = create_app(app)
        with app.engine.connect() as conn:  # made at start-up, outside any request
            stored = conn.execute(select(SettingRow.value)).scalars().all()
        assert len(stored) == 1 and len(stored[0]) >= 32
        with TestClient(web) as client:
            started = time.monotonic()
            r = client.post("/subscribe", data=subscribe_form("first@example.com"))
            took = time.monotonic() - started
        assert r.status_code == 200, r.text
        assert took < 10
        assert len(transport.to("first@example.com")) == 1
    finally:
        app.engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_masks_link_tokens_in_its_access_log(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    app = make_app(make_config(tmp_path))
    with app.engine.begin() as conn:
        upsert_subscribers(
            conn, [SubscriberInput(email="t@example.com", segments=("markets-en",))], app.clock()
        )
        sub = subscriber_by_email(conn, "t@example.com")
    assert sub is not None
    link = app.links.unsubscribe_url(sub.id, "markets-en")
    token = link.rsplit("/", 1)[1]
    app.engine.dispose()
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "DIGEST_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789"}
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from digest.cli import main; main()", "--config", str(config)]
            + ["--log-level", "info", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=err,  # uvicorn's access log goes to stdout
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            page = httpx.get(f"http://127.0.0.1:{port}/u/{token}", timeout=10)
            assert page.status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    assert len(re.findall(r"Started server process", text)) == 2, text
    assert "GET /u/*** HTTP/1.1" in text
    assert token not in text
