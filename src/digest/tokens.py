"""Signed, tamper-proof tokens for unsubscribe, preference and confirmation links.

A token carries the subscriber id, its purpose and (for unsubscribe) the segment; it is
signed with itsdangerous and stamped with the time it was made, so a forged, altered or
too-old token is refused with ``TokenError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("unsubscribe", "preferences", "confirm")


class TokenError(Exception):
    """The token is forged, altered, expired or meant for another purpose."""


@dataclass(frozen=True, slots=True)
class TokenData:
    subscriber_id: int
    purpose: str
    segment: str | None


class TokenSigner:
    """Makes and checks tokens with one secret key."""

    def __init__(self, secret_key: str, max_age_seconds: int) -> None:
        self._ser = URLSafeTimedSerializer(secret_key, salt="digest-links-v1")
        self._max_age = max_age_seconds

    def make(self, subscriber_id: int, purpose: str, segment: str | None = None) -> str:
        """A signed token for ``purpose`` (unsubscribe, preferences or confirm)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        return str(self._ser.dumps([subscriber_id, purpose, segment]))

    def load(self, token: str, purpose: str, max_age_seconds: int | None = None) -> TokenData:
        """The token's data if it is genuine, fresh and for ``purpose``; TokenError otherwise."""
        try:
            raw = self._ser.loads(token, max_age=max_age_seconds or self._max_age)
        except SignatureExpired:
            raise TokenError("this link has expired") from None
        except BadSignature:
            raise TokenError("this link is not valid") from None
        if (
            not isinstance(raw, list)
            or len(raw) != 3
            or not isinstance(raw[0], int)
            or raw[1] != purpose
        ):
            raise TokenError("this link is not valid for this page")
        return TokenData(subscriber_id=raw[0], purpose=raw[1], segment=raw[2])


@dataclass(frozen=True, slots=True)
class LinkBuilder:
    """Builds the public URLs that go into emails, all under publication.public_url."""

    base_url: str
    signer: TokenSigner

    def unsubscribe_url(self, subscriber_id: int, segment: str | None) -> str:
        return f"{self.base_url}/u/{self.signer.make(subscriber_id, 'unsubscribe', segment)}"

    def preferences_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/p/{self.signer.make(subscriber_id, 'preferences')}"

    def confirm_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/c/{self.signer.make(subscriber_id, 'confirm')}"

    def browser_url(self, segment: str, edition_date: str) -> str:
        return f"{self.base_url}/e/{quote(segment)}/{edition_date}"
