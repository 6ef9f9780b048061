"""Provider faults through the real SendGrid client: waits, retries, splits, stops, unknowns."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.send.backoff import Backoff
from digest.send.dispatcher import send_edition
from digest.send.errors import SendAborted
from digest.send.sendgrid import SendGridTransport
from digest.store.deliveries import delivery_counts
from tests.send.helpers import add_subscribers, reload, send_config, store_edition, variant_for


def _setup(tmp_path: Path, sg, new_app, n: int = 30, batch_size: int = 10, timeout: float = 2):
    config = send_config(
        tmp_path,
        kind="sendgrid",
        concurrency=1,
        sendgrid={
            "host": sg.url,
            "batch_size": batch_size,
            "timeout_seconds": timeout,
            "max_retries": 3,
        },
    )
    from tests.fakes.sendgrid_server import VALID_KEY

    transport = SendGridTransport(
        VALID_KEY, config.transport.sendgrid, backoff=Backoff(base_seconds=0.01, cap_seconds=0.05)
    )
    app = new_app(config, transport=transport)
    add_subscribers(app, n)
    return app, store_edition(app)


def _counts(app, edition):
    with app.engine.connect() as conn:
        return delivery_counts(conn, edition.id)


def test_429_and_5xx_are_retried_and_everyone_gets_one_copy(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.script("429-bare", "500", "503", "ok", "429-retry-after", "429")
    report = send_edition(app, edition, variant_for(app.config))
    assert report.sent == 30 and report.failed == 0 and report.unknown == 0
    assert set(standin.delivered_counts().values()) == {1}
    assert standin.state.responses["429"] == 3 and standin.state.responses["500"] == 1
    assert standin.state.invalid == []


def test_retries_are_bounded(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app, n=10)
    standin.script("500", "500", "500", "500", "500")
    report = send_edition(app, edition, variant_for(app.config))
    assert report.failed == 10 and report.sent == 0
    assert standin.state.request_count == 4  # the first try and three retries
    with app.engine.connect() as conn:
        from sqlalchemy import select

        from digest.store.schema import DeliveryRow

        errors = set(conn.execute(select(DeliveryRow.error)).scalars())
    assert errors == {"gave up after 4 attempt(s): SendGrid server error 500: internal error"}


def test_connection_dropped_after_acceptance_is_unknown_not_resent(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.script("ok", "drop-after")
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.unknown) == (20, 10)
    assert set(standin.delivered_counts().values()) == {1}
    assert len(standin.delivered_counts()) == 30
    # running again does not re-send the unknown batch…
    again = send_edition(app, reload(app, edition), variant_for(app.config))
    assert again.sent_now == 0 and again.unknown == 10
    # …unless ops ask for it
    retried = send_edition(app, reload(app, edition), variant_for(app.config), retry_unknown=True)
    assert retried.unknown == 0 and retried.sent == 30
    assert sorted(standin.delivered_counts().values()).count(2) == 10


def test_unreachable_provider_is_retried_then_failed_and_nothing_is_unknown(tmp_path, new_app):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections are refused

    class Closed:
        url = f"http://127.0.0.1:{port}"

    app, edition = _setup(tmp_path, Closed, new_app, n=5)
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.failed, report.unknown) == (5, 0)
    with app.engine.connect() as conn:
        from sqlalchemy import select

        from digest.store.schema import DeliveryRow

        error = conn.execute(select(DeliveryRow.error)).scalars().first()
    assert "cannot reach SendGrid" in error and "4 attempt(s)" in error


def test_slow_answer_beyond_the_timeout_is_unknown(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app, n=10, timeout=0.5)
    standin.state.slow_seconds = 1.5
    standin.script("slow")
    report = send_edition(app, edition, variant_for(app.config))
    assert report.unknown == 10 and report.sent == 0


def test_bad_recipients_are_isolated_and_the_rest_sent(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.reject(["reader000003@example.com", "reader000017@example.com"])
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.failed) == (28, 2)
    assert "reader000003@example.com" not in standin.delivered_counts()
    assert reload(app, edition).status == "sent"


def test_opaque_400_is_split_until_the_culprit_is_found(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app, n=8, batch_size=8)
    standin.script("400-opaque", "ok", "400-opaque", "400-opaque", "ok", "400-opaque")
    report = send_edition(app, edition, variant_for(app.config))
    assert report.sent + report.failed == 8 and report.failed >= 1
    assert set(standin.delivered_counts().values()) == {1}


def test_bad_key_stops_at_once_and_a_fixed_key_resumes(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.script("ok", "401")
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    assert "API key" in caught.value.reason
    assert caught.value.report.sent == 10 and caught.value.report.pending == 20
    assert standin.state.request_count == 2
    assert reload(app, edition).status == "sending"
    report = send_edition(app, reload(app, edition), variant_for(app.config))
    assert report.sent == 30 and set(standin.delivered_counts().values()) == {1}


def test_message_level_400_stops_without_failing_recipients(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.script("400-message")
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    assert "from.email" in caught.value.reason
    assert _counts(app, edition).pending == 30


def test_ineligible_at_send_time_are_suppressed(tmp_path, standin, new_app):
    from sqlalchemy import update

    from digest.store.schema import SubscriberRow

    app, edition = _setup(tmp_path, standin, new_app, n=10)
    from digest.send import dispatcher

    # the ledger is planned, then two readers leave before their batch goes out
    variant = variant_for(app.config)
    real_claim = dispatcher._Job._claim
    changed = []

    def claim_after_unsubscribe(self, *args):
        if not changed:
            with app.engine.begin() as conn:
                conn.execute(
                    update(SubscriberRow)
                    .where(
                        SubscriberRow.email.in_(
                            ["reader000001@example.com", "reader000002@example.com"]
                        )
                    )
                    .values(status="unsubscribed")
                )
            changed.append(1)
        return real_claim(self, *args)

    dispatcher._Job._claim = claim_after_unsubscribe
    try:
        report = send_edition(app, edition, variant)
    finally:
        dispatcher._Job._claim = real_claim
    assert (report.sent, report.suppressed) == (8, 2)
    assert "reader000001@example.com" not in standin.delivered_counts()
