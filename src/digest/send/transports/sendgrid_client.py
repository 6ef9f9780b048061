"""Posting through the official SendGrid client (``sendgrid.SendGridAPIClient``).

The body is serialised by our own encoder (``sendgrid_payload``): the client passes a
pre-encoded string through untouched when the Content-Type is not the bare
``application/json``, so we send ``application/json; charset=utf-8``. The client is not
safe to share between threads (it keeps request headers as mutable state), so each worker
thread gets its own.

Failures are placed exactly, because the dispatcher must never re-send blindly:
``NotSent`` means the request cannot have reached the server whole (connecting or writing
failed), ``AnswerLost`` means it went out and no complete answer came back. HTTP error
statuses are not failures here: they come back as an ``Answer`` for the transport to judge.

The client (python_http_client) takes the body as a ``str`` and calls its ``encode``, and it
formats every request body into a debug log line before it knows whether debug logging is
on: a megabyte of ``repr`` per request, about a tenth of a large send's CPU. The body is
therefore handed over as ``_PreEncoded``: a short ``str`` naming the body, whose ``encode``
returns the bytes we already have (no decoding and re-encoding of a megabyte per request),
typed so that formatting them yields the same short summary. The bytes on the wire are
exactly the ones we encoded.

The official client opens a new connection for every request (urllib, ``Connection:
close``): a TCP and TLS handshake per thousand recipients. Its request goes out instead
through ``_KeptAliveClient``, the official client with only its documented seam
``_make_request`` replaced: each thread keeps one HTTP/1.1 connection to the API host for
the whole send (``threads × processes`` connections at most), checked before reuse so that
one the server closed while idle is reopened rather than written to. A failure while
connecting or writing is still ``NotSent`` and one while waiting for the answer still
``AnswerLost``; ``close()`` releases every thread's connection.
"""

from __future__ import annotations

import http.client
import io
import select
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from python_http_client import Client
from python_http_client.exceptions import HTTPError, handle_error
from sendgrid import SendGridAPIClient

JSON_UTF8 = "application/json; charset=utf-8"


class NotSent(Exception):
    """The request did not reach the server (connect or write failed): safe to retry."""


class AnswerLost(Exception):
    """The request was sent but the answer did not come (timeout, connection broken)."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True, slots=True)
class Answer:
    """The server's answer: status, headers (case-insensitive lookups) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value regardless of its spelling, or None."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class _QuietBytes(bytes):
    """Request bytes that format as a short summary (for the client's debug line)."""

    def __format__(self, spec: str) -> str:
        return f"<{len(self):,} bytes of JSON>"


class _PreEncoded(str):
    """A JSON body already encoded: ``encode`` gives those bytes whatever is asked.

    The text itself is only a label; the client never reads it, it encodes it.
    """

    _data: _QuietBytes

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self._data


def _pre_encoded(body: bytes) -> _PreEncoded:
    """``body`` as the ``str`` the client expects: a label whose ``encode`` returns it."""
    data = _QuietBytes(body)
    text = _PreEncoded(format(data))
    text._data = data
    return text


def _headers(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    items = raw.items() if hasattr(raw, "items") else raw
    return {str(k): str(v) for k, v in items}


def _body(raw: Any) -> bytes:
    if raw is None:
        return b""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Reply:
    """A complete answer, shaped as the official client reads urllib's responses."""

    status: int
    data: bytes
    headers: Any

    def getcode(self) -> int:
        return self.status

    def read(self) -> bytes:
        return self.data

    def info(self) -> Any:
        return self.headers


def _dropped(sock: Any) -> bool:
    """True when an idle kept-alive socket was closed by the server (or has stray bytes)."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class _Connection:
    """One kept-alive HTTP(S) connection to the API host, used by one thread at a time."""

    def __init__(self, host_url: str) -> None:
        parts = urlsplit(host_url)
        self._https = parts.scheme == "https"
        self._address = (parts.hostname or "localhost", parts.port)
        self._conn: http.client.HTTPConnection | None = None

    def _open(self, timeout: float) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and (conn.sock is None or _dropped(conn.sock)):
            self.close()
            conn = None
        if conn is None:
            host, port = self._address
            if self._https:
                context = ssl.create_default_context()
                conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            self._conn = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def send(self, request: urllib.request.Request, timeout: float) -> _Reply:
        """The answer to ``request``; URLError if it could not be sent whole."""
        conn = self._open(timeout)
        parts = urlsplit(request.full_url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(
                request.get_method(),
                target,
                body=request.data,  # type: ignore[arg-type]
                headers=dict(request.header_items()),
            )
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise urllib.error.URLError(exc) from None
        try:
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        if response.will_close:
            self.close()
        if response.status >= 400:  # what urllib raises, so the official client reads it
            fp = io.BytesIO(data)
            raise handle_error(
                urllib.error.HTTPError(
                    request.full_url, response.status, response.reason, response.msg, fp
                )
            )
        return _Reply(response.status, data, response.msg)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _KeptAliveClient(Client):  # type: ignore[misc]
    """The official HTTP client, its requests sent over one kept-alive connection."""

    def __init__(self, connection: _Connection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connection = connection

    def _build_client(self, name: str | None = None) -> _KeptAliveClient:
        url_path = self._url_path + [name] if name else self._url_path
        return _KeptAliveClient(
            self._connection,
            host=self.host,
            version=self._version,
            request_headers=self.request_headers,
            url_path=url_path,
            append_slash=self.append_slash,
            timeout=self.timeout,
        )

    def _make_request(
        self, opener: Any, request: urllib.request.Request, timeout: float | None = None
    ) -> _Reply:
        return self._connection.send(request, timeout or self.timeout or 30.0)


class OfficialClientPoster:
    """POSTs mail/send bodies with one official SendGrid client (and connection) per thread."""

    def __init__(self, api_key: str, host: str, *, timeout: float) -> None:
        self._api_key = api_key
        self._host = host.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[_Connection] = []
        self._lock = threading.Lock()

    def _client(self) -> SendGridAPIClient:
        client: SendGridAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            client = SendGridAPIClient(api_key=self._api_key, host=self._host)
            connection = _Connection(self._host)
            with self._lock:
                self._connections.append(connection)
            client.client = _KeptAliveClient(
                connection,
                host=client.client.host,
                request_headers=client.client.request_headers,
                version=3,
            )
            self._local.client = client
        return client

    def close(self) -> None:
        """Close every thread's connection (a later request opens a new one)."""
        with self._lock:
            for connection in self._connections:
                connection.close()

    def post_mail_send(self, body: bytes, extra_headers: Mapping[str, str]) -> Answer:
        """Send one mail/send request and read the whole answer; NotSent or AnswerLost."""
        headers = {"Content-Type": JSON_UTF8, **extra_headers}
        try:
            response = self._client().client.mail.send.post(
                request_body=_pre_encoded(body),
                request_headers=headers,
                timeout=self._timeout,
            )
        except HTTPError as exc:  # 4xx/5xx: an answer, judged by the transport
            return Answer(int(exc.status_code), _headers(exc.headers), _body(exc.body))
        except urllib.error.URLError as exc:
            # urllib raises URLError only while connecting or writing the request
            raise NotSent(f"cannot reach SendGrid: {exc.reason}") from None
        except TimeoutError as exc:
            raise AnswerLost(str(exc) or "timed out", timed_out=True) from None
        except (http.client.HTTPException, OSError) as exc:
            raise AnswerLost(f"{type(exc).__name__}: {exc}", timed_out=False) from None
        return Answer(int(response.status_code), _headers(response.headers), _body(response.body))
