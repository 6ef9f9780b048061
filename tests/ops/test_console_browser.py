"""The ops console in headless Chromium against a real server on PostgreSQL.

An ops member signs in, starts a throttled send (SendGrid stand-in on 127.0.0.1), watches
the counters move without reloading, pauses (the counters stop), resumes, and the totals
match ``digest status --json``; signed webhook events then show as engagement; /metrics
parses and equals the ledger; the page fits 375 px; an editor cannot reach the controls.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from digest.app import App, build
from digest.config import Secrets, parse_config
from digest.staff import Role, add_user
from digest.store.db import upgrade
from digest.web import create_app
from tests.cli_helpers import digest, write_config
from tests.conftest import TEST_SECRET, config_dict
from tests.desk.conftest import EDITOR, OPS, PASSWORD
from tests.fakes.sendgrid_server import SCHEMA_FILE, VALID_KEY, SendGridStandIn
from tests.ops.helpers import samples, value
from tests.send.helpers import add_subscribers
from tests.web.test_sendgrid_webhook import Signer

READERS = 60
RATE = 6  # recipients a second: the send takes about ten seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn serving the web app in a thread, on a free loopback port."""

    def __init__(self, app: App) -> None:
        self.port = _free_port()
        config = uvicorn.Config(
            create_app(app), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the web app did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def standin() -> Iterator[SendGridStandIn]:
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"SendGrid's OpenAPI spec not found at {SCHEMA_FILE} (../shared missing)")
    with SendGridStandIn() as sg:
        yield sg


@pytest.fixture
def setup(
    tmp_path: Path, pg_url: str, standin: SendGridStandIn
) -> Iterator[tuple[App, Path, Signer]]:
    raw = config_dict(tmp_path, pg_url)
    raw["transport"] = {
        "kind": "sendgrid",
        "rate_limit_per_second": RATE,
        "concurrency": 2,
        "sendgrid": {"host": standin.url, "batch_size": 3},
    }
    signer = Signer()
    secrets = Secrets(
        secret_key=TEST_SECRET,
        sendgrid_api_key=VALID_KEY,
        sendgrid_webhook_public_key=signer.public_b64,
    )
    app = build(parse_config(raw, "test"), secrets)  # the real clock: throttling is real time
    upgrade(app.engine)
    add_subscribers(app, READERS)
    for email, role in ((OPS, Role.OPS), (EDITOR, Role.EDITOR)):
        add_user(app, email, role, PASSWORD, actor="test")
    config = write_config(tmp_path, pg_url, transport=raw["transport"])
    yield app, config, signer
    app.engine.dispose()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/desk/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/desk/")


def _figure(page: Any, field: str) -> int:
    text = page.locator(f'section[data-key] [data-field="{field}"]').first.inner_text()
    return int(text.replace(",", "") or 0)


