"""A provider that stays down: ``digest send`` stops at once (exit 3), fails nobody, resumes.

SendGrid through the real command (subprocess) and SMTP against aiosmtpd or a closed port.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from digest.send.backoff import Backoff
from digest.send.errors import SendAborted
from digest.send.run import send_edition
from digest.send.transports.smtp import SmtpTransport
from tests.fakes.sendgrid_server import SendGridStandIn
from tests.fakes.smtp_server import RecordingSmtp, smtp_server
from tests.send.cli_support import run_cli, status_json, write_config
from tests.send.helpers import (
    EDITION_DATE,
    add_subscribers,
    reload,
    send_config,
    store_edition,
    variant_for,
)

DAY = EDITION_DATE.isoformat()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: connections are refused


def _sendgrid_config(tmp_path: Path, host: str, db_url: str | None = None) -> Path:
    # one retry: the real command's backoff waits well under a second before it
    return write_config(
        tmp_path,
        db_url,
        kind="sendgrid",
        concurrency=1,
        outage_after_seconds=0,  # the first batch to outlast its retries stops the send
        sendgrid={"host": host, "batch_size": 10, "timeout_seconds": 10, "max_retries": 1},
    )


def _seed(config: Path, new_app, n: int) -> None:
    from digest.config import load_config

    app = new_app(load_config(config))
    add_subscribers(app, n)
    store_edition(app, with_article=True)


def test_cli_send_stops_on_persistent_5xx_with_exit_3_then_resumes_once(
    tmp_path: Path, new_app
) -> None:
    with SendGridStandIn() as sg:
        config = _sendgrid_config(tmp_path, sg.url)
        _seed(config, new_app, 50)
        sg.script("ok", "500", "500")  # batch 0 goes out, batch 1 fails both attempts
        done = run_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--json")
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr
        assert sg.state.request_count == 3  # nothing after the batch that gave up
        report = json.loads(done.stdout)
        assert report["outage"] is True
        assert (report["sent"], report["failed"], report["unknown"]) == (10, 0, 0)
        assert report["pending"] == 40 and report["edition_status"] == "sending"
        message = " ".join(done.stderr.split())
        assert message.startswith("error: the send stopped because the provider looks unavailable")
        assert f"SendGrid at {sg.url}" in message
        assert "SendGrid server error 500: internal error" in message
        assert "2 attempt(s)" in message
        assert "40 recipient(s) are still pending" in message
        assert f"`digest send markets-en --date {DAY}` resumes them" in message

        status = status_json(config, "markets-en", DAY)
        assert (status["status"], status["sent"], status["failed"], status["pending"]) == (
            "sending",
            10,
            0,
            40,
        )

        # the provider recovered: the same command finishes the send, nobody twice
        again = run_cli(config, "send", "markets-en", "--date", DAY, "--yes")
        assert again.returncode == 0, again.stderr
        assert "sent 50, failed 0" in again.stdout and "pending 0" in again.stdout
        counts = sg.delivered_counts()
        assert len(counts) == 50 and set(counts.values()) == {1}
        assert status_json(config, "markets-en", DAY)["status"] == "sent"


def test_cli_send_to_a_closed_port_stops_every_process_and_fails_nobody(
    tmp_path: Path, new_app
) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    config = _sendgrid_config(tmp_path, closed)
    _seed(config, new_app, 200)  # 20 batches: enough for a helper process next to the main one
    done = run_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--workers", "2")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "the provider looks unavailable" in message and f"SendGrid at {closed}" in message
    assert "Connection refused" in message and "200 recipient(s) are still pending" in message
    assert "failed 0" in done.stdout and "pending 200" in done.stdout
    status = status_json(config, "markets-en", DAY)
    assert (status["failed"], status["unknown"], status["pending"]) == (0, 0, 200)
    assert status["status"] == "sending"
    # each of the two processes' one thread tried one batch at most before the stop
    from sqlalchemy import func, select

    from digest.config import load_config
    from digest.store.schema import SendBatchRow

    app = new_app(load_config(config))
    with app.engine.connect() as conn:
        claimed = conn.execute(
            select(func.count()).select_from(SendBatchRow).where(SendBatchRow.attempts > 0)
        ).scalar_one()
    assert 1 <= claimed <= 2

    # the host is fixed in the configuration: the same command resumes and sends everyone once
    with SendGridStandIn() as sg:
        config = _sendgrid_config(tmp_path, sg.url)
        again = run_cli(config, "send", "markets-en", "--date", DAY, "--yes", "--workers", "2")
        assert again.returncode == 0, again.stderr
        counts = sg.delivered_counts()
        assert len(counts) == 200 and set(counts.values()) == {1}


def test_credentials_abort_keeps_its_own_message(tmp_path: Path, new_app) -> None:
    with SendGridStandIn() as sg:
        config = _sendgrid_config(tmp_path, sg.url)
        _seed(config, new_app, 10)
        done = run_cli(
            config, "send", "markets-en", "--date", DAY, "--yes", SENDGRID_API_KEY="SG.wrong"
        )
        assert done.returncode == 3, done.stderr
        assert "refused the API key (401)" in done.stderr
        assert "looks unavailable" not in done.stderr
        assert sg.state.request_count == 1


# -- SMTP ----------------------------------------------------------------------------------


@pytest.fixture
def deferring_smtp():
    handler = RecordingSmtp()
    with smtp_server(handler) as controller:
        yield controller.port, handler


def _smtp_app(tmp_path: Path, port: int, new_app):
    config = send_config(
        tmp_path,
        kind="smtp",
        concurrency=1,
        outage_after_seconds=0,
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "max_retries": 2},
    )
    transport = SmtpTransport(
        config.transport.smtp, batch_size=5, backoff=Backoff(base_seconds=0.01, cap_seconds=0.05)
    )
    return new_app(config, transport=transport)


@pytest.mark.parametrize("reply", ["421 4.3.2 Service not available", "451 4.3.0 Try later"])
def test_smtp_server_deferring_everyone_is_an_outage_then_resumes(
    tmp_path: Path, new_app, deferring_smtp, reply: str
) -> None:
    port, handler = deferring_smtp
    app = _smtp_app(tmp_path, port, new_app)
    add_subscribers(app, 15)
    edition = store_edition(app)
    handler.defer = reply
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    aborted = caught.value
    assert aborted.outage
    assert f"the SMTP server 127.0.0.1:{port}" in aborted.reason and reply[:3] in aborted.reason
    assert "3 attempt(s)" in aborted.reason
    assert handler.deferred == 3  # the first recipient of the first batch, three times
    report = aborted.report
    assert (report.sent, report.failed, report.unknown, report.pending) == (0, 0, 0, 15)
    assert reload(app, edition).status == "sending"

    handler.defer = None
    resumed = send_edition(app, reload(app, edition), variant_for(app.config))
    assert (resumed.sent, resumed.failed, resumed.pending) == (15, 0, 0)
    rcpts = [r for _, rs, _ in handler.messages for r in rs]
    assert len(rcpts) == 15 and len(set(rcpts)) == 15


def test_smtp_server_that_is_not_listening_is_an_outage(tmp_path: Path, new_app) -> None:
    port = _closed_port()
    app = _smtp_app(tmp_path, port, new_app)
    add_subscribers(app, 15)
    edition = store_edition(app)
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    assert caught.value.outage
    assert f"cannot connect to the SMTP server 127.0.0.1:{port}" in caught.value.reason
    report = caught.value.report
    assert (report.sent, report.failed, report.unknown, report.pending) == (0, 0, 0, 15)


def test_an_outage_met_by_a_helper_process_stops_the_send_as_an_outage() -> None:
    from digest.send.email import _merge
    from digest.send.processes import HelperResult
    from digest.send.report import Tally as _Tally

    tally = _Tally()
    _merge(
        tally, [HelperResult(batches=1, fatal="SendGrid at x did not take …", fatal_outage=True)]
    )
    assert tally.fatal is not None and tally.fatal.outage and tally.fatal.fatal
    tally = _Tally()
    _merge(tally, [HelperResult(fatal="SendGrid refused the API key (401)", fatal_status=401)])
    assert tally.fatal is not None and not tally.fatal.outage


def test_digest_run_stops_on_an_outage_with_the_resume_hint(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import yaml

    from digest.config import parse_config
    from digest.demo import SEED, demo_feed_xml, demo_subscribers, seed_articles
    from tests.conftest import config_dict, make_app

    feed = tmp_path / "feed.xml"
    page = SEED.read_text(encoding="utf-8")
    feed.write_text(demo_feed_xml(seed_articles(page), datetime.now(UTC)), encoding="utf-8")
    raw = config_dict(tmp_path)
    raw["sources"] = [{"name": "skn", "url": str(feed)}]
    for segment in raw["segments"]:
        segment["schedule"] = "* * * * *"  # due whenever the test runs
    raw["transport"].update(
        kind="sendgrid",
        concurrency=1,
        outage_after_seconds=0,
        sendgrid={"host": f"http://127.0.0.1:{_closed_port()}", "max_retries": 0},
    )
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    app = make_app(parse_config(raw, "test-config"))
    from digest.store.subscribers import upsert_subscribers

    with app.engine.begin() as conn:
        upsert_subscribers(conn, demo_subscribers(app.config), datetime.now(UTC), source="test")
    app.engine.dispose()

    done = run_cli(config, "run")
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    message = " ".join(done.stderr.split())
    assert "the send stopped because the provider looks unavailable" in message
    assert "Nobody was marked failed for it" in message
    assert "resumes them" in message
    assert "summary:" in done.stdout  # the run still reports what it did before stopping
