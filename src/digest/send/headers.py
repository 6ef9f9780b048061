"""The list headers every message carries, built in one place: List-Id, List-Unsubscribe
(with RFC 8058 one-click) and Message-ID.

Pure functions of the configuration and the recipient's links: the renderer's
``personalise`` (outbox, SMTP, preview), the SendGrid payload and the dispatcher all call
these, so every transport sends the same headers.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, urlsplit

from digest.config import Config, Segment

ONE_CLICK = "List-Unsubscribe=One-Click"

_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_DOMAIN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def list_id(config: Config, segment: str | None = None) -> str:
    """The List-Id identifier: publication.list_id or the public_url host, segment first."""
    domain = config.publication.list_id or urlsplit(config.publication.base_url).hostname or ""
    domain = domain.strip().strip("<>").lower()
    return f"{segment.lower()}.{domain}" if segment else domain


def list_id_header(config: Config, segment: Segment) -> str:
    """The segment's List-Id header value: "Title <segment.domain>" (RFC 2919)."""
    return f"{segment.display_title} <{list_id(config, segment.name)}>"


def list_id_value(value: str) -> str:
    """A List-Id as the header carries it: the identifier in angle brackets."""
    return value if "<" in value else f"<{value}>"


def list_unsubscribe(unsubscribe_url: str, mailto: str | None) -> str:
    """The List-Unsubscribe value: the https URL, then a mailto carrying the same token."""
    parts = [f"<{unsubscribe_url}>"]
    if mailto:
        token = urlsplit(unsubscribe_url).path.rstrip("/").rsplit("/", 1)[-1]
        parts.append(f"<mailto:{mailto}?subject={quote('unsubscribe ' + token)}>")
    return ", ".join(parts)


def unsubscribe_headers(unsubscribe_url: str, mailto: str | None) -> dict[str, str]:
    """List-Unsubscribe, and List-Unsubscribe-Post when the URL is https (RFC 8058)."""
    headers = {"List-Unsubscribe": list_unsubscribe(unsubscribe_url, mailto)}
    if unsubscribe_url.startswith("https://"):
        headers["List-Unsubscribe-Post"] = ONE_CLICK
    return headers


def make_message_id(domain: str, unique: str) -> str:
    """'<unique@domain>' — deterministic, so a retried send keeps the same Message-ID."""
    from digest.render.errors import RenderError  # render imports this module

    left = _ATEXT.sub("-", unique).strip(".") or ""
    left = re.sub(r"\.{2,}", ".", left)
    if not left:
        raise RenderError(f"Message-ID needs a non-empty unique part (got {unique!r})")
    host = domain.strip().lower()
    if not _DOMAIN.match(host):
        raise RenderError(f"Message-ID domain {domain!r} is not a valid host name")
    return f"<{left}@{host}>"


def message_id_prefix(segment: str, edition_date: date, installation_tag: str) -> str:
    """The left part shared by an edition's Message-IDs (the subscriber id is appended).

    "digest.<segment>.<date>.<installation>" is unique across databases and the same for
    every retry of a recipient.
    """
    return f"digest.{segment}.{edition_date:%Y%m%d}.{installation_tag}"
