"""Which push endpoints the server may post to: https, on the allow-list, never internal.

A forged subscription must not make the server call an internal address. An endpoint is
accepted only when it is an https URL whose host matches ``push.allowed_hosts`` (an exact
name, an IP literal, or ``*.suffix``) and whose host is neither a loopback, private,
link-local or otherwise non-public address, nor a name that resolves to one (checked again
before sending, once per host) — unless ``push.allow_private_addresses`` is set, or that
very address (or ``localhost``) is listed by itself in ``push.allowed_hosts``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ENDPOINT = 2048
_HOST_RE = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")

Resolver = Callable[[str], Sequence[str]]


class EndpointRefused(ValueError):
    """The endpoint may not be posted to; the message says why."""


def check_host_pattern(pattern: str) -> str:
    """A ``push.allowed_hosts`` entry, lower-cased; ValueError when it is not a host pattern."""
    value = pattern.strip().lower()
    if _ip(value.strip("[]")) is not None:
        return value.strip("[]")
    if not _HOST_RE.fullmatch(value):
        raise ValueError(f"not a host name, IP address or *.suffix pattern: {pattern!r}")
    return value


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_internal_address(address: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = _ip(address.split("%", 1)[0])
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def system_resolver(host: str) -> list[str]:
    """The addresses ``host`` resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class EndpointPolicy:
    """The allow-list and whether internal addresses may be posted to."""

    allowed_hosts: tuple[str, ...]
    allow_private_addresses: bool = False

    def host_allowed(self, host: str) -> bool:
        """True when ``host`` matches an allow-list entry."""
        host = host.lower().rstrip(".")
        for pattern in self.allowed_hosts:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and host != pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False

    def check(self, endpoint: str) -> str:
        """The endpoint's host when it may be stored and posted to; EndpointRefused if not."""
        if len(endpoint) > MAX_ENDPOINT:
            raise EndpointRefused(f"longer than {MAX_ENDPOINT} characters")
        try:
            parts = urlsplit(endpoint)
            host = (parts.hostname or "").lower()
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise EndpointRefused("not a valid URL") from None
        if parts.scheme != "https":
            raise EndpointRefused("must be an https URL")
        if not host or parts.username or parts.password:
            raise EndpointRefused("must name a host and no user or password")
        if not self.host_allowed(host):
            raise EndpointRefused(f"host {host} is not an allowed push service")
        internal = host in _LOCAL_NAMES or host.endswith(".localhost") or is_internal_address(host)
        if internal and not (self.allow_private_addresses or self.listed_exactly(host)):
            raise EndpointRefused(f"host {host} is a loopback or private address")
        return host

    def listed_exactly(self, host: str) -> bool:
        """True when ``host`` is an IP address or local name listed by itself (no wildcard):
        the operator allowed that one internal host on purpose (a lab or test push service)."""
        return host.lower().rstrip(".") in self.allowed_hosts

    def check_resolved(self, host: str, resolver: Resolver = system_resolver) -> None:
        """Refuse a host name that resolves to an internal address (before posting to it)."""
        if self.allow_private_addresses or _ip(host) is not None:
            return
        internal = [a for a in resolver(host) if is_internal_address(a)]
        if internal:
            raise EndpointRefused(
                f"host {host} resolves to a loopback or private address ({internal[0]})"
            )


def origin_of(endpoint: str) -> str:
    """``scheme://host[:port]`` of an endpoint: the VAPID audience."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
