"""The plain sections of the configuration: the publication, database, sources, topics and
ranking, and the settings of ingest, the scheduler, the web app and the staff desk."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, HttpUrl, field_validator

from digest.addresses import EmailAddress, InvalidAddress, normalise_address
from digest.config.base import LocalisedText, _check_localised, _Strict


class Publication(_Strict):
    name: str = Field(min_length=1)
    website: HttpUrl
    postal_address: str = Field(min_length=5)
    from_email: EmailAddress
    from_name: str = Field(min_length=1)
    reply_to: EmailAddress | None = None
    public_url: HttpUrl
    logo_url: HttpUrl | None = None
    list_id: str | None = None  # List-Id header domain part; derived from public_url if absent
    push_contact: str | None = None  # Web Push VAPID subject: a mailto: or https: URL

    @field_validator("push_contact")
    @classmethod
    def _push_contact(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.startswith("mailto:"):  # the address is checked like every other one
            try:
                return "mailto:" + normalise_address(v.removeprefix("mailto:"))
            except InvalidAddress as exc:
                raise ValueError(f"{exc} (the VAPID subject)") from None
        if not re.fullmatch(r"https://[^\s/]+\.[^\s]+", v):
            raise ValueError(f"must be a mailto: or https: URL (the VAPID subject): {v!r}")
        return v

    @property
    def base_url(self) -> str:
        return str(self.public_url).rstrip("/")


class Database(_Strict):
    url: str = "sqlite:///digest.db"


class Source(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _file_url(cls, v: str) -> str:
        if v.lower().startswith("file:") and urlsplit(v).netloc not in ("", "localhost"):
            raise ValueError(
                f"a file: URL names a file on this machine (file:///path/feed.xml), not on "
                f"{urlsplit(v).netloc!r}: {v!r}"
            )
        return v

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


class Topic(_Strict):
    categories: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    label: LocalisedText | None = None  # shown to readers; default: the catalog's or the key

    _label = field_validator("label")(classmethod(lambda cls, v: _check_localised(v)))


class Ranking(_Strict):
    half_life_hours: float = Field(default=12.0, gt=0)
    max_per_topic: int = Field(default=3, ge=1)


class Ingest(_Strict):
    timeout_seconds: float = Field(default=20, gt=0)
    max_bytes: int = Field(default=10_000_000, gt=1000)
    user_agent: str = "digest/0.1 (+https://github.com/digest)"
    words_per_minute: int = Field(default=230, gt=0)


class Scheduler(_Strict):
    ingest_interval_minutes: int = Field(default=15, ge=1)
    misfire_grace_minutes: int = Field(default=120, ge=0)
    coalesce: bool = True
    # the scheduler's own /metrics and /healthz (off unless a port is given)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    health_port: int | None = Field(default=None, ge=0, le=65535)
    listen_host: str = "127.0.0.1"


class Web(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    subscribe_rate_per_minute: int = Field(default=10, ge=1)
    consent_version: str = "2026-01"
    token_max_age_days: int = Field(default=365, ge=1)
    # requests with a larger body are refused (413) before more of it is read
    max_body_bytes: int = Field(default=5_000_000, ge=1024)


class Desk(_Strict):
    """Staff sign-in for the editors' desk and the ops console (``/desk/``)."""

    session_idle_minutes: int = Field(default=60, ge=1)  # signed out after this long unused
    session_max_hours: float = Field(default=12, gt=0)  # and after this long in any case
    signin_window_minutes: int = Field(default=15, ge=1)  # failed sign-ins counted over this
    signin_failures_per_address: int = Field(default=5, ge=1)
    signin_failures_per_client: int = Field(default=20, ge=1)
    test_sends_per_hour: int = Field(default=20, ge=1)  # per member of staff
