"""Due times in the segment's timezone, across daylight-saving changes, exactly once a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.config import Segment
from digest.schedule import (
    ScheduleError,
    due_times,
    edition_date_for,
    next_run_time,
    previous_run_time,
)


def seg(schedule: str, timezone: str) -> Segment:
    return Segment(name="s", topics={"markets": 1.0}, schedule=schedule, timezone=timezone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def week_of_runs(segment: Segment, start: datetime, n: int = 4) -> list[datetime]:
    runs, cursor = [], start
    for _ in range(n):
        cursor = next_run_time(segment, cursor)
        runs.append(cursor)
    return runs


@pytest.mark.parametrize(
    ("timezone", "start", "expected"),
    [
        # London springs forward on 29 March 2026: 07:00 is 07:00 GMT, then 07:00 BST.
        (
            "Europe/London",
            utc(2026, 3, 27, 12),
            [utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6), utc(2026, 3, 31, 6)],
        ),
        # London falls back on 25 October 2026.
        (
            "Europe/London",
            utc(2026, 10, 23, 12),
            [
                utc(2026, 10, 24, 6),
                utc(2026, 10, 25, 7),
                utc(2026, 10, 26, 7),
                utc(2026, 10, 27, 7),
            ],
        ),
        # New York springs forward on 8 March 2026 (EST -5 → EDT -4).
        (
            "America/New_York",
            utc(2026, 3, 6, 18),
            [utc(2026, 3, 7, 12), utc(2026, 3, 8, 11), utc(2026, 3, 9, 11), utc(2026, 3, 10, 11)],
        ),
        # New York falls back on 1 November 2026.
        (
            "America/New_York",
            utc(2026, 10, 30, 18),
            [
                utc(2026, 10, 31, 11),
                utc(2026, 11, 1, 12),
                utc(2026, 11, 2, 12),
                utc(2026, 11, 3, 12),
            ],
        ),
        # Jerusalem springs forward at 02:00 on Friday 27 March 2026 (IST +2 → IDT +3).
        (
            "Asia/Jerusalem",
            utc(2026, 3, 25, 12),
            [utc(2026, 3, 26, 5), utc(2026, 3, 27, 4), utc(2026, 3, 28, 4), utc(2026, 3, 29, 4)],
        ),
        # Jerusalem falls back on Sunday 25 October 2026.
        (
            "Asia/Jerusalem",
            utc(2026, 10, 23, 12),
            [
                utc(2026, 10, 24, 4),
                utc(2026, 10, 25, 5),
                utc(2026, 10, 26, 5),
                utc(2026, 10, 27, 5),
            ],
        ),
    ],
)
def test_seven_am_local_stays_seven_am_across_dst(
    timezone: str, start: datetime, expected: list[datetime]
) -> None:
    segment = seg("0 7 * * *", timezone)
    runs = week_of_runs(segment, start)
    assert runs == expected
    assert {r.astimezone(ZoneInfo(timezone)).hour for r in runs} == {7}


def test_time_repeated_when_clocks_go_back_runs_once_at_first_occurrence() -> None:
    # 01:30 happens twice in New York on 1 November 2026 (EDT, then EST).
    runs = week_of_runs(seg("30 1 * * *", "America/New_York"), utc(2026, 10, 31, 12), 3)
    assert runs == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30), utc(2026, 11, 3, 6, 30)]
    # London, 01:30 on 25 October: first occurrence is 00:30 UTC (BST).
    london = week_of_runs(seg("30 1 * * *", "Europe/London"), utc(2026, 10, 24, 12), 2)
    assert london == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_time_skipped_when_clocks_go_forward_runs_at_the_jump() -> None:
    # 02:30 does not exist in New York on 8 March 2026: clocks jump 02:00 EST → 03:00 EDT.
    runs = week_of_runs(seg("30 2 * * *", "America/New_York"), utc(2026, 3, 7, 12), 2)
    assert runs == [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]
    # London jumps at 01:00 UTC on 29 March; 01:15 and 01:45 both fall in the gap: one run.
    london = week_of_runs(seg("15,45 1 * * *", "Europe/London"), utc(2026, 3, 28, 12), 3)
    assert london == [utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 15), utc(2026, 3, 30, 0, 45)]
    assert edition_date_for(seg("15,45 1 * * *", "Europe/London"), london[0]) == date(2026, 3, 29)


def test_edition_date_is_the_local_date_at_the_due_time() -> None:
    late = seg("30 23 * * *", "America/New_York")
    due = next_run_time(late, utc(2026, 1, 30, 12))
    assert due == utc(2026, 1, 31, 4, 30)
    assert edition_date_for(late, due) == date(2026, 1, 30)
    early = seg("30 6 * * *", "Asia/Jerusalem")
    due = next_run_time(early, utc(2026, 1, 30, 12))
    assert due == utc(2026, 1, 31, 4, 30)
    assert edition_date_for(early, due) == date(2026, 1, 31)


def test_next_is_strictly_after_and_previous_is_at_or_before() -> None:
    segment = seg("0 7 * * *", "Europe/London")
    at = utc(2026, 1, 30, 7)
    assert next_run_time(segment, at) == utc(2026, 1, 31, 7)
    assert next_run_time(segment, at - timedelta(microseconds=1)) == at
    assert previous_run_time(segment, at) == at
    assert previous_run_time(segment, at - timedelta(seconds=1)) == utc(2026, 1, 29, 7)


def test_weekday_schedule_skips_friday_and_saturday_in_jerusalem() -> None:
    segment = seg("30 6 * * 0-4", "Asia/Jerusalem")
    runs = due_times(segment, utc(2026, 3, 5, 12), utc(2026, 3, 12, 12))  # Thu noon → Thu noon
    days = [edition_date_for(segment, r).strftime("%a") for r in runs]
    assert days == ["Sun", "Mon", "Tue", "Wed", "Thu"]


def test_due_times_are_bounded_and_ordered() -> None:
    segment = seg("*/5 * * * *", "UTC")
    runs = due_times(segment, utc(2026, 1, 1), utc(2026, 1, 2), limit=10)
    assert len(runs) == 10
    assert runs == sorted(runs)
    assert runs[-1] == utc(2026, 1, 2)


def test_rare_and_impossible_schedules() -> None:
    leap = seg("0 7 29 2 *", "UTC")
    assert next_run_time(leap, utc(2026, 3, 1)) == utc(2028, 2, 29, 7)
    never = seg("0 7 31 2 *", "UTC")
    with pytest.raises(ScheduleError, match="segment 's'.*never fires"):
        next_run_time(never, utc(2026, 3, 1))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ScheduleError, match="timezone-aware"):
        next_run_time(seg("0 7 * * *", "UTC"), datetime(2026, 1, 1))
