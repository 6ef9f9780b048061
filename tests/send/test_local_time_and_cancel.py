"""Local-time delivery holds batches until due; cancel stops a send at the next batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from digest import lifecycle
from digest.config import parse_config
from digest.send.local_time import local_due_time
from digest.send.run import send_edition
from tests.conftest import FixedClock, config_dict
from tests.send.helpers import add_subscribers, reload, store_edition, variant_for


def _local_config(tmp_path: Path):
    raw = config_dict(tmp_path)
    raw["segments"][0]["local_time_delivery"] = True  # markets-en: "0 7 * * *"
    return parse_config(raw, "test")


def test_local_due_time_is_the_send_time_on_each_subscribers_clock(tmp_path: Path) -> None:
    seg = _local_config(tmp_path).segment("markets-en")
    day = datetime(2026, 1, 30).date()
    assert local_due_time(seg, day, "Asia/Tokyo") == datetime(2026, 1, 29, 22, 0, tzinfo=UTC)
    assert local_due_time(seg, day, "America/New_York") == datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
    assert local_due_time(seg, day, "Not/AZone") == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)


def test_outbox_holds_batches_until_each_timezone_is_due(tmp_path: Path, new_app) -> None:
    clock = FixedClock(datetime(2026, 1, 30, 5, 0, tzinfo=UTC))
    app = new_app(_local_config(tmp_path), clock)
    zones = ["Asia/Tokyo", "Europe/London", "America/New_York"]
    add_subscribers(app, 9, timezone=lambda i: zones[i % 3])
    edition = store_edition(app)
    first = send_edition(app, edition, variant_for(app.config))
    assert (first.sent, first.held, first.pending) == (3, 6, 6)  # only Tokyo is due at 05:00
    assert first.edition_status == "sending"
    assert first.next_due == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    clock.now = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    second = send_edition(app, reload(app, edition), variant_for(app.config))
    assert (second.sent, second.held) == (6, 3)
    clock.now = datetime(2026, 1, 30, 12, 1, tzinfo=UTC)
    third = send_edition(app, reload(app, edition), variant_for(app.config))
    assert (third.sent, third.pending, third.edition_status) == (9, 0, "sent")
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 9


def test_cancel_stops_at_the_next_batch(tmp_path: Path, new_app, monkeypatch) -> None:
    from tests.send.helpers import send_config

    app = new_app(send_config(tmp_path, kind="outbox", concurrency=1))
    add_subscribers(app, 30)
    edition = store_edition(app)
    from digest.send.transports.outbox import OutboxTransport

    sent_batches: list[str] = []

    class CancellingOutbox(OutboxTransport):
        def send_batch(self, message, recipients, batch_key):
            outcome = super().send_batch(message, recipients, batch_key)
            sent_batches.append(batch_key)
            if len(sent_batches) == 1:
                with app.engine.begin() as conn:
                    lifecycle.cancel(conn, edition.id, actor="test", now=app.clock())
            return outcome

    outbox = CancellingOutbox(tmp_path / "outbox", batch_size=10)
    monkeypatch.setattr(app, "_transport_override", outbox)
    report = send_edition(app, edition, variant_for(app.config))
    assert len(sent_batches) == 1 and report.sent == 10 and report.pending == 20
    assert report.edition_status == "cancelled"
    again = send_edition(app, reload(app, edition), variant_for(app.config))
    assert again.sent_now == 0 and len(list((tmp_path / "outbox").rglob("*.eml"))) == 10
