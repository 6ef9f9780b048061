"""Apprise URLs from the config: ``${NAME}`` placeholders filled from the environment.

Secrets (bot tokens, webhook keys) stay out of ``config.yaml``: a URL is written as
``tgram://${TELEGRAM_BOT_TOKEN}/-100123`` and the token comes from the environment when the
post is made. The ledger keys each URL by a hash of its template, so rotating a secret does
not post the edition again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


class AppriseUrlError(ValueError):
    """An Apprise URL cannot be used; the message says why."""


def check_apprise_urls(channels: Sequence[str], urls: Sequence[str]) -> None:
    """ValueError when the URLs and the apprise channel do not go together or a URL is bad."""
    if urls and "apprise" not in channels:
        raise ValueError("apprise_urls is set but 'apprise' is not in channels")
    if "apprise" in channels and not urls:
        raise ValueError("channels lists apprise but apprise_urls is empty")
    for i, url in enumerate(urls):
        if not _URL.fullmatch(url):
            raise ValueError(f"apprise_urls[{i}]: not an Apprise URL (scheme://…): {url!r}")
        rest = _VAR.sub("", url)
        if "${" in rest:
            raise ValueError(f"apprise_urls[{i}]: a ${{…}} placeholder is not closed or named")


def expand(url: str, env: Mapping[str, str]) -> str:
    """The URL with each ``${NAME}`` replaced from ``env``; AppriseUrlError when one is unset."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = env.get(name)
        if not found:
            raise AppriseUrlError(f"environment variable {name} is not set")
        return found

    return _VAR.sub(value, url)


def url_key(template: str) -> str:
    """The ledger key of a URL: a hash of its template (secrets are not in it)."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


_LONG = re.compile(r"[A-Za-z0-9_\-]{8,}")


def label(template: str) -> str:
    """A name for the URL safe to show: placeholders kept, long literal tokens masked."""
    base = template.split("?", 1)[0]
    parts = _VAR.split(base)
    # split() alternates literal text and placeholder names
    return "".join(
        "${" + part + "}" if i % 2 else _LONG.sub("…", part) for i, part in enumerate(parts)
    )
