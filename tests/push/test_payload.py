"""The notification payload (pure): cut at whole words and characters, within 4,096 bytes
encrypted, fewer headlines when needed, Hebrew right to left; VAPID JWT reuse."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from digest.models import Edition, EditionItem
from digest.push.delivery import encrypt
from digest.push.payload import (
    PLAINTEXT_LIMIT,
    NotificationContext,
    build_notification,
    shorten,
    topic_for,
)
from digest.push.policy import Verdict, decide, retry_after_seconds
from digest.push.vapid import VapidSigner, load_vapid, new_private_key
from tests.factories import article
from tests.fakes.push_service import new_browser_keys, public_b64

NOW = datetime(2026, 1, 30, 5, 0, tzinfo=UTC)


def edition(titles: list[str]) -> Edition:
    items = tuple(
        EditionItem(position=i, article=article(t), score=1.0, topics=(), primary_topic=None)
        for i, t in enumerate(titles)
    )
    return Edition(
        segment="markets-en",
        edition_date=date(2026, 1, 30),
        status="sending",
        window_start=NOW,
        cutoff_at=NOW,
        subject="s",
        items=items,
        id=1,
    )


CTX = NotificationContext(
    publication="SKN Markets",
    segment_title="Markets",
    locale="en",
    title="SKN Markets — Markets, 30 January 2026",
    edition_url="https://digest.skn.example/e/markets-en/2026-01-30",
    preferences_url="https://digest.skn.example/subscribe#notifications",
    icon_url="https://digest.skn.example/push/icon.png",
    badge_url="https://digest.skn.example/push/badge.png",
    topic="markets-en",
)


def test_shorten_cuts_whole_words_and_characters() -> None:
    assert shorten("Oil slips after OPEC signals more supply", 20) == "Oil slips after…"
    assert len(shorten("x" * 50, 10)) == 10
    # a combining mark stays with its letter (Hebrew with niqqud)
    text = "שָׁלוֹם " * 10
    cut = shorten(text, 13)
    assert cut.endswith("…") and not cut[-2:-1].isspace()
    import unicodedata

    assert not unicodedata.combining(cut[0])
    for i in range(len(cut) - 1):
        if unicodedata.combining(cut[i + 1]):
            assert not cut[i].isspace()
    # never half an emoji sequence
    family = "👨\u200d👩\u200d👧 " * 5
    assert "\u200d…" not in shorten(family, 9)


def test_three_headlines_link_to_the_top_story() -> None:
    note = build_notification(edition(["One", "Two", "Three", "Four"]), CTX)
    data = json.loads(note.payload)
    assert data["body"] == "• One\n• Two\n• Three"
    assert data["data"]["url"].endswith("/e/markets-en/2026-01-30#top-story")
    assert data["tag"] == "markets-en" and data["dir"] == "ltr"
    assert [a["action"] for a in data["actions"]] == ["open", "preferences"]


def test_fewer_headlines_when_the_payload_is_too_big() -> None:
    long = ["Ω" * 400 + " word" for _ in range(3)]
    note = build_notification(edition(long), CTX, max_bytes=600)
    assert len(note.payload) <= 600
    assert 1 <= len(note.headlines) < 3
    huge_title = replace(CTX, title="T" * 5000, publication="P")
    assert len(build_notification(edition(["a"]), huge_title).payload) <= PLAINTEXT_LIMIT


@pytest.mark.parametrize("count", [1, 3])
def test_encrypted_payload_fits_4096_bytes(count: int) -> None:
    titles = ["אנבידיה " * 200] * count
    note = build_notification(edition(titles), replace(CTX, locale="he"))
    private, auth = new_browser_keys()
    import base64

    body = encrypt(
        note.payload, public_b64(private), base64.urlsafe_b64encode(auth).rstrip(b"=").decode()
    )
    assert len(body) <= 4096
    assert json.loads(note.payload)["dir"] == "rtl"


def test_topic_is_short_and_url_safe() -> None:
    assert topic_for("markets-en") == "markets-en"
    long = topic_for("x" * 80)
    assert len(long) == 32 and long.isalnum()


def test_vapid_jwt_is_made_once_per_origin_until_near_expiry() -> None:
    now = [1_800_000_000.0]
    signer = VapidSigner(load_vapid(new_private_key()), "mailto:ops@skn.example", lambda: now[0])
    a = signer.authorization("https://fcm.googleapis.com")
    assert signer.authorization("https://fcm.googleapis.com") == a
    signer.authorization("https://updates.push.services.mozilla.com")
    assert signer.signed == 2
    now[0] += 11.5 * 3600  # under an hour left on the first token
    assert signer.authorization("https://fcm.googleapis.com") != a
    assert signer.signed == 3


POLICY = [
    (201, 1, Verdict.SENT),
    (404, 1, Verdict.GONE),
    (410, 1, Verdict.GONE),
    (413, 1, Verdict.SHRINK),
    (429, 1, Verdict.THROTTLED),
    (500, 1, Verdict.RETRY),
    (503, 6, Verdict.FAILED),
    (None, 1, Verdict.RETRY),
    (None, 6, Verdict.FAILED),
    (400, 1, Verdict.FAILED),
    (403, 1, Verdict.FAILED),
]


@pytest.mark.parametrize(("status", "attempts", "verdict"), POLICY)
def test_policy_table(status: int | None, attempts: int, verdict: Verdict) -> None:
    assert decide(status, attempts=attempts, max_attempts=6, now=NOW).verdict is verdict


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert retry_after_seconds("7", NOW) == 7
    assert retry_after_seconds("Fri, 30 Jan 2026 05:01:00 GMT", NOW) == 60
    assert retry_after_seconds("soon", NOW) == 30
    assert retry_after_seconds("999999", NOW) == 3600
