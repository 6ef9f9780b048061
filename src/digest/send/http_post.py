"""A small HTTP/1.1 POST client with one kept-alive connection per thread.

Sending a million recipients is a thousand 1 MB requests: opening a connection (and a TLS
session) for each, as urllib does, costs more than the request. Each worker thread keeps
its own connection (http.client is not thread-safe) and re-opens it when it broke or sat
idle long enough for the server to have closed it.

Failures are placed exactly, because the dispatcher must never re-send blindly:
``NotSent`` means the request cannot have reached the server whole (connecting or writing
failed), ``AnswerLost`` means the request went out and no complete answer came back.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

# Servers close idle keep-alive connections after a few seconds; a request written into a
# connection the server is just closing has an unknown fate, so never reuse one that idled.
MAX_IDLE_SECONDS = 2.0


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


class KeepAlivePoster:
    """POSTs to one origin over a per-thread persistent connection."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[http.client.HTTPConnection] = set()
        self._context: ssl.SSLContext | None = None

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        idle_since: float = getattr(self._local, "idle_since", 0.0)
        if conn is not None and time.monotonic() - idle_since > MAX_IDLE_SECONDS:
            self._drop(conn)
            conn = None
        if conn is None:
            if self._https:
                if self._context is None:
                    self._context = ssl.create_default_context()
                conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=self._context
                )
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            try:
                conn.connect()
            except OSError as exc:
                conn.close()
                raise NotSent(f"cannot connect: {exc}") from None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
            with self._lock:
                self._open.add(conn)
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Send one POST and read the whole answer; NotSent or AnswerLost on failure."""
        conn = self._connection()
        try:
            conn.putrequest("POST", self._prefix + path, skip_accept_encoding=True)
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
        except OSError as exc:
            self._drop(conn)
            raise NotSent(f"the request could not be written: {exc}") from None
        try:
            response = conn.getresponse()
            data = response.read()
        except TimeoutError as exc:
            self._drop(conn)
            raise AnswerLost(str(exc) or "timed out", timed_out=True) from None
        except (http.client.HTTPException, OSError) as exc:
            self._drop(conn)
            raise AnswerLost(f"{type(exc).__name__}: {exc}", timed_out=False) from None
        if response.will_close:
            self._drop(conn)
        else:
            self._local.idle_since = time.monotonic()
        return Answer(response.status, dict(response.getheaders()), data)

    def close(self) -> None:
        """Close every connection this poster opened, in any thread."""
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            conn.close()
