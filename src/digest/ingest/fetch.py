"""Fetching a source: a local file, or HTTP(S) with conditional GET, timeouts and a size cap."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from digest.ingest.errors import FetchError

MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How to fetch: the ingest.* settings."""

    timeout_seconds: float
    max_bytes: int
    user_agent: str


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a fetch returned; ``content`` is None when the server said 304 Not Modified."""

    content: bytes | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None  # after redirects; the base for relative links

    @property
    def not_modified(self) -> bool:
        """True when the source has not changed since the validators we sent."""
        return self.content is None


def _mb(n: int) -> str:
    return f"{n:,} bytes"


def read_local(location: str, max_bytes: int) -> Fetched:
    """Read a feed file (a path or a file:// URL), refusing one larger than ``max_bytes``."""
    path = (
        Path(unquote(urlsplit(location).path)) if location.startswith("file://") else Path(location)
    )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(
                f"file {path} is {_mb(size)}, over ingest.max_bytes ({_mb(max_bytes)})"
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise FetchError(f"not a file but a directory: {path}") from None
    except PermissionError:
        raise FetchError(f"permission denied reading {path}") from None
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise FetchError(f"file {path} is over ingest.max_bytes ({_mb(max_bytes)})")
    return Fetched(content=data, final_url=None)


def make_client(settings: FetchSettings) -> httpx.Client:
    """An HTTP client with the configured timeout and User-Agent, following redirects."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout_seconds),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
        },
    )


def _describe(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for data",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a connection",
        }.get(type(exc), "fetching")
        return f"timed out after {timeout:g}s {kind} ({url})"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return f"cannot connect to {url}: {reason}"
    if isinstance(exc, httpx.TooManyRedirects):
        return f"more than {MAX_REDIRECTS} redirects from {url}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP exchange for {url}: {exc}"
    if isinstance(exc, httpx.DecodingError):
        return f"cannot decompress the response from {url}: {exc}"
    return f"cannot fetch {url}: {type(exc).__name__}: {exc}"


def fetch_http(
    client: httpx.Client,
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET ``url`` conditionally; stream the body and abort once it passes the size cap.

    The whole exchange must also finish within twice the timeout, so a server that
    trickles bytes cannot hold a source forever.
    """
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    cap = settings.max_bytes
    deadline = time.monotonic() + 2 * settings.timeout_seconds
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(
                    content=None,
                    etag=response.headers.get("etag") or etag,
                    last_modified=response.headers.get("last-modified") or last_modified,
                    final_url=str(response.url),
                )
            if response.status_code >= 400 or response.status_code < 200:
                phrase = response.reason_phrase or ""
                raise FetchError(f"HTTP {response.status_code} {phrase}".rstrip() + f" from {url}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchError(
                    f"response is {_mb(int(declared))}, over ingest.max_bytes ({_mb(cap)}) ({url})"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise FetchError(
                        f"response passed ingest.max_bytes ({_mb(cap)}); download stopped ({url})"
                    )
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"download took longer than {2 * settings.timeout_seconds:g}s; "
                        f"stopped ({url})"
                    )
                chunks.append(chunk)
            return Fetched(
                content=b"".join(chunks),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                final_url=str(response.url),
            )
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL {url!r}: {exc}") from None
    except httpx.HTTPError as exc:
        raise FetchError(_describe(exc, url, settings.timeout_seconds)) from None
