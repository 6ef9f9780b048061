"""Push subscriptions: check what a page posted, and the use cases that store or remove it.

A malformed subscription is refused with the field that is wrong (``endpoint``,
``keys.p256dh``, ``keys.auth``, ``segments``, ``locale``, ``timezone``, ``replaces``) and a
sentence saying why; nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives.asymmetric import ec

from digest.app import App
from digest.config import SUPPORTED_LOCALES, Config
from digest.push.endpoints import EndpointPolicy, EndpointRefused
from digest.push.models import PushSubscriptionInput
from digest.store import push as store

_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
MAX_SEGMENTS = 50


class InvalidPushSubscription(ValueError):
    """The posted subscription is malformed; ``fields`` maps each bad field to why."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def policy_for(config: Config) -> EndpointPolicy:
    """The endpoint allow-list of this installation."""
    return EndpointPolicy(tuple(config.push.allowed_hosts), config.push.allow_private_addresses)


def _b64(value: Any, size: int, what: str) -> str:
    """Canonical unpadded URL-safe base64 of exactly ``size`` bytes, else ValueError."""
    if not isinstance(value, str) or not _B64URL.fullmatch(value):
        raise ValueError(f"{what} must be URL-safe base64")
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, not {len(raw)}")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _p256dh(value: Any) -> str:
    key = _b64(value, 65, "the P-256 public key")
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValueError("the P-256 public key is not a point on the curve") from None
    return key


def _segments(value: Any, config: Config) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_SEGMENTS:
        raise ValueError("choose at least one digest")
    names = {s.name: s for s in config.segments}
    out = []
    for item in value:
        seg = names.get(item) if isinstance(item, str) else None
        if seg is None:
            raise ValueError(f"unknown digest {str(item)[:100]!r}")
        if "webpush" not in seg.channels:
            raise ValueError(f"the digest {item!r} is not sent as notifications")
        out.append(seg.name)
    return tuple(dict.fromkeys(out))


def _timezone(value: Any) -> str:
    if value is None or value == "":
        return "UTC"
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not a time zone name")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value[:64]!r}") from None
    return value


def _locale(value: Any, fallback: str) -> str:
    if value is None or value == "":
        return fallback
    tag = str(value).strip().lower().replace("_", "-").split("-")[0]
    if tag not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported language {str(value)[:20]!r}")
    return tag


def parse_push_subscription(
    data: Any, config: Config, *, subscriber_id: int | None = None
) -> PushSubscriptionInput:
    """The checked subscription; InvalidPushSubscription naming every bad field."""
    if not isinstance(data, Mapping):
        raise InvalidPushSubscription({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    keys = data.get("keys")
    keys = keys if isinstance(keys, Mapping) else {}
    values: dict[str, Any] = {}
    checks = {
        "endpoint": lambda: policy_for(config).check(str(data.get("endpoint") or "")),
        "keys.p256dh": lambda: _p256dh(keys.get("p256dh")),
        "keys.auth": lambda: _b64(keys.get("auth"), 16, "the auth secret"),
        "segments": lambda: _segments(data.get("segments"), config),
        "locale": lambda: _locale(data.get("locale"), config.segments[0].locale),
        "timezone": lambda: _timezone(data.get("timezone")),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except (ValueError, EndpointRefused) as exc:
            errors[name] = str(exc)
    if not isinstance(data.get("endpoint"), str):
        errors["endpoint"] = "must be the subscription's endpoint URL"
    replaces = data.get("replaces")
    if replaces is not None and not isinstance(replaces, str):
        errors["replaces"] = "must be the endpoint this subscription renews"
    if errors:
        raise InvalidPushSubscription(errors)
    return PushSubscriptionInput(
        endpoint=data["endpoint"],
        p256dh=values["keys.p256dh"],
        auth=values["keys.auth"],
        segments=values["segments"],
        locale=values["locale"],
        timezone=values["timezone"],
        subscriber_id=subscriber_id,
        replaces=replaces,
    )


def parse_endpoint(data: Any) -> str:
    """The endpoint named in a DELETE body; InvalidPushSubscription when there is none."""
    endpoint = data.get("endpoint") if isinstance(data, Mapping) else None
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        raise InvalidPushSubscription({"endpoint": "must be the subscription's endpoint URL"})
    return endpoint


def register_push_subscription(app: App, sub: PushSubscriptionInput) -> tuple[int, bool]:
    """Store (or update) the subscription; (id, True when new)."""
    with app.engine.begin() as conn:
        return store.save_push_subscription(conn, sub, app.clock())


def remove_push_subscription(app: App, endpoint: str) -> bool:
    """Forget the subscription of ``endpoint``; True when there was one."""
    with app.engine.begin() as conn:
        return store.remove_push_subscription(conn, endpoint)


def renewal_defaults(app: App, data: Any) -> Any:
    """A renewal (``replaces``) without segments takes the old subscription's settings."""
    if not isinstance(data, Mapping) or not isinstance(data.get("replaces"), str):
        return data
    if data.get("segments"):
        return data
    with app.engine.connect() as conn:
        found = store.push_subscription_settings(conn, data["replaces"])
    if found is None:
        return data
    segments, locale, timezone = found
    return {
        **data,
        "segments": segments,
        "locale": data.get("locale") or locale,
        "timezone": data.get("timezone") or timezone,
    }
