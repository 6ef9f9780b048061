"""Provider faults through the real SendGrid client: waits, retries, splits, stops, unknowns."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.send.backoff import Backoff
from digest.send.errors import SendAborted
from digest.send.run import send_edition
from digest.send.transports.sendgrid import SendGridTransport
from digest.store.ledger import delivery_counts
from tests.send.helpers import add_subscribers, reload, send_config, store_edition, variant_for


def _sendgrid_app(
    tmp_path: Path,
    host: str,
    new_app,
    *,
    batch_size=10,
    timeout=2,
    concurrency=1,
    db_url=None,
    outage_after=0.0,
):
    """An app on tmp_path's database (or ``db_url``) sending to ``host`` with quick retries.

    ``outage_after`` 0 (the default here) stops the send as an outage the first time a batch
    outlasts its retries; larger values set such batches aside until then.
    """
    config = send_config(
        tmp_path,
        db_url,
        kind="sendgrid",
        concurrency=concurrency,
        outage_after_seconds=outage_after,
        sendgrid={
            "host": host,
            "batch_size": batch_size,
            "timeout_seconds": timeout,
            "max_retries": 3,
        },
    )
    from tests.fakes.sendgrid_server import VALID_KEY

    transport = SendGridTransport(
        VALID_KEY, config.transport.sendgrid, backoff=Backoff(base_seconds=0.01, cap_seconds=0.05)
    )
    return new_app(config, transport=transport)


def _setup(
    tmp_path: Path, sg, new_app, n: int = 30, batch_size: int = 10, timeout: float = 2, **kw
):
    app = _sendgrid_app(tmp_path, sg.url, new_app, batch_size=batch_size, timeout=timeout, **kw)
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


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: connections are refused


def _ledger(app):
    """(delivery statuses, delivery errors, {batch seq: (status, attempts, error)})."""
    from sqlalchemy import select

    from digest.store.schema import DeliveryRow, SendBatchRow

    with app.engine.connect() as conn:
        deliveries = conn.execute(select(DeliveryRow.status, DeliveryRow.error)).all()
        batches = conn.execute(
            select(SendBatchRow.seq, SendBatchRow.status, SendBatchRow.attempts, SendBatchRow.error)
        ).all()
    return (
        {d.status for d in deliveries},
        {d.error for d in deliveries},
        {b.seq: (b.status, b.attempts, b.error) for b in batches},
    )


def test_5xx_that_clears_within_the_retries_is_no_outage(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app)
    standin.script("500", "503", "500")  # three failures, then the fourth attempt is taken
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.failed, report.pending) == (30, 0, 0)
    assert set(standin.delivered_counts().values()) == {1} and len(standin.delivered_counts()) == 30
    assert reload(app, edition).status == "sent"


def test_persistent_5xx_is_an_outage_that_stops_the_send_and_fails_nobody(
    tmp_path, standin, new_app
):
    app, edition = _setup(tmp_path, standin, new_app, n=30, batch_size=10)
    standin.script("ok", "500", "500", "500", "500")
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    aborted = caught.value
    assert aborted.outage
    assert standin.state.request_count == 5  # batch 0, then four tries of batch 1; no batch 2
    assert f"SendGrid at {standin.url}" in aborted.reason
    assert "4 attempt(s)" in aborted.reason and "SendGrid server error 500" in aborted.reason
    report = aborted.report
    assert (report.sent, report.failed, report.unknown, report.pending) == (10, 0, 0, 20)
    statuses, errors, batches = _ledger(app)
    # nobody failed: the accepted batch's rows stay pending (the batch records them as sent)
    assert statuses == {"pending"} and errors == {None}
    assert [batches[seq][0] for seq in sorted(batches)] == ["accepted", "pending", "pending"]
    assert batches[1][2] == aborted.reason and batches[2][1] == 0  # never claimed
    assert reload(app, edition).status == "sending"
    # the provider is back: the next run sends the other 20, nobody twice
    resumed = send_edition(app, reload(app, edition), variant_for(app.config))
    assert (resumed.sent, resumed.failed, resumed.pending, resumed.sent_now) == (30, 0, 0, 20)
    assert set(standin.delivered_counts().values()) == {1} and len(standin.delivered_counts()) == 30
    assert reload(app, edition).status == "sent"


def test_a_batch_that_outlasts_its_retries_is_set_aside_and_sent_after_the_others(
    tmp_path, standin, new_app
):
    app, edition = _setup(tmp_path, standin, new_app, n=30, batch_size=10, outage_after=30)
    standin.script("500", "500", "500", "500")  # batch 0 outlasts its four tries
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.failed, report.pending, report.unknown) == (30, 0, 0, 0)
    assert set(standin.delivered_counts().values()) == {1} and len(standin.delivered_counts()) == 30
    order = [d.email for d in standin.state.deliveries]
    assert order[:10] == [f"reader{i:06d}@example.com" for i in range(10, 20)]  # batch 1 next
    assert order[-10:] == [f"reader{i:06d}@example.com" for i in range(10)]  # batch 0 last
    _, _, batches = _ledger(app)
    assert batches[0][:2] == ("accepted", 2) and batches[1][:2] == ("accepted", 1)
    assert standin.state.request_count == 4 + 3
    assert reload(app, edition).status == "sent"


def test_a_batch_the_provider_never_takes_fails_alone_while_the_rest_is_sent(
    tmp_path, standin, new_app
):
    app, edition = _setup(tmp_path, standin, new_app, n=30, batch_size=10, outage_after=30)
    standin.choke(["reader000003@example.com"])  # every request for batch 0 gets a 500
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.failed, report.pending, report.unknown) == (20, 10, 0, 0)
    assert len(standin.delivered_counts()) == 20
    assert "reader000003@example.com" not in standin.delivered_counts()
    statuses, errors, batches = _ledger(app)
    assert batches[0][:2] == ("failed", 3)  # three rounds of four tries
    (reason,) = errors - {None}
    assert reason.startswith("gave up after 4 attempt(s) in each of 3 rounds")
    assert "SendGrid server error 500" in reason
    assert standin.state.responses["500"] == 12
    assert reload(app, edition).status == "sent"


def test_an_unreachable_provider_is_an_outage_once_nothing_went_through_for_a_while(
    tmp_path, new_app
):
    app, edition = _setup(
        tmp_path,
        type("Down", (), {"url": f"http://127.0.0.1:{_closed_port()}"})(),
        new_app,
        n=50,
        batch_size=10,
        outage_after=0.3,
    )
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    aborted = caught.value
    assert aborted.outage and "Connection refused" in aborted.reason
    report = aborted.report
    assert (report.sent, report.failed, report.unknown, report.pending) == (0, 0, 0, 50)
    statuses, _errors, batches = _ledger(app)
    assert statuses == {"pending"}
    assert all(status == "pending" for status, _a, _e in batches.values())
    # batches were set aside in turn (fewest attempts first) until the quiet spell ended
    assert sum(attempts for _s, attempts, _e in batches.values()) >= 2
    assert reload(app, edition).status == "sending"


def test_rate_limit_beyond_the_wait_budget_is_an_outage(tmp_path, standin, new_app):
    app, edition = _setup(tmp_path, standin, new_app, n=20)
    standin.script(*["429-bare"] * 11)  # ten waits allowed, the eleventh 429 gives up
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    assert caught.value.outage and "429" in caught.value.reason
    assert "11 attempt(s)" in caught.value.reason
    assert (caught.value.report.failed, caught.value.report.pending) == (0, 20)
    assert standin.state.request_count == 11


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


@pytest.mark.parametrize("concurrency", [1, 3])
def test_unreachable_provider_stops_after_one_batch_and_resumes_once_reachable(
    tmp_path, standin, new_app, db_url, concurrency
):
    class Closed:
        url = f"http://127.0.0.1:{_closed_port()}"

    app, edition = _setup(tmp_path, Closed, new_app, n=50, concurrency=concurrency, db_url=db_url)
    with pytest.raises(SendAborted) as caught:
        send_edition(app, edition, variant_for(app.config))
    aborted = caught.value
    assert aborted.outage
    assert (
        f"SendGrid at {Closed.url}" in aborted.reason and "cannot reach SendGrid" in aborted.reason
    )
    report = aborted.report
    assert (report.sent, report.failed, report.unknown, report.pending) == (0, 0, 0, 50)
    statuses, errors, batches = _ledger(app)
    assert statuses == {"pending"} and errors == {None}
    assert {b[0] for b in batches.values()} == {"pending"}
    # one batch per worker thread was tried, and the stop ended the others' waits: the
    # other batches were never claimed
    claimed = [seq for seq, b in batches.items() if b[1]]
    assert 1 <= len(claimed) <= concurrency and len(batches) == 5
    if concurrency == 1:
        assert "4 attempt(s)" in aborted.reason
    assert reload(app, edition).status == "sending"
    # the host is fixed: the same edition, the same database, a reachable provider
    fixed = _sendgrid_app(tmp_path, standin.url, new_app, db_url=db_url)
    resumed = send_edition(fixed, reload(fixed, edition), variant_for(fixed.config))
    assert (resumed.sent, resumed.failed, resumed.pending) == (50, 0, 0)
    assert set(standin.delivered_counts().values()) == {1} and len(standin.delivered_counts()) == 50


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
    from digest.store.ledger.session import SqlLedgerSession

    # the ledger is planned, then two readers leave before their batch goes out
    variant = variant_for(app.config)
    real_claim = SqlLedgerSession.claim
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

    SqlLedgerSession.claim = claim_after_unsubscribe  # type: ignore[method-assign]
    try:
        report = send_edition(app, edition, variant)
    finally:
        SqlLedgerSession.claim = real_claim  # type: ignore[method-assign]
    assert (report.sent, report.suppressed) == (8, 2)
    assert "reader000001@example.com" not in standin.delivered_counts()
