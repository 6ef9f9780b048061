"""The subscription queries on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from digest.app import App
from digest.store.subscribers import eligible_subscriber_ids, subscriber_by_id
from digest.store.subscriptions import (
    Evidence,
    SubscriptionRequest,
    add_suppression,
    confirm_subscriber,
    consents_for_subscriber,
    create_pending_subscriber,
    list_suppressions,
    record_consent,
    remove_suppression,
    suppression_for,
    unsubscribe_subscriber,
)

REQ = SubscriptionRequest(
    email="dana@example.com",
    segments=("markets-en", "tech-he"),
    topics=("tech",),
    locale="he",
    timezone="Asia/Jerusalem",
    name="Dana",
)


def test_opt_in_confirm_and_unsubscribe_lifecycle(any_app: App) -> None:
    now = any_app.clock()
    markets = any_app.config.segment("markets-en")
    with any_app.engine.begin() as conn:
        sub_id, created = create_pending_subscriber(conn, REQ, now)
        assert created and create_pending_subscriber(conn, REQ, now) == (sub_id, False)
        record_consent(
            conn,
            sub_id,
            "subscribe",
            Evidence("web-form", "10.0.0.1", "ua", "v1"),
            now,
            {"segments": list(REQ.segments)},
        )
        assert eligible_subscriber_ids(conn, markets, [sub_id], now) == set()  # pending
        confirm_subscriber(conn, sub_id, REQ, now, keep_segments=False)
        assert eligible_subscriber_ids(conn, markets, [sub_id], now) == {sub_id}
        assert unsubscribe_subscriber(conn, sub_id, "markets-en", "one-click", now) == "segment"
        assert eligible_subscriber_ids(conn, markets, [sub_id], now) == set()
        assert unsubscribe_subscriber(conn, sub_id, "markets-en", "one-click", now) == "already"
        assert unsubscribe_subscriber(conn, sub_id, "tech-he", "one-click", now) == "all"
        assert unsubscribe_subscriber(conn, sub_id, None, "cli", now) == "already"
        sub = subscriber_by_id(conn, sub_id)
        assert sub is not None and sub.status == "unsubscribed"
        sup = suppression_for(conn, "dana@example.com")
        assert sup is not None and sup.reason == "unsubscribe"
        consents = consents_for_subscriber(conn, sub_id)
        assert [c.action for c in consents] == ["subscribe", "unsubscribe", "unsubscribe"]
        assert consents[0].ip == "10.0.0.1" and consents[0].wording_version == "v1"
        # confirming again (a new double opt-in) lifts the unsubscribe suppression
        confirm_subscriber(conn, sub_id, REQ, now + timedelta(days=1), keep_segments=False)
        assert suppression_for(conn, "dana@example.com") is None


def test_suppression_reasons_only_get_stronger(any_app: App) -> None:
    now = any_app.clock()
    with any_app.engine.begin() as conn:
        assert add_suppression(conn, "x@example.com", "unsubscribe", "web", now)
        assert add_suppression(conn, "x@example.com", "spamreport", "sendgrid", now, "abuse")
        assert not add_suppression(conn, "x@example.com", "bounce", "sendgrid", now)
        assert suppression_for(conn, "x@example.com").reason == "spamreport"  # type: ignore[union-attr]
        add_suppression(conn, "y@example.com", "manual", "cli", now + timedelta(seconds=1))
        assert [s.email for s in list_suppressions(conn)] == ["y@example.com", "x@example.com"]
        assert [s.email for s in list_suppressions(conn, reason="manual")] == ["y@example.com"]
        assert remove_suppression(conn, "y@example.com")
        assert not remove_suppression(conn, "y@example.com")
