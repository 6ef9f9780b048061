"""Signed link tokens: genuine ones load; forged, altered, expired or misused ones are refused."""

from __future__ import annotations

import time

import pytest

from digest.tokens import LinkBuilder, TokenError, TokenSigner

KEY = "k" * 40


def test_round_trip_and_urls() -> None:
    signer = TokenSigner(KEY, 3600)
    links = LinkBuilder("https://digest.skn.example", signer)
    url = links.unsubscribe_url(42, "markets-en")
    assert url.startswith("https://digest.skn.example/u/42.u.markets-en.")
    data = signer.load(url.rsplit("/", 1)[1], "unsubscribe")
    assert (data.subscriber_id, data.segment) == (42, "markets-en")
    prefs = links.preferences_url(42).rsplit("/", 1)[1]
    assert signer.load(prefs, "preferences").segment is None
    assert (
        links.browser_url("tech-he", "2026-01-30")
        == "https://digest.skn.example/e/tech-he/2026-01-30"
    )


def test_every_single_character_change_is_refused() -> None:
    signer = TokenSigner(KEY, 3600)
    token = signer.make(7, "unsubscribe", "tech-he")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for i, ch in enumerate(token):
        other = alphabet[(alphabet.index(ch) + 1) % len(alphabet)] if ch in alphabet else "A"
        forged = token[:i] + other + token[i + 1 :]
        with pytest.raises(TokenError):
            signer.load(forged, "unsubscribe")


def test_other_key_purpose_garbage_and_expiry_are_refused() -> None:
    signer = TokenSigner(KEY, 3600)
    token = signer.make(7, "unsubscribe", "tech-he")
    with pytest.raises(TokenError):
        TokenSigner("z" * 40, 3600).load(token, "unsubscribe")
    with pytest.raises(TokenError, match="not valid for this page"):
        signer.load(token, "preferences")
    for junk in ("", "abc", "7.u.tech-he", "....", "7.u.x.y.z.w", "ü.ü"):
        with pytest.raises(TokenError):
            signer.load(junk, "unsubscribe")
    old = TokenSigner(KEY, 3600)
    old._signer.get_timestamp = lambda: int(time.time()) - 7200  # type: ignore[method-assign]
    with pytest.raises(TokenError, match="expired"):
        signer.load(old.make(7, "unsubscribe", "tech-he"), "unsubscribe")


def test_one_manage_token_opens_both_pages_but_not_confirm() -> None:
    signer = TokenSigner(KEY, 3600)
    links = LinkBuilder("https://digest.skn.example", signer)
    unsub, prefs = links.manage_urls(9, "markets-en")
    token = unsub.rsplit("/", 1)[1]
    assert prefs == f"https://digest.skn.example/p/{token}"
    assert signer.load(token, "unsubscribe").segment == "markets-en"
    assert signer.load(token, "preferences").subscriber_id == 9
    with pytest.raises(TokenError):
        signer.load(token, "confirm")
    plain_unsub = links.unsubscribe_url(9, "markets-en").rsplit("/", 1)[1]
    with pytest.raises(TokenError):
        signer.load(plain_unsub, "preferences")
