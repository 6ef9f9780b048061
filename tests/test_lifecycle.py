"""The edition lifecycle as a table: every allowed and every refused move, and its history."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest import lifecycle
from digest.lifecycle import Action, EditionState, TransitionRefused, allowed_actions, next_state
from digest.models import Edition
from digest.store.editions import edition_for, insert_edition_once

S = EditionState
ALLOWED = {
    (S.DRAFT, Action.APPROVE): S.APPROVED,
    (S.HELD, Action.APPROVE): S.APPROVED,
    (S.APPROVED, Action.UNAPPROVE): S.DRAFT,
    (S.DRAFT, Action.HOLD): S.HELD,
    (S.DRAFT, Action.START): S.SENDING,
    (S.APPROVED, Action.START): S.SENDING,
    (S.SENDING, Action.PAUSE): S.PAUSED,
    (S.PAUSED, Action.RESUME): S.SENDING,
    (S.SENDING, Action.FINISH): S.SENT,
    (S.SENT, Action.REOPEN): S.SENDING,
    (S.DRAFT, Action.CANCEL): S.CANCELLED,
    (S.APPROVED, Action.CANCEL): S.CANCELLED,
    (S.HELD, Action.CANCEL): S.CANCELLED,
    (S.SENDING, Action.CANCEL): S.CANCELLED,
    (S.PAUSED, Action.CANCEL): S.CANCELLED,
    (S.DRAFT, Action.SKIP): S.SKIPPED,
    (S.APPROVED, Action.SKIP): S.SKIPPED,
    (S.HELD, Action.SKIP): S.SKIPPED,
}
MOVES = [a for a in Action if a is not Action.CREATE]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", MOVES)
def test_every_move_is_allowed_or_refused_as_the_table_says(state, action) -> None:
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(TransitionRefused) as info:
            next_state(state, action, "markets-en 2026-11-29")
        assert f"cannot {action} markets-en 2026-11-29: it is {state}" in str(info.value)
    else:
        assert next_state(state, action) is expected


def test_final_states_allow_nothing_but_a_deliberate_reopen() -> None:
    assert allowed_actions(S.CANCELLED) == ()
    assert allowed_actions(S.SKIPPED) == ()
    assert allowed_actions(S.SENT) == (Action.REOPEN,)


def _stored(app, status: EditionState = S.DRAFT) -> int:
    now = app.clock()
    edition = Edition(
        segment="markets-en",
        edition_date=date(2026, 1, 30),
        status=status,
        window_start=now - timedelta(hours=24),
        cutoff_at=now,
        subject="s",
        items=(),
    )
    with app.engine.begin() as conn:
        new_id = insert_edition_once(conn, edition, now)
        assert new_id is not None
        lifecycle.record_created(conn, new_id, status, actor="test", now=now)
    return new_id


def test_transitions_record_who_when_and_why_and_refusals_change_nothing(any_app) -> None:
    app = any_app
    edition_id = _stored(app)
    t0 = app.clock()
    steps = [
        (lifecycle.approve, "web:ed@skn.example", "looks good"),
        (lifecycle.start, "cli:ops", None),
        (lifecycle.pause, "web:ops@skn.example", "wrong headline"),
        (lifecycle.resume, "cli:ops", None),
        (lifecycle.finish, "sender:w1", None),
    ]
    for i, (move, actor, reason) in enumerate(steps):
        with app.engine.begin() as conn:
            move(conn, edition_id, actor=actor, now=t0 + timedelta(minutes=i), reason=reason)
    with app.engine.begin() as conn, pytest.raises(TransitionRefused, match="cannot cancel"):
        lifecycle.cancel(conn, edition_id, actor="cli:ops", now=t0)
    with app.engine.connect() as conn:
        edition = edition_for(conn, "markets-en", date(2026, 1, 30))
        entries = lifecycle.history(conn, edition_id)
    assert edition is not None and edition.status is S.SENT
    assert [(e.from_state, e.state, e.by, e.reason) for e in entries] == [
        (None, S.DRAFT, "test", None),
        (S.DRAFT, S.APPROVED, "web:ed@skn.example", "looks good"),
        (S.APPROVED, S.SENDING, "cli:ops", None),
        (S.SENDING, S.PAUSED, "web:ops@skn.example", "wrong headline"),
        (S.PAUSED, S.SENDING, "cli:ops", None),
        (S.SENDING, S.SENT, "sender:w1", None),
    ]
    assert entries[-1].at == t0 + timedelta(minutes=4)
    assert entries[1].as_dict()["at"] == datetime(2026, 1, 30, 5, 0, tzinfo=UTC).isoformat()


def test_nothing_but_the_lifecycle_writes_an_editions_state() -> None:
    """Every status change goes through digest.lifecycle (its store half is store/history.py)."""
    src = Path(__file__).resolve().parents[1] / "src" / "digest"
    writers = []
    pattern = re.compile(r"update\(EditionRow\)[\s\S]{0,200}?\.values\([^)]*\bstatus=")
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel in ("store/history.py",) or "/migrations/" in f"/{rel}":
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            writers.append(rel)
    assert writers == [], f"editions.status written outside digest.lifecycle: {writers}"
