"""Outbox files and SMTP (aiosmtpd on 127.0.0.1): one complete message per recipient."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from digest.send.run import send_edition
from digest.send.transports.smtp import SmtpTransport
from tests.fakes.smtp_server import RecordingSmtp
from tests.fakes.smtp_server import smtp_server as run_smtp
from tests.send.helpers import add_subscribers, reload, send_config, store_edition, variant_for


def test_outbox_writes_one_file_per_recipient_and_never_twice(tmp_path: Path, new_app):
    app = new_app(send_config(tmp_path, kind="outbox"))
    ids = add_subscribers(app, 12)
    edition = store_edition(app)
    report = send_edition(app, edition, variant_for(app.config))
    assert report.sent == 12
    files = sorted((tmp_path / "outbox").rglob("*.eml"))
    assert len(files) == 12
    assert not list((tmp_path / "outbox").rglob("*.tmp"))
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec.startswith("reader")
    assert "/u/" in msg["List-Unsubscribe"] and msg["List-Id"]
    html = msg.get_body(("html",)).get_content()
    assert "%%digest-" not in html and "Reader " in html
    # a resumed send of the same batch keeps the existing files and writes no second copy
    with app.engine.begin() as conn:
        from sqlalchemy import update

        from digest.store.schema import DeliveryRow, SendBatchRow

        conn.execute(update(SendBatchRow).values(status="unknown"))
        conn.execute(update(DeliveryRow).values(status="unknown"))
    again = send_edition(app, reload(app, edition), variant_for(app.config), retry_unknown=True)
    assert again.sent == 12 and len(list((tmp_path / "outbox").rglob("*.eml"))) == 12
    assert ids


@pytest.fixture
def smtp_server():
    handler = RecordingSmtp(refuse={"reader000004": "550 5.1.1 no such user"})
    with run_smtp(handler) as controller:
        yield controller, handler


def test_smtp_sends_each_recipient_over_a_reused_connection(tmp_path: Path, new_app, smtp_server):
    controller, handler = smtp_server
    port = controller.port
    config = send_config(
        tmp_path,
        kind="smtp",
        concurrency=1,
        smtp={"host": "127.0.0.1", "port": port, "security": "none"},
    )
    app = new_app(config, transport=SmtpTransport(config.transport.smtp, batch_size=4))
    add_subscribers(app, 10)
    edition = store_edition(app)
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.failed) == (9, 1)
    assert len(handler.messages) == 9
    rcpts = [r for _, rs, _ in handler.messages for r in rs]
    assert len(set(rcpts)) == 9
    msg = email.message_from_bytes(handler.messages[0][2], policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "digest@skn.example"
    with app.engine.connect() as conn:
        from sqlalchemy import select

        from digest.store.schema import DeliveryRow

        errors = [e for e in conn.execute(select(DeliveryRow.error)).scalars() if e]
    assert errors and "550" in errors[0]
