"""The ledger's bookkeeping: how batches are cut, and how an accepted batch counts as sent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from digest.send.run import send_edition
from digest.store import ledger
from digest.store.schema import DeliveryRow, EditionRow, SendBatchRow, SubscriberRow
from tests.send.helpers import NOW, add_subscribers, send_config, store_edition, variant_for

LOCALES = ("en", "he", "fr")  # fr is not a supported variant: it gets the segment's locale
ZONES = ("Europe/London", "Asia/Jerusalem", "America/New_York")


def _plan(app, edition_id: int, *, batch_size: int, by_timezone: bool):
    segment = app.config.segment("markets-en")
    with app.engine.begin() as conn:
        return ledger.plan_deliveries(
            conn,
            edition_id,
            segment,
            NOW,
            batch_size=batch_size,
            planner="test",
            not_before=lambda _tz: None,
            by_timezone=by_timezone,
        )


def _one_sending_batch(tmp_path: Path, db_url: str, new_app):
    """Five readers planned into one batch of an edition that is sending."""
    app = new_app(send_config(tmp_path, db_url))
    ids = add_subscribers(app, 5)
    edition = store_edition(app)
    assert edition.id is not None
    _plan(app, edition.id, batch_size=10, by_timezone=False)
    with app.engine.begin() as conn:
        conn.execute(update(EditionRow).values(status="sending"))
    return app, ids, edition, app.config.segment("markets-en")


def test_batches_are_cut_per_locale_and_timezone_in_one_numbering(
    tmp_path: Path, db_url: str, new_app
) -> None:
    app = new_app(send_config(tmp_path, db_url))
    ids = add_subscribers(
        app, 40, locale=lambda i: LOCALES[i % 3], timezone=lambda i: ZONES[(i // 3) % 3]
    )
    with app.engine.begin() as conn:  # one reader left: not planned at all
        conn.execute(
            update(SubscriberRow).where(SubscriberRow.id == ids[7]).values(status="unsubscribed")
        )
    edition = store_edition(app)
    assert edition.id is not None
    planned = _plan(app, edition.id, batch_size=4, by_timezone=True)

    assert [b.seq for b in planned] == list(range(len(planned)))
    with app.engine.connect() as conn:
        people = {
            r.id: (r.locale if r.locale in ("en", "he") else "en", r.timezone)
            for r in conn.execute(
                select(SubscriberRow.id, SubscriberRow.locale, SubscriberRow.timezone)
            )
        }
        rows = conn.execute(
            select(DeliveryRow.subscriber_id, DeliveryRow.batch_seq).where(
                DeliveryRow.edition_id == edition.id
            )
        ).all()
        stored = conn.execute(
            select(SendBatchRow.seq, SendBatchRow.recipient_count).where(
                SendBatchRow.edition_id == edition.id
            )
        ).all()
    assert len(rows) == 39 and ids[7] not in {r.subscriber_id for r in rows}
    per_batch = Counter(r.batch_seq for r in rows)
    by_seq = {b.seq: b for b in planned}
    assert dict(stored) == dict(per_batch) == {b.seq: b.recipient_count for b in planned}
    for sid, seq in rows:  # each batch holds one variant locale and one timezone
        assert people[sid] == (by_seq[seq].locale, by_seq[seq].timezone)
    assert all(1 <= b.recipient_count <= 4 for b in planned)
    # a group fills whole batches before its last one, in subscriber-id order
    groups: dict[tuple[str, str | None], list[int]] = {}
    for b in planned:
        groups.setdefault((b.locale, b.timezone), []).append(b.recipient_count)
    assert len(groups) == 6  # (en, he) x three zones
    for sizes in groups.values():
        assert all(s == 4 for s in sizes[:-1])
    for seq in by_seq:
        members = sorted(sid for sid, s in rows if s == seq)
        later = [
            sid
            for sid, s in rows
            if by_seq[s].locale == by_seq[seq].locale
            and by_seq[s].timezone == by_seq[seq].timezone
            and s > seq
        ]
        assert not later or max(members) < min(later)


def test_an_accepted_batch_counts_its_recipients_as_sent(
    tmp_path: Path, db_url: str, new_app
) -> None:
    app = new_app(send_config(tmp_path, db_url, kind="outbox"))
    add_subscribers(app, 9)
    edition = store_edition(app)
    report = send_edition(app, edition, variant_for(app.config))
    assert (report.sent, report.pending, report.unknown) == (9, 0, 0)
    assert edition.id is not None
    with app.engine.connect() as conn:
        counts = ledger.delivery_counts(conn, edition.id, now=NOW)
        batch_states = set(
            conn.execute(
                select(SendBatchRow.status).where(SendBatchRow.edition_id == edition.id)
            ).scalars()
        )
        row_states = Counter(
            conn.execute(
                select(DeliveryRow.status).where(DeliveryRow.edition_id == edition.id)
            ).scalars()
        )
    assert batch_states == {"accepted"}
    # the batch row records the whole batch: its delivery rows were not rewritten one by one
    assert row_states == {"pending": 9}
    assert (counts.sent, counts.pending, counts.unknown, counts.recipients) == (9, 0, 0, 9)


def test_a_batch_declared_unknown_meanwhile_is_settled_recipient_by_recipient(
    tmp_path: Path, db_url: str, new_app
) -> None:
    app, ids, edition, segment = _one_sending_batch(tmp_path, db_url, new_app)
    with app.engine.begin() as conn:
        statements = ledger.BatchStatements(conn, segment, edition.id)
        batch = statements.claim(conn, "w-slow", NOW, NOW + timedelta(seconds=5), horizon=NOW)
        assert batch is not None and statements.submit(conn, batch, "w-slow", NOW)
    assert batch is not None
    later = NOW + timedelta(minutes=5)
    with app.engine.begin() as conn:  # another process finds the lease run out
        assert ledger.recover_abandoned_batches(conn, edition.id, later) == 1
        assert ledger.delivery_counts(conn, edition.id, now=later).unknown == 5
    with app.engine.begin() as conn:  # then the slow worker's answer arrives after all
        status = ledger.record_batch_outcome(
            conn,
            batch,
            later,
            sent=ids[1:],
            failed={ids[0]: "refused"},
            unknown=[],
            provider_message_id="msg-1",
            sent_is_rest=True,
        )
        counts = ledger.delivery_counts(conn, edition.id, now=later)
        row_states = Counter(conn.execute(select(DeliveryRow.status)).scalars())
    assert status == "accepted"
    assert (counts.sent, counts.failed, counts.unknown, counts.pending) == (4, 1, 0, 0)
    assert row_states == {"sent": 4, "failed": 1}


def test_untried_recipients_beside_unknown_ones_go_out_with_the_next_claim(
    tmp_path: Path, db_url: str, new_app
) -> None:
    app, ids, edition, segment = _one_sending_batch(tmp_path, db_url, new_app)
    lease = NOW + timedelta(minutes=5)

    def counts():
        with app.engine.connect() as conn:
            c = ledger.delivery_counts(conn, edition.id, now=NOW)
        return (c.sent, c.unknown, c.pending)

    with app.engine.begin() as conn:
        statements = ledger.BatchStatements(conn, segment, edition.id)
        first = statements.claim(conn, "w", NOW, lease, horizon=NOW)
        assert first is not None and statements.submit(conn, first, "w", NOW)
        assert first is not None
        # one recipient went out, the answer for the second was lost, the send stopped
        status = ledger.record_batch_outcome(
            conn,
            first,
            NOW,
            sent=[ids[0]],
            failed={},
            unknown=[ids[1]],
            provider_message_id=None,
            error="connection broke",
            reopen=True,
        )
    assert status == "pending" and counts() == (1, 1, 3)

    with app.engine.begin() as conn:  # the next run sends the three never tried, no one else
        second = statements.claim(conn, "w", NOW, lease, horizon=NOW)
        assert second is not None and statements.submit(conn, second, "w", NOW)
        assert second is not None and second.attempts == 2
        assert [r[0] for r in statements.rows(conn, second.seq, NOW)] == ids[2:]
        status = ledger.record_batch_outcome(
            conn,
            second,
            NOW,
            sent=ids[2:],
            failed={},
            unknown=[],
            provider_message_id="m2",
            sent_is_rest=True,
        )
    # the batch stays findable for --retry-unknown while one recipient is unknown
    assert status == "unknown" and counts() == (4, 1, 0)

    with app.engine.begin() as conn:  # ops re-send the unknown one on purpose
        retry = ledger.BatchStatements(conn, segment, edition.id, ledger.CLAIMABLE_RETRY_UNKNOWN)
        third = retry.claim(conn, "w", NOW, lease, horizon=NOW)
        assert third is not None and retry.submit(conn, third, "w", NOW)
        assert third is not None
        assert ledger.reopen_unknown_deliveries(conn, third, NOW) == 1
        assert [r[0] for r in retry.rows(conn, third.seq, NOW)] == [ids[1]]
        status = ledger.record_batch_outcome(
            conn,
            third,
            NOW,
            sent=[ids[1]],
            failed={},
            unknown=[],
            provider_message_id="m3",
            sent_is_rest=True,
        )
    assert status == "accepted" and counts() == (5, 0, 0)
