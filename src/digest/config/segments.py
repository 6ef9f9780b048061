"""A segment: who gets which topics, when (cron and time zone), in which locales, on which
channels, and whether an editor must approve its editions first."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from digest.config.base import SUPPORTED_LOCALES, LocalisedText, _check_localised, _Strict, text_in

ChannelName = Literal["email", "webpush", "apprise"]


def _email_only() -> list[ChannelName]:
    return ["email"]


def _check_timezone(v: str) -> str:
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {v!r}") from None
    return v


def _check_cron(v: str) -> str:
    from digest.scheduling.cron import parse_cron
    from digest.scheduling.errors import ScheduleError

    try:
        parse_cron(v)
    except ScheduleError as exc:
        raise ValueError(f"not a cron expression {v!r}: {exc}") from None
    return v


class Segment(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    title: LocalisedText | None = None
    topics: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    schedule: str = "0 7 * * *"
    timezone: str = "UTC"
    locale: str = "en"
    max_articles: int = Field(default=8, ge=1, le=100)
    lookback_hours: float = Field(default=24.0, gt=0)
    min_articles: int = Field(default=1, ge=0)
    audience: dict[str, list[str]] | None = None
    local_time_delivery: bool = False
    # the locales this segment's emails are written in: each subscriber gets their own language
    # when it is listed, else ``locale``; default: ``locale`` first, then every supported locale
    locales: list[str] | None = None
    subject: LocalisedText | None = None  # subject template(s): {title} {lead} {date} {publication}
    preheader: LocalisedText | None = None  # preheader template(s), same fields

    _texts = field_validator("title", "subject", "preheader")(
        classmethod(lambda cls, v: _check_localised(v))
    )

    @field_validator("locales")
    @classmethod
    def _locales(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("list at least one locale, or leave the key out")
        for locale in v:
            if locale not in SUPPORTED_LOCALES:
                raise ValueError(
                    f"unsupported locale {locale!r}; supported: {', '.join(SUPPORTED_LOCALES)}"
                )
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _primary_listed(self) -> Segment:
        if self.locales is not None and self.locale not in self.locales:
            raise ValueError(
                f"locales: the segment's locale {self.locale!r} must be one of its locales "
                f"({', '.join(self.locales)})"
            )
        return self

    @property
    def send_locales(self) -> tuple[str, ...]:
        """The locales the segment sends in, its own ``locale`` first."""
        if self.locales is not None:
            return (self.locale, *(x for x in self.locales if x != self.locale))
        return (self.locale, *(x for x in SUPPORTED_LOCALES if x != self.locale))

    # the channels an edition of this segment goes out on, and the Apprise URLs it is posted to
    channels: list[ChannelName] = Field(default_factory=_email_only, min_length=1)
    apprise_urls: list[str] = Field(default_factory=list)
    # the editors' desk: is an editor's approval needed, by when, and what if it is missing
    approval: Literal["none", "required"] = "none"
    approval_deadline_minutes: int = Field(default=60, ge=0)  # before the due time
    on_unapproved: Literal["hold", "send"] = "hold"
    draft_lead_hours: float = Field(default=12, ge=0, le=168)  # draft built this long before due

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each channel may be listed once")
        return v

    @model_validator(mode="after")
    def _apprise(self) -> Segment:
        from digest.apprise_channel.urls import check_apprise_urls

        check_apprise_urls(self.channels, self.apprise_urls)
        return self

    @model_validator(mode="after")
    def _approval_window(self) -> Segment:
        if self.approval_deadline_minutes > self.draft_lead_hours * 60:
            raise ValueError(
                f"approval_deadline_minutes ({self.approval_deadline_minutes}) is earlier than "
                f"the draft is built (draft_lead_hours = {self.draft_lead_hours:g}): editors "
                "would have nothing to approve in time"
            )
        return self

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_timezone(v)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        return _check_cron(v)

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported locale {v!r}; supported: {', '.join(SUPPORTED_LOCALES)}")
        return v

    @field_validator("audience")
    @classmethod
    def _audience(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if v is None:
            return v
        allowed = {"locale", "timezone", "topics"}
        for key in v:
            if key not in allowed and not key.startswith("attributes."):
                raise ValueError(
                    f"unknown audience attribute {key!r}; use locale, timezone, topics "
                    "or attributes.<name>"
                )
        return v

    @property
    def display_title(self) -> str:
        """The title in the segment's own locale (for operators: logs, List-Id names)."""
        own = text_in(self.title, self.locale)
        return own or self.name.replace("-", " ").replace("_", " ").title()
