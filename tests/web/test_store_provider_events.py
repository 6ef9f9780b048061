"""The bulk provider-event statements on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from digest.app import App
from digest.store.provider_events import (
    EventRecord,
    SuppressionInput,
    add_edition_counts,
    insert_new_events,
    set_status_of_addresses,
    suppress_addresses,
    unsubscribe_addresses,
)
from digest.store.schema import EditionRow
from digest.store.subscribers import SubscriberInput, subscriber_by_email, upsert_subscribers
from digest.store.subscriptions import consents_for_subscriber, suppression_for
from tests.web.webhook_helpers import insert_sent_edition


def _edition(app: App) -> int:
    with app.engine.begin() as conn:
        return insert_sent_edition(conn, app.clock())


def _record(event_id: str, **kw: object) -> EventRecord:
    values: dict = dict(
        event_id=event_id,
        event="open",
        email="a@example.com",
        edition_id=None,
        occurred_at=None,
        payload={"sg_event_id": event_id, "נושא": "שלום"},
    )
    values.update(kw)
    return EventRecord(**values)


def test_new_events_are_stored_once_and_named(any_app: App) -> None:
    now = any_app.clock()
    with any_app.engine.begin() as conn:
        first = insert_new_events(conn, "sendgrid", [_record("e1"), _record("e2")], now)
        again = insert_new_events(
            conn, "sendgrid", [_record("e2"), _record("e3", occurred_at=now), _record("e3")], now
        )
        other = insert_new_events(conn, "other", [_record("e1")], now)
        assert insert_new_events(conn, "sendgrid", [], now) == set()
    assert (first, again, other) == ({"e1", "e2"}, {"e3"}, {"e1"})


def test_counters_add_up_per_edition_and_unknown_editions_are_left_alone(any_app: App) -> None:
    edition_id = _edition(any_app)
    with any_app.engine.begin() as conn:
        assert add_edition_counts(conn, {edition_id: {"open": 3, "click": 1}, 999_999: {"open": 1}})
        assert add_edition_counts(conn, {edition_id: {"open": 2}}) == 1
        assert add_edition_counts(conn, {}) == 0
        row = conn.execute(select(EditionRow).where(EditionRow.id == edition_id)).one()
    assert (row.open_count, row.click_count, row.delivered_count) == (5, 1, 0)


def test_suppressions_keep_the_strongest_reason(any_app: App) -> None:
    now = any_app.clock()
    with any_app.engine.begin() as conn:
        suppress_addresses(
            conn,
            [
                SuppressionInput("a@example.com", "unsubscribe"),
                SuppressionInput("a@example.com", "bounce", "550 gone"),
                SuppressionInput("b@example.com", "spamreport"),
            ],
            "sendgrid",
            now,
        )
        suppress_addresses(
            conn,
            [
                SuppressionInput("a@example.com", "dropped"),
                SuppressionInput("c@example.com", "bounce"),
            ],
            "sendgrid",
            now,
        )
        a, b, c = (suppression_for(conn, f"{x}@example.com") for x in "abc")
    assert a is not None and (a.reason, a.detail) == ("bounce", "550 gone")
    assert b is not None and b.reason == "spamreport"
    assert c is not None and c.reason == "bounce"


def test_statuses_and_unsubscribes_by_address(any_app: App) -> None:
    now = any_app.clock()
    with any_app.engine.begin() as conn:
        upsert_subscribers(
            conn,
            [SubscriberInput(email=f"{x}@example.com", segments=("markets-en",)) for x in "abc"],
            now,
        )
        assert set_status_of_addresses(conn, ["c@example.com"], "complained", now) == 1
        bounced = set_status_of_addresses(
            conn, ["b@example.com", "c@example.com"], "bounced", now, unless=["complained"]
        )
        ids = unsubscribe_addresses(
            conn, ["a@example.com", "b@example.com", "z@x.example"], "sg", now
        )
        subs = {x: subscriber_by_email(conn, f"{x}@example.com") for x in "abc"}
        assert all(subs.values())
        consents = consents_for_subscriber(conn, subs["a"].id)  # type: ignore[union-attr]
    assert bounced == 1
    assert ids == [subs["a"].id]  # type: ignore[union-attr]
    assert {x: s.status for x, s in subs.items() if s} == {
        "a": "unsubscribed",
        "b": "bounced",
        "c": "complained",
    }
    assert consents[-1].action == "unsubscribe" and consents[-1].source == "sg"