def _wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_ops_start_watch_pause_resume_and_account(
    setup: tuple[App, Path, Signer], standin: SendGridStandIn, browser: Any
) -> None:
    from digest.editions import local_today

    app, config, signer = setup
    env = {"SENDGRID_API_KEY": VALID_KEY}
    today = local_today(app.config.segment("markets-en"), app.clock()).isoformat()
    _store_todays_edition(app, today)
    with Server(app) as server:
        context = browser.new_context(viewport={"width": 375, "height": 800})
        page = context.new_page()
        _sign_in(page, server.url, OPS)
        page.goto(f"{server.url}/desk/ops/sends/markets-en/{today}")
        page.click("text=Start the send…")
        assert page.locator("text=Send to 60 recipients now").is_visible()
        assert "SendGrid at" in page.content()
        page.click("text=Send to 60 recipients now")
        page.wait_for_url(f"**/desk/ops/sends/markets-en/{today}?done=start")
        loaded = page.evaluate("performance.getEntriesByType('navigation')[0].startTime")
        # the figures move while the page stays where it is
        _wait(lambda: 0 < _figure(page, "sent") < READERS, 20, "the first recipients")
        first = _figure(page, "sent")
        _wait(lambda: _figure(page, "sent") > first, 20, "the counter to move")
        assert page.evaluate("performance.getEntriesByType('navigation')[0].startTime") == loaded
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # pause: the senders stop after their batch in flight, and so do the counters
        page.reload()
        page.click("button:has-text('Pause')")
        page.wait_for_url("**?done=pause")
        time.sleep(1.5)  # a batch in flight when the pause came lands
        stopped = _figure(page, "sent")
        time.sleep(3)
        assert _figure(page, "sent") == stopped < READERS
        assert len(standin.delivered_counts()) == stopped
        # resume: the rest goes out, each reader once
        page.click("button:has-text('Resume')")
        page.wait_for_url("**?done=resume")
        _wait(lambda: _figure(page, "sent") == READERS, 40, "the send to finish")
        page.wait_for_selector('section[data-state="sent"]', timeout=10000)
        status = json.loads(
            digest(
                "--config",
                str(config),
                "status",
                "markets-en",
                "--json",
                cwd=config.parent,
                env=env,
            ).stdout  # fmt: skip
        )
        assert status["status"] == "sent" and status["sent"] == READERS
        for field in ("sent", "failed", "suppressed", "unknown", "pending"):
            assert _figure(page, field) == status[field], field
        assert set(standin.delivered_counts().values()) == {1}
        # /metrics parses and its counters equal the ledger
        scrape = samples(httpx.get(f"{server.url}/metrics").text)
        assert (
            value(scrape, "digest_recipients_total", segment="markets-en", outcome="sent")
            == (status["sent"])
        )
        # signed webhook events become the engagement figures
        _post_events(server.url, signer, status["edition_id"])
        page.goto(f"{server.url}/desk/ops/engagement/markets-en/{today}")
        figures = {
            li.locator(".label").inner_text(): li.locator(".value").inner_text()
            for li in page.locator("ul.figures li").all()
        }
        assert (figures["Delivered"], figures["Opened"], figures["Clicked"]) == ("50", "20", "5")
        assert figures["Bounced"] == "2" and figures["Spam reports"] == "1"
        assert page.locator("svg.chart").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # every console page fits a phone, in English and in Hebrew (right to left)
        for path in (
            "/desk/ops/sends",
            f"/desk/ops/sends/markets-en/{today}",
            "/desk/ops/schedule",
            "/desk/ops/sources",
            "/desk/ops/engagement?segment=markets-en",
            "/desk/ops/subscribers?q=reader00001",
        ):
            for lang, direction in (("en", "ltr"), ("he", "rtl")):
                joiner = "&" if "?" in path else "?"
                response = page.goto(f"{server.url}{path}{joiner}lang={lang}")
                assert response.status == 200, path
                assert page.evaluate("document.documentElement.dir") == direction
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375, f"{path} ({lang}) is {width}px wide"
        context.close()
        # an editor cannot reach the controls
        editor = browser.new_context().new_page()
        _sign_in(editor, server.url, EDITOR)
        response = editor.goto(f"{server.url}/desk/ops/sends/markets-en/{today}")
        assert response.status == 403
        assert "Your role does not allow this" in editor.content()
        editor.context.close()


def _store_todays_edition(app: App, today: str) -> None:
    from datetime import date

    from tests.send.helpers import store_edition

    edition = store_edition(app, "markets-en", "approved", with_article=True)
    from sqlalchemy import update

    from digest.store.schema import EditionRow

    with app.engine.begin() as conn:
        conn.execute(
            update(EditionRow)
            .where(EditionRow.id == edition.id)
            .values(edition_date=date.fromisoformat(today))
        )


def _post_events(base: str, signer: Signer, edition_id: int) -> None:
    readers = [f"reader{i:06d}@example.com" for i in range(READERS)]
    now = int(time.time())
    events: list[dict[str, Any]] = []
    for i, r in enumerate(readers[:50]):
        events.append({"email": r, "event": "delivered", "sg_event_id": f"d{i}"})
    for i, r in enumerate(readers[:20]):
        events.append({"email": r, "event": "open", "sg_event_id": f"o{i}"})
        events.append({"email": r, "event": "open", "sg_event_id": f"o2-{i}"})  # again
    for i, r in enumerate(readers[:5]):
        events.append({"email": r, "event": "click", "sg_event_id": f"c{i}", "url": "https://x"})
    events += [
        {"email": readers[50], "event": "bounce", "sg_event_id": "b1", "type": "bounce"},
        {"email": readers[51], "event": "bounce", "sg_event_id": "b2", "type": "blocked"},
        {"email": readers[3], "event": "spamreport", "sg_event_id": "s1"},
    ]
    for e in events:
        e.update(timestamp=now, edition_id=str(edition_id))
    body = json.dumps(events).encode()
    r = httpx.post(f"{base}/webhooks/sendgrid", content=body, headers=signer.headers(body, now))
    assert r.status_code == 200 and r.json()["applied"] == len(events), r.text
