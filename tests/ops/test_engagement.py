"""Engagement from signed SendGrid events: counts, distinct readers, rates, timeline, audience."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from digest.app import App
from digest.config import Secrets
from digest.engagement import (
    audience_over_time,
    edition_engagement,
    engagement_timeline,
    record_audiences,
    segment_engagement,
)
from digest.metrics import build_registry, render
from digest.store.db import alembic_config, make_engine
from digest.store.engagement import engagement_totals, recount_engagement
from digest.store.schema import EngagementCountRow
from digest.web import create_app
from tests.conftest import TEST_SECRET, FixedClock
from tests.ops.helpers import samples, sent_edition, value
from tests.send.helpers import EDITION_DATE, NOW, send_config
from tests.web.test_sendgrid_webhook import Signer


def _event(kind: str, email: str, n: int, edition_id: int, at: int, **extra: Any) -> dict:
    return {
        "email": email,
        "timestamp": at,
        "event": kind,
        "sg_event_id": f"evt-{kind}-{n}",
        "edition_id": str(edition_id),
        **extra,
    }


def _post(client: TestClient, signer: Signer, app: App, events: list[dict]) -> Any:
    body = json.dumps(events).encode()
    return client.post(
        "/webhooks/sendgrid",
        content=body,
        headers=signer.headers(body, int(app.clock().timestamp())),
    )


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def hook_app(new_app: Callable[..., App], tmp_path: Path, db_url: str, signer: Signer) -> App:
    return new_app(
        send_config(tmp_path, db_url),
        FixedClock(NOW),
        secrets=Secrets(secret_key=TEST_SECRET, sendgrid_webhook_public_key=signer.public_b64),
    )


def test_posted_events_become_counts_readers_and_rates(hook_app: App, signer: Signer) -> None:
    edition = sent_edition(hook_app, 10)
    eid = edition.id or 0
    t0 = int(NOW.timestamp())
    readers = [f"markets-en-r{i:06d}@example.com" for i in range(10)]
    events = [_event("processed", r, i, eid, t0) for i, r in enumerate(readers)]
    events += [_event("delivered", r, 100 + i, eid, t0 + 60) for i, r in enumerate(readers[:8])]
    events += [_event("bounce", readers[8], 200, eid, t0 + 90, type="bounce")]
    events += [_event("dropped", readers[9], 201, eid, t0 + 90, reason="Bounced Address")]
    # four readers open (one of them three times, over three hours), two click
    events += [_event("open", r, 300 + i, eid, t0 + 3600) for i, r in enumerate(readers[:4])]
    events += [_event("open", readers[0], 310 + i, eid, t0 + 7200 * (i + 1)) for i in range(2)]
    events += [_event("click", readers[0], 400, eid, t0 + 3700, url="https://x.example/a")]
    events += [_event("click", readers[1], 401, eid, t0 + 3700, url="https://x.example/b")]
    events += [_event("spamreport", readers[3], 500, eid, t0 + 4000)]
    events += [_event("group_unsubscribe", readers[2], 600, eid, t0 + 4000, asm_group_id=1)]
    with TestClient(create_app(hook_app)) as client:
        assert _post(client, signer, hook_app, events).json()["applied"] == len(events)
        again = _post(client, signer, hook_app, events[:5])  # SendGrid retries a post
        assert again.json()["duplicates"] == 5
    figures = edition_engagement(hook_app, "markets-en", EDITION_DATE)
    assert figures is not None and figures.sent == 10
    c = figures.counts
    assert (c["processed"], c["delivered"], c["bounced"], c["dropped"]) == (10, 8, 1, 1)
    assert (c["opened"], c["opens"], c["clicked"], c["clicks"]) == (4, 6, 2, 2)
    assert (c["spam_reports"], c["unsubscribes"]) == (1, 1)
    r = figures.rates
    assert r["delivered"] == 0.8 and r["opened"] == 0.5 and r["clicked"] == 0.25
    assert r["click_to_open"] == 0.5 and r["bounced"] == 0.1 and r["spam_reports"] == 0.125
    # events over time: hourly steps from the send's start
    timeline = engagement_timeline(hook_app, figures)
    assert timeline.step == timedelta(hours=1)
    assert sum(timeline.series["open"]) == 6 and sum(timeline.series["delivered"]) == 8
    start_hour = int((NOW - timeline.start) / timeline.step)
    assert timeline.series["delivered"][start_hour] == 8
    assert timeline.series["open"][start_hour + 1] == 4
    # the last 30 editions of the segment, and the metrics, say the same
    assert [f.edition_id for f in segment_engagement(hook_app, "markets-en")] == [eid]
    s = samples(render(build_registry(hook_app)).decode())
    assert value(s, "digest_provider_events_applied_total", event="open") == 6
    assert value(s, "digest_provider_events_applied_total", event="processed") == 10
    # rebuilding the counts from the stored events gives the same figures
    with hook_app.engine.begin() as conn:
        before = engagement_totals(conn, [eid])
        assert recount_engagement(conn, eid) == len(events)
        assert engagement_totals(conn, [eid]) == before


def test_events_stored_before_the_counts_existed_are_counted_by_the_migration(
    tmp_path: Path, db_url: str
) -> None:
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0005")
        with engine.begin() as conn:
            rows = [
                {
                    "provider": "sendgrid",
                    "event_id": f"e{i}",
                    "event": kind,
                    "email": email,
                    "edition_id": 7,
                    "occurred_at": NOW + timedelta(minutes=m),
                    "received_at": NOW,
                    "payload": "{}",
                }
                for i, (kind, email, m) in enumerate(
                    [
                        ("delivered", "a@x.example", 1),
                        ("open", "a@x.example", 70),
                        ("open", "a@x.example", 80),
                        ("open", "b@x.example", 90),
                    ]
                )
            ]
            from sqlalchemy import column, table

            conn.execute(
                insert(
                    table(
                        "provider_events",
                        *(column(k) for k in rows[0]),
                    )
                ),
                rows,
            )
        command.upgrade(alembic_config(engine), "heads")
        with engine.connect() as conn:
            totals = engagement_totals(conn, [7])[7]
            hours = conn.execute(
                select(EngagementCountRow.hour).where(EngagementCountRow.event == "open")
            ).scalars()
            assert {h.replace(tzinfo=None) for h in hours} == {
                (NOW + timedelta(hours=1)).replace(tzinfo=None)
            }
    finally:
        engine.dispose()
    assert (totals["open"].events, totals["open"].recipients) == (3, 2)
    assert (totals["delivered"].events, totals["delivered"].recipients) == (1, 1)


def test_audience_per_day_is_recorded_and_today_read_live(
    new_app: Callable[..., App], tmp_path: Path
) -> None:
    from tests.send.helpers import add_subscribers

    clock = FixedClock(NOW - timedelta(days=2))
    app = new_app(send_config(tmp_path), clock)
    add_subscribers(app, 3)
    record_audiences(app)
    clock.now = NOW - timedelta(days=1)
    add_subscribers(app, 2, prefix="later")
    record_audiences(app)
    record_audiences(app)  # the same day again: one point, the latest figures
    clock.now = NOW
    add_subscribers(app, 4, prefix="today")
    points = audience_over_time(app, "markets-en", days=30)
    assert [(p.day, p.subscribers, p.eligible) for p in points] == [
        ((NOW - timedelta(days=2)).date(), 3, 3),
        ((NOW - timedelta(days=1)).date(), 5, 5),
        (NOW.date(), 9, 9),
    ]
