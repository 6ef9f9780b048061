"""VAPID (RFC 8292): the server's key pair and the signed JWT each push carries.

The private key comes from env ``DIGEST_VAPID_PRIVATE_KEY`` when set, else from the
database (made by ``digest init``, or on first use), like the link-signing key. A JWT is
made once per push-service origin and reused until it is near its expiry.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException

JWT_LIFETIME = 12 * 3600  # well inside the 24 hours push services accept
RENEW_BEFORE = 3600  # make a new JWT when the one held has less than this left


class VapidKeyError(ValueError):
    """The VAPID private key cannot be read; the message says why."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_private_key() -> str:
    """A new VAPID private key: the raw 32-byte P-256 scalar, URL-safe base64."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def load_vapid(private_key: str) -> Vapid:
    """A py-vapid signer for a raw (URL-safe base64), DER or PEM private key."""
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_string(text)
    except (VapidException, ValueError, TypeError) as exc:
        raise VapidKeyError(f"not a P-256 private key (raw, DER or PEM): {exc}") from None


def public_key_b64(vapid: Vapid) -> str:
    """The public key as browsers take it (``applicationServerKey``): uncompressed point."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


class VapidSigner:
    """Authorization headers per push-service origin, each JWT reused until near expiry."""

    def __init__(self, vapid: Vapid, subject: str, clock: Callable[[], float] = time.time) -> None:
        self._vapid = vapid
        self._subject = subject
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self.signed = 0  # how many JWTs were made (for tests and the benchmark)

    def authorization(self, origin: str) -> str:
        """The ``Authorization: vapid t=…, k=…`` value for pushes to ``origin``."""
        now = self._clock()
        with self._lock:
            held = self._cache.get(origin)
            if held is not None and held[0] - now > RENEW_BEFORE:
                return held[1]
            expires = int(now) + JWT_LIFETIME
            claims = {"aud": origin, "sub": self._subject, "exp": expires}
            value = self._vapid.sign(claims)["Authorization"]
            self._cache[origin] = (float(expires), value)
            self.signed += 1
            return value
