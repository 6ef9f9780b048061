"""The APScheduler trigger fires at the timing module's instants and survives the job store."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from digest.schedule import JOBSTORE_TABLE
from digest.scheduling.service import ensure_jobstore_table, make_jobstore
from digest.scheduling.trigger import SegmentTrigger
from tests.conftest import make_app, make_config


def test_fires_at_or_after_now_then_after_the_previous_fire() -> None:
    trigger = SegmentTrigger("0 7 * * *", "America/New_York")
    now = datetime(2026, 11, 1, 11, 59, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, now)
    assert first == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 07:00 EST
    assert trigger.get_next_fire_time(None, first) == first
    assert trigger.get_next_fire_time(first, first + timedelta(seconds=2)) == datetime(
        2026, 11, 2, 12, 0, tzinfo=UTC
    )


def test_fall_back_fires_once_where_apscheduler_cron_fires_twice() -> None:
    trigger = SegmentTrigger("30 1 * * *", "Europe/London")
    fires, prev, now = [], None, datetime(2026, 10, 24, 12, tzinfo=UTC)
    for _ in range(3):
        prev = trigger.get_next_fire_time(prev, now)
        assert prev is not None
        fires.append(prev)
        now = prev
    assert [f.date().isoformat() for f in fires] == ["2026-10-25", "2026-10-26", "2026-10-27"]


def test_pickles_to_its_expression_and_timezone() -> None:
    trigger = SegmentTrigger("30 6 * * 0-4", "Asia/Jerusalem")
    copy = pickle.loads(pickle.dumps(trigger))
    assert copy == trigger
    assert str(copy) == "cron[30 6 * * 0-4] in Asia/Jerusalem"


def test_job_store_keeps_segment_jobs_in_the_project_database(tmp_path, db_url) -> None:
    app = make_app(make_config(tmp_path, db_url))
    try:
        store = make_jobstore(app)
        ensure_jobstore_table(store)
        ensure_jobstore_table(make_jobstore(app))  # a second process finds it there
        scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC")
        scheduler.start(paused=True)
        scheduler.add_job(
            "digest.scheduling.service:segment_job",
            SegmentTrigger("0 7 * * *", "Europe/London"),
            args=["markets-en"],
            id="digest:segment:markets-en",
        )
        scheduler.shutdown(wait=False)
        reread = make_jobstore(app)
        reread.start(BackgroundScheduler(timezone="UTC"), "default")
        jobs = reread.get_all_jobs()
        assert [j.id for j in jobs] == ["digest:segment:markets-en"]
        assert jobs[0].trigger == SegmentTrigger("0 7 * * *", "Europe/London")
        assert jobs[0].args == ("markets-en",)
        assert JOBSTORE_TABLE == "apscheduler_jobs"
    finally:
        app.engine.dispose()
