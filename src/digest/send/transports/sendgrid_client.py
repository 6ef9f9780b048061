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
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from python_http_client.exceptions import HTTPError
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


class OfficialClientPoster:
    """POSTs mail/send bodies with one official SendGrid client per thread."""

    def __init__(self, api_key: str, host: str, *, timeout: float) -> None:
        self._api_key = api_key
        self._host = host.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def _client(self) -> SendGridAPIClient:
        client: SendGridAPIClient | None = getattr(self._local, "client", None)
        if client is None:
            client = SendGridAPIClient(api_key=self._api_key, host=self._host)
            self._local.client = client
        return client

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
