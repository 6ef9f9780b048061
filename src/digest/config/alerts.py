"""Ops alerts: which kinds are posted, to which Apprise URLs, and for how long they are shown."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from digest.config.base import _Strict

AlertKindName = Literal["held", "missed", "failed", "outage"]
ALERT_KINDS: tuple[AlertKindName, ...] = ("held", "missed", "failed", "outage")
_ENV_REF = re.compile(r"\$\{([^}]*)\}")


class Alerts(_Strict):
    """Where ops hear about held, missed, failed and outage-stopped editions (Apprise URLs)."""

    # each an Apprise URL; credentials and tokens as ${ENV_VAR}, filled from the environment
    apprise_urls: list[str] = Field(default_factory=list)
    kinds: list[AlertKindName] = Field(default_factory=lambda: list(ALERT_KINDS))
    post_within_hours: float = Field(default=24, gt=0)  # older alerts are shown, not posted
    show_days: int = Field(default=7, ge=1, le=90)  # how long status and the console show one
    max_post_attempts: int = Field(default=5, ge=1)

    @field_validator("apprise_urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for i, url in enumerate(v):
            if "://" not in url:
                raise ValueError(f"[{i}] is not an Apprise URL (scheme://…)")
            for name in _ENV_REF.findall(url):
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise ValueError(f"[{i}]: ${{{name}}} is not an environment variable name")
            bare = _ENV_REF.sub("", url.split("://", 1)[1].split("/", 1)[0])
            if re.search(r":[^@]+@", bare):
                raise ValueError(
                    f"[{i}] holds a password; write it as ${{ENV_VAR}} and set that variable"
                )
        return v
