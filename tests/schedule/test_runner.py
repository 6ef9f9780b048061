"""The runner against real databases: on time, late within grace, missed, skipped, racing."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from digest.app import App
from digest.config import parse_config
from digest.schedule import last_outcomes, recent_decisions
from digest.scheduling.runner import ScheduleRunner
from digest.sending import edition_status
from digest.store.schema import ArticleRow, FeedStateRow, ScheduleRunRow
from tests.conftest import FixedClock, make_app
from tests.schedule.conftest import DUE, READERS, outbox_counts, schedule_config, write_feed

TODAY = date(2026, 1, 30)


def outbox(app: App) -> dict[str, int]:
    return outbox_counts(Path(app.config.transport.outbox.path))


def runs(app: App) -> list[tuple[str, date, str]]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(
                ScheduleRunRow.segment, ScheduleRunRow.edition_date, ScheduleRunRow.outcome
            ).order_by(ScheduleRunRow.id)
        ).all()
    return [tuple(r) for r in rows]


def test_due_edition_is_ingested_built_and_sent_once(any_sched_app: tuple[App, FixedClock]) -> None:
    app, clock = any_sched_app
    clock.now = DUE + timedelta(seconds=20)
    results = ScheduleRunner(app).catch_up()
    assert [(r.segment, r.outcome) for r in results] == [("markets-en", "sent")]
    assert "3 sent" in (results[0].reason or "")
    assert outbox(app) == {r: 1 for r in READERS}
    with app.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ArticleRow)).scalar_one() > 0
    # Running again, or from a second process, changes nothing.
    clock.now = DUE + timedelta(minutes=5)
    assert ScheduleRunner(app).catch_up() == []
    assert outbox(app) == {r: 1 for r in READERS}
    assert runs(app) == [("markets-en", TODAY, "sent")]
    assert last_outcomes(app)["markets-en"].outcome == "sent"


def test_decisions_are_logged_with_the_segment_and_edition_date(
    sched_app: tuple[App, FixedClock], caplog: pytest.LogCaptureFixture
) -> None:
    """The context a JSON log line carries (digest.logging_setup.CONTEXT_FIELDS)."""
    app, clock = sched_app
    clock.now = DUE + timedelta(seconds=20)
    with caplog.at_level("INFO", logger="digest.schedule"):
        ScheduleRunner(app).catch_up()
    decided = [r for r in caplog.records if "(due " in r.getMessage()]
    assert decided, caplog.text
    assert all(
        (getattr(r, "segment", None), getattr(r, "edition_date", None))
        == ("markets-en", TODAY.isoformat())
        for r in decided
    )


def test_misfire_within_grace_is_sent_late(sched_app: tuple[App, FixedClock]) -> None:
    app, clock = sched_app
    clock.now = DUE + timedelta(minutes=59)
    (result,) = ScheduleRunner(app).catch_up()
    assert result.outcome == "sent"
    assert result.due_at == DUE and result.ran_at == DUE + timedelta(minutes=59)
    assert outbox(app) == {r: 1 for r in READERS}


def test_misfire_beyond_grace_is_recorded_and_the_edition_skipped(
    any_sched_app: tuple[App, FixedClock],
) -> None:
    app, clock = any_sched_app
    clock.now = DUE + timedelta(minutes=61)
    # The edition already ran on the 29th, so the scheduler knows it was down since then.
    with app.engine.begin() as conn:
        conn.execute(
            ScheduleRunRow.__table__.insert().values(
                segment="markets-en",
                edition_date=date(2026, 1, 29),
                due_at=DUE - timedelta(days=1),
                ran_at=DUE - timedelta(days=1),
                outcome="sent",
                reason="earlier",
                host="test",
            )
        )
    (result,) = ScheduleRunner(app).catch_up()
    assert result.outcome == "missed"
    assert "61 min late exceeds the misfire grace of 60 min" in (result.reason or "")
    edition = edition_status(app, "markets-en", TODAY).edition
    assert edition is not None and edition.status == "skipped"
    assert (edition.skip_reason or "").startswith("missed: not run at 2026-01-30 07:00 GMT")
    assert outbox(app) == {}
    assert recent_decisions(app, "markets-en", 1)[0].outcome == "missed"
    assert ScheduleRunner(app).catch_up() == []  # recorded once


def test_downtime_over_several_days_coalesces_into_one_late_edition(
    tmp_path: Path, sqlite_url: str
) -> None:
    clock = FixedClock(DUE - timedelta(days=3))  # Tuesday 27th, 07:00
    write_feed(tmp_path / "feed" / "skn.xml", clock.now)
    raw = schedule_config(tmp_path, sqlite_url, misfire_grace_minutes=3 * 24 * 60)
    app = make_app(parse_config(raw, "test"), clock)
    from tests.schedule.conftest import add_readers

    add_readers(app)
    first = ScheduleRunner(app).catch_up()
    assert sorted((r.segment, r.outcome) for r in first) == [
        ("markets-en", "sent"),
        ("tech-he", "sent"),
    ]
    clock.now = DUE + timedelta(minutes=10)  # back three days later
    write_feed(tmp_path / "feed" / "skn.xml", clock.now, new_stories="day30")
    results = [r for r in ScheduleRunner(app).catch_up() if r.segment == "markets-en"]
    assert [(r.edition_date.day, r.outcome) for r in results] == [
        (28, "missed"),
        (29, "missed"),
        (30, "sent"),
    ]
    assert "coalesced" in (results[0].reason or "")
    for day in (28, 29):
        edition = edition_status(app, "markets-en", date(2026, 1, day)).edition
        assert edition is not None and edition.status == "skipped"
    assert outbox(app) == {r: 2 for r in READERS}
    app.engine.dispose()


def test_too_few_articles_skips_the_day_with_the_reason(tmp_path: Path, sqlite_url: str) -> None:
    raw = schedule_config(tmp_path, sqlite_url)
    raw["segments"][0]["min_articles"] = 50
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    app = make_app(parse_config(raw, "test"), FixedClock(DUE))
    from tests.schedule.conftest import add_readers

    add_readers(app)
    (result,) = ScheduleRunner(app).catch_up()
    assert result.outcome == "skipped"
    assert "min_articles=50" in (result.reason or "")
    edition = edition_status(app, "markets-en", TODAY).edition
    assert edition is not None and edition.status == "skipped"
    assert "min_articles=50" in (edition.skip_reason or "")
    assert outbox(app) == {}
    app.engine.dispose()


def test_fresh_content_is_not_fetched_again(sched_app: tuple[App, FixedClock]) -> None:
    app, clock = sched_app
    runner = ScheduleRunner(app)
    assert runner.ingest_if_stale() is None  # first ingest: feed_state was empty
    with app.engine.connect() as conn:
        first_ok = conn.execute(select(FeedStateRow.last_ok_at)).scalar_one()
    assert first_ok == clock.now
    clock.now += timedelta(minutes=14)
    runner.ingest_if_stale()
    with app.engine.connect() as conn:
        assert conn.execute(select(FeedStateRow.last_ok_at)).scalar_one() == first_ok
    clock.now += timedelta(minutes=2)  # now older than the 15-minute interval
    runner.ingest_if_stale()
    with app.engine.connect() as conn:
        assert conn.execute(select(FeedStateRow.last_ok_at)).scalar_one() == clock.now


def test_broken_source_is_noted_and_the_edition_still_goes_out(
    sched_app: tuple[App, FixedClock],
) -> None:
    app, clock = sched_app
    ScheduleRunner(app).ingest_if_stale()
    Path(app.config.sources[0].url).write_text("<rss><channel><item>", encoding="utf-8")
    with app.engine.begin() as conn:
        conn.execute(update(FeedStateRow).values(last_ok_at=clock.now - timedelta(hours=1)))
    clock.now = DUE + timedelta(minutes=1)
    (result,) = ScheduleRunner(app).catch_up()
    assert result.outcome == "sent"
    assert "skn" in (result.reason or "")  # the stale source is named
    assert outbox(app) == {r: 1 for r in READERS}


def test_edition_sent_by_hand_is_recorded_not_resent(sched_app: tuple[App, FixedClock]) -> None:
    from digest.sending import send_edition

    app, clock = sched_app
    ScheduleRunner(app).ingest_if_stale()
    send_edition(app, "markets-en", TODAY, actor="test")
    clock.now = DUE + timedelta(minutes=2)
    (result,) = ScheduleRunner(app).catch_up()
    assert (result.outcome, result.reason) == ("sent", "edition was already sent")
    assert outbox(app) == {r: 1 for r in READERS}


def test_two_runners_racing_send_one_copy(tmp_path: Path, db_url: str) -> None:
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    config = parse_config(schedule_config(tmp_path, db_url), "test")
    clock = FixedClock(DUE + timedelta(seconds=5))
    apps = [make_app(config, clock), make_app(config, clock)]
    from tests.schedule.conftest import add_readers

    add_readers(apps[0])
    barrier = threading.Barrier(2)
    results: list[list[object]] = []

    def go(app: App) -> None:
        barrier.wait()
        results.append(ScheduleRunner(app).catch_up())

    threads = [threading.Thread(target=go, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outbox(apps[0]) == {r: 1 for r in READERS}
    assert runs(apps[0]).count(("markets-en", TODAY, "sent")) == 1
    for app in apps:
        app.engine.dispose()


def test_provider_outage_is_a_failed_run_and_the_next_run_resumes_the_edition(
    tmp_path: Path, sqlite_url: str
) -> None:
    from digest.send.backoff import Backoff
    from digest.send.transports.sendgrid import SendGridTransport
    from tests.fakes.sendgrid_server import SCHEMA_FILE, VALID_KEY, SendGridStandIn

    if not SCHEMA_FILE.is_file():
        pytest.skip(f"SendGrid's OpenAPI spec not found at {SCHEMA_FILE} (../shared missing)")
    write_feed(tmp_path / "feed" / "skn.xml", DUE)
    with SendGridStandIn() as sg:
        raw = schedule_config(tmp_path, sqlite_url)
        raw["transport"] = {
            "kind": "sendgrid",
            "outage_after_seconds": 0,
            "sendgrid": {"host": sg.url, "max_retries": 2},
        }
        config = parse_config(raw, "test")
        transport = SendGridTransport(
            VALID_KEY, config.transport.sendgrid, backoff=Backoff(0.01, 0.05)
        )
        clock = FixedClock(DUE + timedelta(seconds=20))
        app = make_app(config, clock, transport=transport)
        from tests.schedule.conftest import add_readers

        add_readers(app)
        sg.script("500", "500", "500")  # SendGrid is down for the whole first run
        (result,) = ScheduleRunner(app).catch_up(["markets-en"])
        assert result.outcome == "failed"
        reason = result.reason or ""
        assert reason.startswith(f"provider unavailable: SendGrid at {sg.url} did not take")
        assert "3 recipient(s) still pending (none failed for it)" in reason
        view = edition_status(app, "markets-en", TODAY)
        edition, counts = view.edition, view.counts
        assert edition is not None and edition.status == "sending"
        assert counts is not None and (counts.pending, counts.failed, counts.sent) == (3, 0, 0)
        assert sg.delivered_counts() == {}

        # the next tick, SendGrid is back: the same edition is resumed and finished
        clock.now = DUE + timedelta(minutes=5)
        (result,) = ScheduleRunner(app).catch_up(["markets-en"])
        assert result.outcome == "sent"
        assert sg.delivered_counts() == {r: 1 for r in READERS}
        assert runs(app) == [("markets-en", TODAY, "failed"), ("markets-en", TODAY, "sent")]
        edition = edition_status(app, "markets-en", TODAY).edition
        assert edition is not None and edition.status == "sent"
        app.engine.dispose()


def test_the_scheduler_leaves_a_paused_edition_paused(sched_app: tuple[App, FixedClock]) -> None:
    from digest.editions import build_edition
    from digest.sending import pause_edition

    app, clock = sched_app
    clock.now = DUE + timedelta(seconds=20)
    runner = ScheduleRunner(app)
    runner.ingest_if_stale()
    edition = build_edition(app, "markets-en", TODAY, actor="test")
    with app.engine.begin() as conn:
        from digest import lifecycle

        lifecycle.start(conn, edition.id, actor="cli:ops", now=clock.now)
    pause_edition(app, "markets-en", TODAY, actor="cli:ops", reason="wrong lead story")
    (result,) = runner.catch_up()
    assert result.outcome == "paused" and "digest resume" in (result.reason or "")
    assert runner.resume_open_sends() == []
    assert outbox(app) == {}
    assert edition_status(app, "markets-en", TODAY).state == "paused"
