"""How emails leave: the transport kind and the settings of the outbox, SendGrid and SMTP."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from digest.config.base import _Strict


class OutboxSettings(_Strict):
    path: str = "outbox"
    batch_size: int = Field(default=500, ge=1, le=10_000)  # recipients claimed at a time


class SendGridSettings(_Strict):
    host: str = "https://api.sendgrid.com"
    timeout_seconds: float = Field(default=30, gt=0)
    sandbox_mode: bool = False
    batch_size: int = Field(default=1000, ge=1, le=1000)
    max_retries: int = Field(default=5, ge=0)
    ip_pool: str | None = None


class SmtpSettings(_Strict):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None  # password from env SMTP_PASSWORD
    timeout_seconds: float = Field(default=30, gt=0)
    max_retries: int = Field(default=3, ge=0)


class Transport(_Strict):
    kind: Literal["outbox", "sendgrid", "smtp"] = "outbox"
    rate_limit_per_second: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    # a batch that outlasts its retries is set aside and tried again later; the send stops
    # as a provider outage only once nothing was accepted for this long
    outage_after_seconds: float = Field(default=60, ge=0)
    outbox: OutboxSettings = OutboxSettings()
    sendgrid: SendGridSettings = SendGridSettings()
    smtp: SmtpSettings = SmtpSettings()
