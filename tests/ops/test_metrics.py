"""/metrics: Prometheus text that parses, and counters that equal the ledger and the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from digest import lifecycle
from digest.app import App
from digest.config import Secrets
from digest.metrics import build_registry, render
from digest.scheduling.values import ScheduleRun
from digest.send.workers import is_dead_worker
from digest.store.feeds import record_fetch_error, record_fetch_ok
from digest.store.ledger import delivery_counts
from digest.store.monitoring import record_provider_answers
from digest.store.schedule_runs import record_run
from digest.store.schema import EditionRow, LedgerSummaryRow, SendBatchRow
from digest.web import create_app
from tests.conftest import TEST_SECRET, FixedClock
from tests.ops.helpers import samples, sent_edition, set_delivery_status, value
from tests.send.helpers import EDITION_DATE, NOW, send_config

OUTCOMES = ("sent", "failed", "suppressed")


def scrape(app: App) -> dict:
    return samples(render(build_registry(app)).decode())


def ledger_sums(app: App, segment: str) -> dict[str, int]:
    """What `digest status` would add up for every edition of the segment."""
    from sqlalchemy import select

    totals = {k: 0 for k in ("recipients", *OUTCOMES, "unknown", "pending", "in_flight")}
    with app.engine.connect() as conn:
        ids = conn.execute(select(EditionRow.id).where(EditionRow.segment == segment)).scalars()
        for eid in list(ids):
            counts = delivery_counts(conn, eid, now=app.clock(), is_dead=is_dead_worker)
            for key in totals:
                totals[key] += getattr(counts, key)
    return totals


def test_recipient_counters_equal_the_ledger(
    new_app: Callable[..., App], tmp_path: Path, db_url: str
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    edition = sent_edition(app, 12)
    assert edition.id is not None
    with app.engine.connect() as conn:
        ids = sorted(
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT subscriber_id FROM deliveries WHERE edition_id = {edition.id}"
            )
        )
    set_delivery_status(app, edition.id, ids[:2], "failed")
    set_delivery_status(app, edition.id, ids[2:3], "suppressed")
    first = scrape(app)
    expected = ledger_sums(app, "markets-en")
    assert expected["sent"] == 9
    for outcome in OUTCOMES:
        assert (
            value(first, "digest_recipients_total", segment="markets-en", outcome=outcome)
            == (expected[outcome])
        )
    assert value(first, "digest_recipients_planned_total", segment="markets-en") == 12
    assert value(first, "digest_recipients_unknown", segment="markets-en") == 0
    assert value(first, "digest_batches", segment="markets-en", status="accepted") == 1
    # the finished edition's counts are kept and read back the same
    with app.engine.connect() as conn:
        kept = conn.execute(LedgerSummaryRow.__table__.select()).all()
    assert [k.edition_id for k in kept] == [edition.id]
    assert _figures(scrape(app)) == _figures(first)


def _figures(scrape: dict) -> dict:
    return {k: v for k, v in scrape.items() if k[0] != "digest_scrape_database_seconds"}


def test_a_reopened_edition_is_counted_afresh(
    new_app: Callable[..., App], tmp_path: Path, db_url: str
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    edition = sent_edition(app, 6)
    assert edition.id is not None
    assert value(scrape(app), "digest_recipients_total", segment="markets-en", outcome="sent") == 6
    with app.engine.begin() as conn:
        # a worker died mid-batch: its recipients are unknown, the edition open again
        lifecycle.reopen(conn, edition.id, actor="test", now=NOW)
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.edition_id == edition.id)
            .values(status="unknown")
        )
    after = scrape(app)
    assert value(after, "digest_recipients_total", segment="markets-en", outcome="sent") == 0
    assert value(after, "digest_recipients_unknown", segment="markets-en") == 6
    assert value(after, "digest_editions_open", segment="markets-en", state="sending") == 1


def test_oldest_pending_batch_age_counts_due_batches_of_sending_editions(
    new_app: Callable[..., App], tmp_path: Path
) -> None:
    clock = FixedClock(NOW)
    app = new_app(send_config(tmp_path), clock)
    edition = sent_edition(app, 4)
    assert edition.id is not None
    assert value(scrape(app), "digest_oldest_pending_batch_age_seconds") == 0
    with app.engine.begin() as conn:
        lifecycle.reopen(conn, edition.id, actor="test", now=NOW)
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.edition_id == edition.id)
            .values(status="pending", not_before=NOW + timedelta(minutes=5))
        )
    clock.now = NOW + timedelta(minutes=2)
    assert value(scrape(app), "digest_oldest_pending_batch_age_seconds") == 0  # not due yet
    clock.now = NOW + timedelta(minutes=65)
    assert value(scrape(app), "digest_oldest_pending_batch_age_seconds") == 3600
    with app.engine.begin() as conn:
        lifecycle.pause(conn, edition.id, actor="test", now=NOW)
    assert value(scrape(app), "digest_oldest_pending_batch_age_seconds") == 0  # on purpose


def test_runs_sources_answers_and_subscribers_equal_their_tables(
    new_app: Callable[..., App], tmp_path: Path, db_url: str
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    edition = sent_edition(app, 3)
    assert edition.id is not None
    with app.engine.begin() as conn:
        for i, outcome in enumerate(("sent", "missed", "failed", "failed")):
            record_run(
                conn,
                ScheduleRun(
                    segment="markets-en",
                    edition_date=EDITION_DATE - timedelta(days=i),
                    due_at=NOW - timedelta(days=i),
                    ran_at=NOW,
                    outcome=outcome,
                    reason=None,
                    host="test",
                ),
            )
        record_fetch_ok(conn, "seed", now=NOW, etag=None, last_modified=None, items_seen=1)
        record_fetch_error(conn, "seed", now=NOW, error="HTTP 503")
        record_fetch_error(conn, "wire", now=NOW, error="timed out")
        record_provider_answers(conn, edition.id, "sendgrid", {"202": 3, "429": 2}, NOW)
        record_provider_answers(conn, edition.id, "sendgrid", {"202": 1, "500": 1}, NOW)
    s = scrape(app)
    assert value(s, "digest_scheduler_runs_total", segment="markets-en", outcome="failed") == 2
    assert value(s, "digest_scheduler_runs_total", segment="markets-en", outcome="missed") == 1
    assert value(s, "digest_ingest_items_total", source="seed") == 1  # the stored article
    assert value(s, "digest_ingest_fetches_total", source="seed") == 2
    assert value(s, "digest_ingest_errors_total", source="seed") == 1
    assert value(s, "digest_ingest_errors_total", source="wire") == 1
    assert value(s, "digest_provider_answers_total", transport="sendgrid", code="202") == 4
    assert value(s, "digest_provider_answers_total", transport="sendgrid", code="429") == 2
    assert value(s, "digest_subscribers", status="active") == 3
    assert value(s, "digest_database_up") == 1


def test_a_database_that_does_not_answer_is_reported_not_raised(
    new_app: Callable[..., App], tmp_path: Path
) -> None:
    from digest.app import build

    config = send_config(tmp_path).model_copy(deep=True)
    broken = config.model_copy(
        update={
            "database": config.database.model_copy(
                update={"url": f"sqlite:///{tmp_path}/no/such/dir/x.db"}
            )
        }
    )
    app = build(broken, Secrets(secret_key=TEST_SECRET), clock=FixedClock(NOW))
    try:
        s = scrape(app)
    finally:
        app.engine.dispose()
    assert value(s, "digest_database_up") == 0
    assert not [k for k in s if k[0].startswith("digest_recipients")]


@pytest.fixture
def metrics_app(new_app: Callable[..., App], tmp_path: Path) -> App:
    app = new_app(send_config(tmp_path))
    sent_edition(app, 5)
    return app


def test_web_metrics_serves_the_text_format_to_this_host(metrics_app: App) -> None:
    with TestClient(create_app(metrics_app)) as client:
        r = client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        s = samples(r.text)
        assert value(s, "digest_recipients_total", segment="markets-en", outcome="sent") == 5
        proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
        assert "DIGEST_METRICS_TOKEN" in proxied.json()["error"]


def test_web_metrics_with_a_token_needs_it(new_app: Callable[..., App], tmp_path: Path) -> None:
    token = "metrics-token-0123456789abcdef0123456789"
    app = new_app(
        send_config(tmp_path), secrets=Secrets(secret_key=TEST_SECRET, metrics_token=token)
    )
    with TestClient(create_app(app)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "WWW-Authenticate" in wrong.headers
        ok = client.get(
            "/metrics",
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9"},
        )
        assert ok.status_code == 200
        assert value(samples(ok.text), "digest_database_up") == 1


def test_provider_answers_are_counted_per_status_code_as_the_send_goes(
    new_app: Callable[..., App], tmp_path: Path, db_url: str, standin: object
) -> None:
    from digest.send.run import send_edition
    from tests.send.helpers import variant_for
    from tests.send.test_provider_faults import _setup

    sg = standin
    app, edition = _setup(tmp_path, sg, new_app, n=25, batch_size=10, db_url=db_url)
    sg.script("500", "429")  # type: ignore[attr-defined]
    report = send_edition(app, edition, variant_for(app.config), actor="test")
    assert report.sent == 25
    s = scrape(app)
    assert value(s, "digest_provider_answers_total", transport="sendgrid", code="500") == 1
    assert value(s, "digest_provider_answers_total", transport="sendgrid", code="429") == 1
    assert value(s, "digest_provider_answers_total", transport="sendgrid", code="202") == 3
