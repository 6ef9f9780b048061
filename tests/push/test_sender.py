"""The Web Push sender against the loopback push service: exactly once, faults, pruning."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from digest.channel_run import KeepGoing
from digest.push.sender import WebPushSender
from digest.store.schema import PushDeliveryRow, PushSubscriptionRow
from tests.fakes.push_service import PushServiceStandIn
from tests.push.helpers import push_app, push_config, store_edition, subscribe


def send(app, edition) -> object:
    sender = WebPushSender(app)
    with app.engine.begin() as conn:
        sender.prepare(conn, edition, app.clock())
    return sender.run(edition, KeepGoing())


def test_each_subscription_gets_one_decryptable_notification(
    tmp_path: Path, db_url: str, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    app = push_app(push_config(tmp_path, ca_bundle, db_url))
    browsers = [push_service.subscribe() for _ in range(25)]
    he = push_service.subscribe()
    for b in browsers:
        subscribe(app, b)
    subscribe(app, he, locale="he", timezone="Asia/Jerusalem")
    edition = store_edition(app)
    run = send(app, edition)
    assert run.counts["sent"] == 26 and run.counts["pending"] == 0
    for b in [*browsers, he]:
        got = push_service.received(b.id)
        assert len(got) == 1
        assert got[0].body_bytes <= 4096
        assert got[0].topic == "markets-en"
        assert got[0].vapid_sub == "mailto:ops@skn.example"
    english = push_service.received(browsers[0].id)[0].payload
    assert english["title"].startswith("SKN Markets — Markets digest, 30 January 2026")
    assert english["lang"] == "en" and english["dir"] == "ltr"
    assert english["body"].splitlines()[0] == "• DAX closes at a record as tech stocks rally"
    assert len(english["body"].splitlines()) == 3
    assert english["data"]["url"] == "https://digest.skn.example/e/markets-en/2026-01-30#top-story"
    hebrew = push_service.received(he.id)[0].payload
    assert hebrew["lang"] == "he" and hebrew["dir"] == "rtl"
    assert "בינואר" in hebrew["title"]
    assert hebrew["actions"][0]["title"] == "פתיחה"
    # a second run sends nobody again
    again = send(app, edition)
    assert again.sent == 0
    assert all(len(push_service.received(b.id)) == 1 for b in browsers)
    app.engine.dispose()


def test_gone_subscriptions_are_pruned_and_counted(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    app = push_app(push_config(tmp_path, ca_bundle))
    live = push_service.subscribe()
    expired = push_service.subscribe(mode="gone")
    missing = push_service.subscribe(mode="not-found")
    ids = [subscribe(app, b) for b in (live, expired, missing)]
    run = send(app, store_edition(app))
    assert run.counts["sent"] == 1 and run.counts["gone"] == 2
    with app.engine.connect() as conn:
        left = set(conn.execute(select(PushSubscriptionRow.id)).scalars())
    assert left == {ids[0]}
    app.engine.dispose()


def test_429_waits_500_retries_413_shrinks(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    app = push_app(push_config(tmp_path, ca_bundle, concurrency=1))
    small = push_service.subscribe(mode="too-large:700")
    others = [push_service.subscribe() for _ in range(3)]
    for b in [small, *others]:
        subscribe(app, b)
    push_service.script("429", "500")
    run = send(app, store_edition(app))
    assert run.counts["sent"] == 4, run.counts
    got = push_service.received(small.id)
    assert len(got) == 1 and got[0].body_bytes <= 700
    assert len(got[0].payload["body"].splitlines()) < 3
    statuses = push_service.state.statuses()
    assert statuses[429] == 1 and statuses[500] == 1 and statuses[413] >= 1
    app.engine.dispose()


def test_a_hanging_service_times_out_and_nothing_is_lost(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    app = push_app(push_config(tmp_path, ca_bundle, timeout_seconds=0.5))
    b = push_service.subscribe()
    subscribe(app, b)
    push_service.script("hang")
    run = send(app, store_edition(app))
    assert run.counts["sent"] == 1
    assert len(push_service.received(b.id)) == 1
    with app.engine.connect() as conn:
        attempts = conn.execute(select(PushDeliveryRow.attempts)).scalar_one()
    assert attempts == 2
    app.engine.dispose()


def test_local_time_delivery_waits_for_each_timezone(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn
) -> None:
    from datetime import UTC, datetime

    from digest.config import parse_config
    from tests.conftest import FixedClock
    from tests.push.helpers import push_config_dict

    raw = push_config_dict(tmp_path, ca_bundle)
    raw["segments"][0].update(local_time_delivery=True, schedule="0 7 * * *")
    clock = FixedClock(datetime(2026, 1, 30, 6, 30, tzinfo=UTC))
    app = push_app(parse_config(raw, "test"), clock)
    london, jerusalem = push_service.subscribe(), push_service.subscribe()
    subscribe(app, london, timezone="Europe/London")
    subscribe(app, jerusalem, timezone="Asia/Jerusalem", locale="he")
    edition = store_edition(app)
    first = send(app, edition)
    assert first.counts["sent"] == 1 and first.waiting == 1
    assert first.next_due == datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
    assert len(push_service.received(jerusalem.id)) == 1 and not push_service.received(london.id)
    clock.now = datetime(2026, 1, 30, 7, 0, 1, tzinfo=UTC)
    second = send(app, edition)
    assert second.counts["sent"] == 2 and second.sent == 1
    [push] = push_service.received(london.id)
    assert 86000 < push.ttl <= 86400  # until tomorrow's edition
    app.engine.dispose()


def test_certificates_are_checked_and_ssl_cert_file_is_honoured(
    tmp_path: Path, ca_bundle: Path, push_service: PushServiceStandIn, monkeypatch
) -> None:
    from digest.config import parse_config
    from tests.push.helpers import push_config_dict

    raw = push_config_dict(tmp_path, ca_bundle)
    del raw["push"]["ca_bundle"]
    app = push_app(parse_config(raw, "test"))
    browser = push_service.subscribe()
    subscribe(app, browser)
    edition = store_edition(app)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing.pem"))
    untrusted = send(app, edition)  # the stand-in's certificate is not trusted: no retries
    assert untrusted.counts["failed"] == 1 and not push_service.received(browser.id)
    with app.engine.connect() as conn:
        error = conn.execute(select(PushDeliveryRow.error)).scalar_one()
    assert "certificate is not trusted" in error
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_bundle))
    with app.engine.begin() as conn:
        conn.execute(PushDeliveryRow.__table__.update().values(status="pending"))
    trusted = send(app, edition)
    assert trusted.counts["sent"] == 1
    app.engine.dispose()
