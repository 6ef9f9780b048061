"""The failure policy as a table: every kind of failure, with its tries, leads to one verdict.

No threads, no database, no clock: ``decide`` is a pure function.
"""

from __future__ import annotations

import pytest

from digest.send.policy import Decision, Failure, Limits, Tries, Verdict, decide

LIMITS = Limits(max_retries=2, outage_after_seconds=60, set_aside_rounds=3, min_429_waits=10)
TEMP = Failure(retryable=True, status=503)
RATE = Failure(retryable=True, status=429, retry_after=7.0)
R = Verdict

TABLE = [
    # (what failed, how it has fared, verdict, wait step, counts as a 429 wait)
    ("401 bad key", Failure(fatal=True, status=401), Tries(1000), R.STOP, 0, False),
    ("fatal beats unknown", Failure(fatal=True, outcome_unknown=True), Tries(5), R.STOP, 0, False),
    ("answer lost", Failure(retryable=True, outcome_unknown=True), Tries(5), R.UNKNOWN, 0, False),
    ("named refusals", Failure(rejected=True, status=400), Tries(5), R.REJECT, 0, False),
    ("unnamed refusal", Failure(splittable=True, status=400), Tries(8), R.SPLIT, 0, False),
    ("unnamed, alone", Failure(splittable=True, status=400), Tries(1), R.FAIL, 0, False),
    ("permanent", Failure(status=400), Tries(8), R.FAIL, 0, False),
    ("5xx, first", TEMP, Tries(8), R.RETRY, 0, False),
    ("5xx, second", TEMP, Tries(8, retries=1), R.RETRY, 1, False),
    ("429 after a 5xx", RATE, Tries(8, retries=1, waits=2), R.RETRY, 3, True),
    ("429, ninth wait", RATE, Tries(8, waits=9), R.RETRY, 9, True),
    ("5xx, retries used up", TEMP, Tries(8, retries=2), R.SET_ASIDE, 0, False),
    ("429, waits used up", RATE, Tries(8, waits=10), R.SET_ASIDE, 0, False),
    (
        "used up, nothing accepted for a minute",
        TEMP,
        Tries(8, retries=2, quiet_seconds=60.0),
        R.OUTAGE,
        0,
        False,
    ),
    (
        "third round while others went through",
        TEMP,
        Tries(8, retries=2, rounds=2, accepted_since_set_aside=True),
        R.FAIL,
        0,
        False,
    ),
    (
        "third round, nothing else went through",
        TEMP,
        Tries(8, retries=2, rounds=2, quiet_seconds=30.0),
        R.SET_ASIDE,
        0,
        False,
    ),
    (
        "second round while others went through",
        TEMP,
        Tries(8, retries=2, rounds=1, accepted_since_set_aside=True),
        R.SET_ASIDE,
        0,
        False,
    ),
]


@pytest.mark.parametrize(
    ("failure", "tries", "verdict", "step", "is_wait"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_the_policy_table(failure, tries, verdict, step, is_wait) -> None:
    decision = decide(failure, tries, LIMITS)
    assert decision.verdict is verdict
    if verdict is R.RETRY:
        assert decision.backoff_step == step and decision.counts_as_wait is is_wait
        assert decision.retry_after == failure.retry_after


def test_a_provider_asking_for_patience_gets_at_least_ten_waits() -> None:
    tight = Limits(max_retries=0, outage_after_seconds=60)
    assert decide(RATE, Tries(8, waits=9), tight) == Decision(R.RETRY, 7.0, 9, True)
    assert decide(TEMP, Tries(8), tight).verdict is R.SET_ASIDE
