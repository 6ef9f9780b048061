"""Standard five-field cron expressions (minute hour day-of-month month day-of-week).

Semantics follow the classic Vixie cron that operators know from crontab(5): day-of-week
0 and 7 are Sunday, names (``jan``, ``mon``) are accepted, and when both day-of-month and
day-of-week are restricted a day matches if *either* does. APScheduler's ``from_crontab``
differs (its day-of-week 0 is Monday), which would move a Sunday-to-Thursday edition by a
day; that is why the scheduler evaluates cron itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from digest.scheduling.errors import ScheduleError

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _DAYS, 0),
)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed cron expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    any_day: bool  # day-of-month field starts with '*'
    any_weekday: bool  # day-of-week field starts with '*'

    def matches_date(self, day: date) -> bool:
        """True when the expression fires on some time of ``day`` (a local date)."""
        if day.month not in self.months:
            return False
        weekday = (day.weekday() + 1) % 7
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return weekday in self.weekdays
        if self.any_weekday:
            return day.day in self.days
        return day.day in self.days or weekday in self.weekdays

    @property
    def times(self) -> tuple[tuple[int, int], ...]:
        """Every (hour, minute) of a matching day, in order."""
        return tuple((h, m) for h in sorted(self.hours) for m in sorted(self.minutes))


def _value(token: str, spec: _Field) -> int:
    lowered = token.lower()
    if spec.names and lowered in spec.names:
        return spec.names.index(lowered) + spec.name_base
    if not token.isdigit():
        raise ScheduleError(f"{spec.name} field: {token!r} is not a number")
    value = int(token)
    if not spec.low <= value <= spec.high:
        raise ScheduleError(f"{spec.name} field: {value} is out of range {spec.low}-{spec.high}")
    return value


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"{spec.name} field: empty list item in {text!r}")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{spec.name} field: bad step {step_text!r} in {item!r}")
            step = int(step_text)
        if base == "*":
            low, high = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, spec), _value(last, spec)
            if low > high:
                raise ScheduleError(f"{spec.name} field: range {base!r} runs backwards")
        else:
            low = _value(base, spec)
            high = spec.high if slash else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@lru_cache(maxsize=256)
def parse_cron(expression: str) -> CronSpec:
    """Parse a five-field cron expression; ScheduleError names the field at fault."""
    parts = expression.split()
    if len(parts) != 5:
        raise ScheduleError(
            f"cron expression {expression!r} must have 5 fields "
            f"(minute hour day-of-month month day-of-week), found {len(parts)}"
        )
    try:
        minute, hour, day, month, weekday = (
            _parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)
        )
    except ScheduleError as exc:
        raise ScheduleError(f"cron expression {expression!r}: {exc}") from None
    return CronSpec(
        expression=expression,
        minutes=minute,
        hours=hour,
        days=day,
        months=month,
        weekdays=frozenset(d % 7 for d in weekday),
        any_day=parts[2].startswith("*"),
        any_weekday=parts[4].startswith("*"),
    )
