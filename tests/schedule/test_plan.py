"""Planning due runs after downtime: within grace runs, beyond grace is a recorded miss."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from digest.config import Segment
from digest.scheduling.plan import effective_grace, plan_due_runs

SEG = Segment(name="daily", topics={"t": 1.0}, schedule="0 7 * * *", timezone="Europe/London")
DUE = [datetime(2026, 1, d, 7, tzinfo=UTC) for d in (27, 28, 29, 30)]


def test_on_time_and_within_grace_runs() -> None:
    now = DUE[-1] + timedelta(minutes=90)
    plans = plan_due_runs(
        SEG, DUE[-1:], settled=set(), now=now, grace=timedelta(minutes=120), coalesce=True
    )
    assert [(p.action, p.edition_date) for p in plans] == [("run", date(2026, 1, 30))]


def test_beyond_grace_is_missed_with_the_reason() -> None:
    now = DUE[-1] + timedelta(minutes=121)
    plans = plan_due_runs(
        SEG, DUE[-1:], settled=set(), now=now, grace=timedelta(minutes=120), coalesce=True
    )
    assert len(plans) == 1 and plans[0].action == "miss"
    assert "2 h 1 min late exceeds the misfire grace of 2 h" in (plans[0].reason or "")
    assert "2026-01-30 07:00 GMT" in (plans[0].reason or "")


def test_settled_and_future_due_times_need_nothing() -> None:
    now = DUE[2] + timedelta(minutes=5)
    plans = plan_due_runs(
        SEG, DUE, settled={DUE[2]}, now=now, grace=timedelta(days=30), coalesce=False
    )
    assert [p.due_at for p in plans] == DUE[:2]


def test_coalescing_runs_only_the_newest_and_records_the_rest() -> None:
    now = DUE[-1] + timedelta(minutes=5)
    grace = timedelta(days=2)
    plans = plan_due_runs(SEG, DUE, settled=set(), now=now, grace=grace, coalesce=True)
    assert [(p.due_at.day, p.action) for p in plans] == [
        (27, "miss"),
        (28, "miss"),
        (29, "miss"),
        (30, "run"),
    ]
    assert "3 days 5 min late exceeds the misfire grace of 2 days" in (plans[0].reason or "")
    assert "2 days 5 min late" in (plans[1].reason or "")
    assert "coalesced: superseded by the run due at 2026-01-30 07:00 GMT" in (plans[2].reason or "")
    uncoalesced = plan_due_runs(SEG, DUE, settled=set(), now=now, grace=grace, coalesce=False)
    assert [p.action for p in uncoalesced] == ["miss", "miss", "run", "run"]


def test_grace_is_never_below_one_minute() -> None:
    assert effective_grace(0) == timedelta(minutes=1)
    assert effective_grace(15) == timedelta(minutes=15)
    plans = plan_due_runs(
        SEG,
        DUE[-1:],
        settled=set(),
        now=DUE[-1] + timedelta(seconds=20),
        grace=effective_grace(0),
        coalesce=True,
    )
    assert plans[0].action == "run"
