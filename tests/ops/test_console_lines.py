"""The Sends lines: due-today lines, per-time-zone groups, rate and ETA of a running send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from digest.config import parse_config
from digest.console import SCHEDULED, send_detail, send_lines
from digest.send.run import send_edition
from digest.store.schema import SendBatchRow
from tests.conftest import FixedClock, config_dict
from tests.send.helpers import add_subscribers, store_edition, variant_for

FIVE = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)


def _local_app(tmp_path: Path, new_app, clock: FixedClock):
    raw = config_dict(tmp_path)
    raw["segments"][0]["local_time_delivery"] = True  # markets-en: "0 7 * * *"
    return new_app(parse_config(raw, "test"), clock)


def test_a_local_time_edition_shows_each_zone_and_when_it_is_due(tmp_path: Path, new_app) -> None:
    clock = FixedClock(FIVE)
    app = _local_app(tmp_path, new_app, clock)
    zones = ["Asia/Tokyo", "Europe/London", "America/New_York"]
    add_subscribers(app, 9, timezone=lambda i: zones[i % 3])
    edition = store_edition(app)
    send_edition(app, edition, variant_for(app.config))  # only Tokyo is due at 05:00
    detail = send_detail(app, "markets-en", edition.edition_date)
    assert detail is not None and detail.line.state == "sending"
    groups = {g.timezone: g for g in detail.groups}
    assert (groups["Asia/Tokyo"].sent, groups["Asia/Tokyo"].pending) == (3, 0)
    assert groups["Europe/London"].due_at == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    assert (groups["America/New_York"].pending, groups["America/New_York"].sent) == (3, 0)
    assert [g.timezone for g in detail.groups] == ["Asia/Tokyo", "Europe/London",
                                                   "America/New_York"]  # fmt: skip
    assert detail.line.next_due == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    assert detail.line.counts.held == 6
    assert detail.line.eta is None  # nothing due now: the rest waits for its clock


def test_rate_and_eta_of_a_running_send(tmp_path: Path, new_app) -> None:
    clock = FixedClock(FIVE)
    app = new_app(parse_config(config_dict(tmp_path), "test"), clock)
    add_subscribers(app, 10)
    edition = store_edition(app)
    send_edition(app, edition, variant_for(app.config))
    with app.engine.begin() as conn:  # as if the batch was accepted a minute ago, 30 to go
        conn.execute(
            update(SendBatchRow)
            .where(SendBatchRow.edition_id == edition.id)
            .values(updated_at=FIVE - timedelta(minutes=1))
        )
        conn.execute(
            SendBatchRow.__table__.insert().values(
                edition_id=edition.id, seq=99, locale="en", status="pending",
                recipient_count=30, attempts=0, updated_at=FIVE,
            )
        )  # fmt: skip
        from digest import lifecycle

        lifecycle.reopen(conn, edition.id or 0, actor="test", now=FIVE)
    from digest.store.schema import DeliveryRow

    with app.engine.begin() as conn:
        conn.execute(
            DeliveryRow.__table__.insert(),
            [
                {"edition_id": edition.id, "subscriber_id": 1000 + i, "batch_seq": 99,
                 "status": "pending", "updated_at": FIVE}
                for i in range(30)
            ],
        )  # fmt: skip
    (line,) = [x for x in send_lines(app) if x.edition_id == edition.id]
    assert line.state == "sending"
    assert line.rate == 10 / 120  # ten accepted within the last two minutes
    assert line.eta == FIVE + timedelta(seconds=30 / (10 / 120))


def test_a_segment_due_later_today_has_a_line_before_it_is_built(tmp_path: Path, new_app) -> None:
    app = new_app(parse_config(config_dict(tmp_path), "test"), FixedClock(FIVE))
    lines = send_lines(app)
    scheduled = [x for x in lines if x.state == SCHEDULED]
    assert [(x.segment, x.next_due) for x in scheduled] == [
        ("markets-en", datetime(2026, 1, 30, 7, 0, tzinfo=UTC))
    ]  # tech-he's next run (06:30 Jerusalem on a weekday) is 04:30 UTC tomorrow there
