"""Signed, tamper-proof tokens for unsubscribe, preference and confirmation links.

A token is ``<subscriber id>.<purpose>.<segment>.<timestamp>.<signature>``: itsdangerous'
TimestampSigner over a compact payload with HMAC-SHA256 and a key derived once from the
secret and a fixed salt. A forged, altered or too-old token is refused with ``TokenError``.

Tokens are made once per recipient at send time, a million times for a large list, so
``make`` builds them directly in the very format ``TimestampSigner.sign`` gives (the same
bytes for the same second), with the HMAC key schedule computed once and copied per token
and the timestamp part encoded once per second. ``load`` checks them with itsdangerous.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from itsdangerous.encoding import base64_encode, int_to_bytes
from itsdangerous.signer import SigningAlgorithm

PURPOSES = {"unsubscribe": "u", "preferences": "p", "confirm": "c", "manage": "m"}
# A "manage" token, the one every sent email carries, opens both the unsubscribe and the
# preference pages: one signature per recipient instead of two on a million-recipient send.
_ACCEPTS = {"unsubscribe": {"u", "m"}, "preferences": {"p", "m"}, "confirm": {"c"}, "manage": {"m"}}
_SALT = b"digest-links-v1"


class TokenError(Exception):
    """The token is forged, altered, expired or meant for another purpose."""


@dataclass(frozen=True, slots=True)
class TokenData:
    subscriber_id: int
    purpose: str
    segment: str | None


class _PrecomputedHMAC(SigningAlgorithm):
    """HMAC-SHA256 whose keyed state is built once and copied for each message."""

    def __init__(self, key: bytes) -> None:
        self._template = hmac.new(key, digestmod=hashlib.sha256)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        mac = self._template.copy()
        mac.update(value)
        return mac.digest()


class TokenSigner:
    """Makes and checks tokens with one secret key."""

    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        derived = hmac.new(secret_key.encode(), _SALT, hashlib.sha256).digest()
        self._signer = TimestampSigner(
            derived,
            key_derivation="none",
            algorithm=_PrecomputedHMAC(derived),
            digest_method=hashlib.sha256,
        )
        self._max_age = max_age_seconds
        # HMAC-SHA256 (RFC 2104) from its two keyed SHA-256 states, copied per token: the
        # same digest as hmac.new(derived, value, sha256), without the Python-level wrapper
        block = derived.ljust(64, b"\0")  # the derived key is shorter than a block
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._stamp: tuple[int, str] = (-1, "")

    def _timestamp(self) -> str:
        """The signer's timestamp part for the current second, encoded once per second."""
        now = self._signer.get_timestamp()  # the very clock itsdangerous signs with
        second, stamp = self._stamp  # one tuple, so threads never see a torn pair
        if now != second:
            stamp = base64_encode(int_to_bytes(now)).decode("ascii")
            self._stamp = (now, stamp)
        return stamp

    def make(self, subscriber_id: int, purpose: str, segment: str | None = None) -> str:
        """A signed token for ``purpose`` (unsubscribe, preferences or confirm)."""
        code = PURPOSES.get(purpose)
        if code is None:
            raise ValueError(f"unknown token purpose {purpose!r}")
        value = f"{subscriber_id}.{code}.{segment or ''}.{self._timestamp()}"
        inner = self._inner.copy()
        inner.update(value.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        signature = urlsafe_b64encode(outer.digest()).rstrip(b"=").decode("ascii")
        return f"{value}.{signature}"

    def load(self, token: str, purpose: str, max_age_seconds: int | None = None) -> TokenData:
        """The token's data if it is genuine, fresh and for ``purpose``; TokenError otherwise."""
        # Compare the signature text itself too: base64 lets a last character differ in
        # unused bits and still decode to the same bytes, and an altered link must fail.
        value, _, sig = token.rpartition(".")
        if not value or not hmac.compare_digest(
            self._signer.get_signature(value), sig.encode("utf-8", "replace")
        ):
            raise TokenError("this link is not valid")
        try:
            raw = self._signer.unsign(token, max_age=max_age_seconds or self._max_age)
        except SignatureExpired:
            raise TokenError("this link has expired") from None
        except (BadSignature, UnicodeError, ValueError):
            raise TokenError("this link is not valid") from None
        parts = raw.decode("ascii", "replace").split(".")
        if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in _ACCEPTS.get(purpose, ()):
            raise TokenError("this link is not valid for this page")
        return TokenData(subscriber_id=int(parts[0]), purpose=purpose, segment=parts[2] or None)


@dataclass(frozen=True, slots=True)
class LinkBuilder:
    """Builds the public URLs that go into emails, all under publication.public_url."""

    base_url: str
    signer: TokenSigner

    def unsubscribe_url(self, subscriber_id: int, segment: str | None) -> str:
        return f"{self.base_url}/u/{self.signer.make(subscriber_id, 'unsubscribe', segment)}"

    def preferences_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/p/{self.signer.make(subscriber_id, 'preferences')}"

    def manage_urls(self, subscriber_id: int, segment: str | None) -> tuple[str, str]:
        """(unsubscribe URL, preferences URL) sharing one signed "manage" token."""
        token = self.signer.make(subscriber_id, "manage", segment)
        return f"{self.base_url}/u/{token}", f"{self.base_url}/p/{token}"

    def confirm_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/c/{self.signer.make(subscriber_id, 'confirm')}"

    def browser_url(self, segment: str, edition_date: str) -> str:
        return f"{self.base_url}/e/{quote(segment)}/{edition_date}"
