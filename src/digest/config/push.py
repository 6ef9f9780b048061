"""Web Push settings: the push services the server may post to, concurrency and images."""

from __future__ import annotations

from pydantic import Field, HttpUrl, field_validator

from digest.config.base import _Strict


class Push(_Strict):
    """Web Push: where the server may post, how many at once, and the notification's images."""

    # the browsers' own push services; a subscription elsewhere is refused
    allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            "*.push.apple.com",
            "*.notify.windows.com",
        ]
    )
    # allow endpoints whose host is a loopback or private address (tests and labs only)
    allow_private_addresses: bool = False
    ca_bundle: str | None = None  # a PEM file of CAs to trust instead of the system's
    concurrency: int = Field(default=64, ge=1, le=1024)
    timeout_seconds: float = Field(default=10, gt=0)
    # tries per subscription and edition (5xx, timeouts, dropped connections) before failing
    max_attempts: int = Field(default=6, ge=1)
    claim_size: int = Field(default=500, ge=1, le=10000)
    icon_url: HttpUrl | None = None  # default: the publication's logo, else /push/icon.png
    badge_url: HttpUrl | None = None  # default: /push/badge.png
    max_headlines: int = Field(default=3, ge=1, le=3)

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        from digest.push.endpoints import check_host_pattern

        return [check_host_pattern(h) for h in v]
