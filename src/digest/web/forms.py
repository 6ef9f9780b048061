"""Validation of what people submit: the subscribe form and the preference centre.

Pure functions over plain mappings: each returns a validated value or raises
``InvalidSubmission`` whose ``fields`` map a field name to a page-text key (plus the value
at fault after a colon, when there is one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.addresses import InvalidAddress, normalise_address
from digest.config import SUPPORTED_LOCALES, Config
from digest.store.subscriptions import SubscriptionRequest
from digest.text_safety import unsafe_character
from digest.web.errors import InvalidSubmission

MAX_NAME_LENGTH = 200
MAX_PAUSE_WEEKS = 52


def normalise_email(raw: str) -> str:
    """The address in its one spelling (digest.addresses); InvalidSubmission if unusable."""
    try:
        return normalise_address(raw)
    except InvalidAddress:
        raise InvalidSubmission({"email": "err_email"}) from None


def valid_timezone(name: str) -> bool:
    """True for an IANA time zone name this system knows."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _values(data: Mapping[str, Any], key: str) -> list[str]:
    """Every value submitted for ``key`` (multi-valued form fields or JSON lists)."""
    getlist = getattr(data, "getlist", None)
    raw: Any = getlist(key) if getlist is not None else data.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        return [str(raw)]
    out: list[str] = []
    for item in raw:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip())
        elif item is not None:
            out.append(str(item))
    return list(dict.fromkeys(out))


def _one(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value).strip()


def _check_choice(
    errors: dict[str, str], field: str, chosen: Sequence[str], allowed: Sequence[str], key: str
) -> tuple[str, ...]:
    unknown = [c for c in chosen if c not in allowed]
    if unknown:
        errors[field] = f"{key}:{unknown[0]}"
    return tuple(c for c in chosen if c in allowed)


def parse_subscription(
    data: Mapping[str, Any], config: Config, *, default_locale: str
) -> SubscriptionRequest:
    """A validated subscribe request from a form or JSON body; InvalidSubmission otherwise."""
    errors: dict[str, str] = {}
    email = ""
    try:
        email = normalise_email(_one(data, "email"))
    except InvalidSubmission as exc:
        errors.update(exc.fields)
    segment_names = [s.name for s in config.segments]
    segments = _values(data, "segments")
    if not segments and len(segment_names) == 1:
        segments = segment_names
    segments_ok = _check_choice(errors, "segments", segments, segment_names, "err_unknown_segment")
    if not segments and "segments" not in errors:
        errors["segments"] = "err_segments"
    topics = _check_choice(
        errors, "topics", _values(data, "topics"), list(config.topics), "err_unknown_topic"
    )
    locale = _one(data, "locale") or default_locale
    if locale not in SUPPORTED_LOCALES:
        errors["locale"] = "err_locale"
    timezone = _one(data, "timezone") or "UTC"
    if not valid_timezone(timezone):
        errors["timezone"] = "err_timezone"
    name = _one(data, "name")
    if unsafe_character(name):
        errors["name"] = "err_name_characters"
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = "err_name"
    if _one(data, "consent").lower() not in ("on", "yes", "true", "1"):
        errors["consent"] = "err_consent"
    if errors:
        raise InvalidSubmission(errors)
    return SubscriptionRequest(
        email=email,
        segments=segments_ok,
        topics=topics,
        locale=locale,
        timezone=timezone,
        name=name,
    )


@dataclass(frozen=True, slots=True)
class PreferenceChoice:
    """What the preference centre's form asks to store."""

    segments: tuple[str, ...]
    topics: tuple[str, ...]
    locale: str
    timezone: str


def parse_preferences(data: Mapping[str, Any], config: Config) -> PreferenceChoice:
    """Validated preference-centre choices; InvalidSubmission otherwise.

    Choosing no segment is allowed here: it is the same as leaving everything, which the
    caller turns into an unsubscribe.
    """
    errors: dict[str, str] = {}
    segments = _check_choice(
        errors,
        "segments",
        _values(data, "segments"),
        [s.name for s in config.segments],
        "err_unknown_segment",
    )
    topics = _check_choice(
        errors, "topics", _values(data, "topics"), list(config.topics), "err_unknown_topic"
    )
    locale = _one(data, "locale")
    if locale not in SUPPORTED_LOCALES:
        errors["locale"] = "err_locale"
    timezone = _one(data, "timezone")
    if not valid_timezone(timezone):
        errors["timezone"] = "err_timezone"
    if errors:
        raise InvalidSubmission(errors)
    return PreferenceChoice(segments=segments, topics=topics, locale=locale, timezone=timezone)


def parse_pause(data: Mapping[str, Any], now: datetime) -> datetime:
    """The end of a pause of the submitted number of weeks from ``now``."""
    raw = _one(data, "weeks")
    try:
        weeks = int(raw)
    except ValueError:
        weeks = 0
    if not 1 <= weeks <= MAX_PAUSE_WEEKS:
        raise InvalidSubmission({"weeks": "err_pause"})
    return now + timedelta(weeks=weeks)
