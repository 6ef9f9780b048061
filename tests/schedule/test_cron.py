"""Cron parsing follows crontab(5): Sunday is 0 and 7, names work, day fields OR together."""

from __future__ import annotations

from datetime import date

import pytest

from digest.scheduling.cron import parse_cron
from digest.scheduling.errors import ScheduleError


def test_sunday_to_thursday_means_the_israeli_work_week() -> None:
    spec = parse_cron("30 6 * * 0-4")
    # 2026-03-01 is a Sunday.
    fires = [date(2026, 3, d) for d in range(1, 8) if spec.matches_date(date(2026, 3, d))]
    assert [d.strftime("%a") for d in fires] == ["Sun", "Mon", "Tue", "Wed", "Thu"]


def test_seven_and_names_are_sunday_and_weekdays() -> None:
    assert parse_cron("0 7 * * 7").weekdays == frozenset({0})
    assert parse_cron("0 7 * * mon-fri").weekdays == frozenset({1, 2, 3, 4, 5})
    assert parse_cron("0 7 * jan,DEC *").months == frozenset({1, 12})


def test_lists_ranges_and_steps() -> None:
    spec = parse_cron("*/15 6-8,20 1 * *")
    assert spec.minutes == frozenset({0, 15, 30, 45})
    assert spec.hours == frozenset({6, 7, 8, 20})
    assert parse_cron("5/20 * * * *").minutes == frozenset({5, 25, 45})
    assert parse_cron("0 0-12/6 * * *").hours == frozenset({0, 6, 12})
    assert spec.times[:2] == ((6, 0), (6, 15))


def test_day_of_month_or_day_of_week_when_both_are_restricted() -> None:
    spec = parse_cron("0 7 1 * mon")
    assert spec.matches_date(date(2026, 4, 1))  # a Wednesday, the 1st
    assert spec.matches_date(date(2026, 4, 6))  # a Monday
    assert not spec.matches_date(date(2026, 4, 7))
    only_dom = parse_cron("0 7 1 * *")
    assert not only_dom.matches_date(date(2026, 4, 6))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 7 * *", "must have 5 fields"),
        ("61 7 * * *", "minute field: 61 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 7 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 7 * 13 *", "month field: 13 is out of range 1-12"),
        ("0 7 * * 8", "day-of-week field: 8 is out of range 0-7"),
        ("0 7 * * fri-mon", "runs backwards"),
        ("*/0 7 * * *", "bad step"),
        ("0 7 * * funday", "'funday' is not a number"),
        ("0 7,,8 * * *", "empty list item"),
    ],
)
def test_bad_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ScheduleError) as err:
        parse_cron(expression)
    assert message in str(err.value)
    assert repr(expression) in str(err.value)
