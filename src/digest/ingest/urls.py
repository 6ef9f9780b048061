"""Canonical article URLs: tracking parameters removed, one spelling per page.

The spelling is w3lib's ``canonicalize_url`` (percent-escapes normalised, so ``/a%7eb`` and
``/a~b`` or ``/café`` and ``/caf%C3%A9`` are one path; internationalised host names in their
IDNA form; query sorted; no fragment) after digest's own rules: http(s) only, no credentials,
no default port, no trailing dot on the host, and none of the tracking parameters below.
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

HTTP_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify a campaign, a click or a referrer rather than a page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "_ga",
        "_gl",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "vero_conv",
        "wickedid",
        "s_cid",
        "cmpid",
        "ncid",
        "sr_share",
        "spm",
        "scid",
        "trk",
        "trkcampaign",
        "rb_clickid",
        "epik",
        "share",
        "soc_src",
        "soc_trk",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "matomo_", "hmb_", "ga_")


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that tracks a click or campaign instead of naming content."""
    key = name.strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The canonical http(s) form of ``url`` (resolved against ``base``), or None if unusable.

    Lower-cases scheme and host, drops credentials, default ports, the fragment and
    tracking parameters, sorts the remaining query parameters and normalises escapes.
    """
    raw = (url or "").strip()
    if not raw:
        return None
    if base:
        try:
            raw = urljoin(base, raw)
        except ValueError:
            return None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in HTTP_SCHEMES or not host or any(c.isspace() for c in host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _tracks(pair))
    try:
        return canonicalize_url(urlunsplit((scheme, netloc, parts.path or "/", query, "")))
    except (ValueError, UnicodeError):  # a host IDNA cannot spell
        return None


def _tracks(pair: str) -> bool:
    """True for a raw ``name=value`` query pair whose name is a tracking parameter."""
    return is_tracking_param(unquote_plus(pair.split("=", 1)[0]))


def http_url(url: str | None, base: str | None = None) -> str | None:
    """``url`` resolved against ``base`` if it is an absolute http(s) URL, else None.

    Unlike ``canonical_url`` the query is kept as given (image CDNs sign or size by it).
    """
    raw = (url or "").strip()
    if not raw:
        return None
    try:
        resolved = urljoin(base, raw) if base else raw
        parts = urlsplit(resolved)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
        return None
    if any(c.isspace() or ord(c) < 32 for c in resolved):
        return None
    return resolved


def url_hash(url: str) -> str:
    """sha256 hex digest of a canonical URL: how duplicates across sources are recognised."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()
