"""Subscriber store on SQLite and PostgreSQL: upsert, segments, audience, eligibility."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update

from digest.app import App
from digest.config import Segment
from digest.store.schema import ConsentRow, SubscriberRow, SuppressionRow
from digest.store.subscribers import (
    SubscriberInput,
    count_segment_recipients,
    eligible_subscriber_ids,
    iter_segment_recipients,
    iter_subscribers_for_export,
    subscriber_by_email,
    upsert_subscribers,
)
from tests.factories import NOW


def people() -> list[SubscriberInput]:
    return [
        SubscriberInput(
            "a@example.com", "Ann", "en", "Europe/London", ("markets",), ("markets-en",)
        ),
        SubscriberInput(
            "b@example.com", "Ben", "he", "Asia/Jerusalem", ("tech",), ("tech-he", "markets-en")
        ),
        SubscriberInput("c@example.com", "Cat", "en", "UTC", (), ("tech-he",)),
        SubscriberInput("d@example.com", "Dov", "he", "Asia/Jerusalem", ("tech", "autos"), ()),
    ]


def test_upsert_is_idempotent_and_updates(any_app: App) -> None:
    with any_app.engine.begin() as conn:
        first = upsert_subscribers(conn, people(), NOW)
        again = upsert_subscribers(conn, people(), NOW)
        changed = upsert_subscribers(
            conn, [SubscriberInput("a@example.com", "Ann B", "he", "UTC", (), ("tech-he",))], NOW
        )
    assert (first.inserted, first.updated) == (4, 0)
    assert (again.inserted, again.updated) == (0, 4)
    assert (changed.inserted, changed.updated) == (0, 1)
    with any_app.engine.connect() as conn:
        rec = subscriber_by_email(conn, "A@Example.com ")
        assert rec is not None
        assert (rec.name, rec.locale, rec.segments) == ("Ann B", "he", ("tech-he",))
        assert len(list(iter_subscribers_for_export(conn, chunk=2))) == 4
        consents = conn.execute(select(ConsentRow.action)).scalars().all()
        assert consents.count("import") == 4  # only on first insert


def test_import_never_resubscribes(any_app: App) -> None:
    with any_app.engine.begin() as conn:
        upsert_subscribers(conn, people(), NOW)
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.email == "a@example.com")
            .values(status="unsubscribed")
        )
        upsert_subscribers(conn, people(), NOW)
    with any_app.engine.connect() as conn:
        assert subscriber_by_email(conn, "a@example.com").status == "unsubscribed"


def test_segment_recipients_respect_status_pause_suppression_audience(any_app: App) -> None:
    markets = any_app.config.segment("markets-en")
    with any_app.engine.begin() as conn:
        upsert_subscribers(conn, people(), NOW)
        assert [r.email for r in iter_segment_recipients(conn, markets, NOW)] == [
            "a@example.com",
            "b@example.com",
        ]
        he_only = Segment(name="tech-he", topics={"tech": 1}, audience={"locale": ["he"]})
        assert [r.email for r in iter_segment_recipients(conn, he_only, NOW)] == ["b@example.com"]
        topic_aud = Segment(name="tech-he", topics={"tech": 1}, audience={"topics": ["tech"]})
        assert [r.email for r in iter_segment_recipients(conn, topic_aud, NOW)] == ["b@example.com"]
        attr_aud = Segment(
            name="tech-he", topics={"tech": 1}, audience={"attributes.plan": ["pro"]}
        )
        assert list(iter_segment_recipients(conn, attr_aud, NOW)) == []
        conn.execute(
            update(SubscriberRow)
            .where(SubscriberRow.email == "a@example.com")
            .values(paused_until=NOW + timedelta(days=7))
        )
        conn.execute(
            insert(SuppressionRow).values(
                email="b@example.com", reason="bounce", source="test", created_at=NOW
            )
        )
        assert count_segment_recipients(conn, markets, NOW) == 0
        assert count_segment_recipients(conn, markets, NOW + timedelta(days=8)) == 1
        ids = {r.id for r in conn.execute(select(SubscriberRow.id, SubscriberRow.email)).all()}
        assert eligible_subscriber_ids(conn, markets, ids, NOW + timedelta(days=8)) == {
            subscriber_by_email(conn, "a@example.com").id
        }


def test_streaming_in_chunks_yields_everyone_once(any_app: App) -> None:
    rows = [
        SubscriberInput(f"u{i}@example.com", f"U{i}", "en", "UTC", (), ("markets-en",))
        for i in range(57)
    ]
    with any_app.engine.begin() as conn:
        upsert_subscribers(conn, rows, NOW)
    with any_app.engine.connect() as conn:
        got = [
            r.email
            for r in iter_segment_recipients(
                conn, any_app.config.segment("markets-en"), NOW, chunk=10
            )
        ]
    assert sorted(got) == sorted(r.email for r in rows)
    assert len(got) == len(set(got)) == 57
