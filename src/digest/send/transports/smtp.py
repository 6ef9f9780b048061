"""SMTP transport (smtplib): STARTTLS or implicit TLS, optional login, connections reused.

Each worker thread keeps its own connection across batches. The SMTP dialogue is driven
step by step so that a failure is placed exactly: before the message text went out nothing
was sent (safe to retry); once the final dot went out and no answer came, the outcome of
that one message is unknown and it is never re-sent blindly.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from digest.config import SmtpSettings
from digest.render import RenderError
from digest.send.backoff import Backoff
from digest.send.transports.base import (
    BatchOutcome,
    BatchRecipient,
    OutgoingMessage,
    TransportError,
)
from digest.send.transports.copies import recipient_copy

_LEADING_DOT = re.compile(rb"(?m)^\.")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def _data_payload(raw: bytes) -> bytes:
    """The message as SMTP DATA: CRLF line ends, leading dots doubled, final dot line."""
    data = _LEADING_DOT.sub(b"..", _BARE_LF.sub(b"\r\n", raw))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class _Unknown(Exception):
    """The message text went out but the server's answer did not come back."""


class SmtpTransport:
    """Sends each recipient's own MIME message over a reused SMTP connection."""

    name = "smtp"
    accepted_code = "250"  # how a taken request shows in digest_provider_answers

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        password: str | None = None,
        batch_size: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self.endpoint = f"the SMTP server {settings.host}:{settings.port}"
        self._password = password
        self._context = ssl_context
        self._clock = clock
        self._local = threading.local()
        self._all: list[smtplib.SMTP] = []
        self._all_lock = threading.Lock()
        self.max_batch_size = batch_size
        self.max_retries = settings.max_retries
        self.backoff = backoff or Backoff()
        self.lease_seconds = settings.timeout_seconds * 4 + 60
        self.schedule_ahead = timedelta(0)

    def _tls(self) -> ssl.SSLContext:
        return self._context or ssl.create_default_context()

    def _where(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        try:
            conn: smtplib.SMTP
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds, context=self._tls()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._tls())
                conn.ehlo()
            if s.username:
                conn.login(s.username, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(
                f"the SMTP server {self._where()} refused the login for {s.username!r}: "
                f"{exc.smtp_code} {_text(exc.smtp_error)}; check SMTP_PASSWORD",
                retryable=False,
                fatal=True,
                status=exc.smtp_code,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise TransportError(
                f"the SMTP server {self._where()} does not support what "
                f"transport.smtp.security={s.security} needs: {exc}",
                retryable=False,
                fatal=True,
            ) from None
        except ssl.SSLError as exc:
            raise TransportError(
                f"TLS with the SMTP server {self._where()} failed: {exc}",
                retryable=False,
                fatal=True,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(
                f"cannot connect to the SMTP server {self._where()}: {exc}", retryable=True
            ) from None
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _connection(self) -> smtplib.SMTP:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
            with self._all_lock:
                if conn in self._all:
                    self._all.remove(conn)

    def send_batch(
        self, message: OutgoingMessage, recipients: Sequence[BatchRecipient], batch_key: str
    ) -> BatchOutcome:
        """Send one message per recipient; stops at the first connection-level failure."""
        accepted: list[int] = []
        failed: dict[int, str] = {}

        def partial(unknown: tuple[int, ...] = ()) -> BatchOutcome:
            return BatchOutcome(accepted=tuple(accepted), failed=dict(failed), unknown=unknown)

        for item in recipients:
            sid = item.recipient.subscriber_id
            try:
                raw = recipient_copy(message, item, batch_key, self._clock())
            except RenderError as exc:
                failed[sid] = f"cannot build the message: {exc}"
                continue
            try:
                self._transaction(message.sender.from_email, item.recipient.email, raw)
            except _Unknown as exc:
                self._drop()
                raise TransportError(
                    f"the SMTP server {self._where()} did not confirm a message: {exc}",
                    retryable=True,
                    partial=partial((sid,)),
                ) from None
            except _SenderRefused as exc:
                raise TransportError(
                    exc.reason, retryable=False, fatal=True, status=exc.code, partial=partial()
                ) from None
            except _Refused as exc:
                if exc.permanent:
                    failed[sid] = exc.reason
                    continue
                raise TransportError(
                    exc.reason, retryable=True, status=exc.code, partial=partial()
                ) from None
            except TransportError as exc:
                exc.partial = partial()
                raise
            accepted.append(sid)
        return partial()

    def _transaction(self, sender: str, to: str, raw: bytes) -> None:
        """MAIL, RCPT, DATA for one message; reconnects once if an idle connection died."""
        for attempt in (0, 1):
            conn = self._connection()
            try:
                self._envelope(conn, sender, to)
                break
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop()
                if attempt == 1:
                    raise TransportError(
                        f"the SMTP server {self._where()} closed the connection: {exc}",
                        retryable=True,
                    ) from None
        code, reply = conn.docmd("DATA")
        if code != 354:
            self._reset(conn)
            raise _Refused(code, f"the SMTP server refused DATA: {code} {_text(reply)}")
        try:
            conn.send(_data_payload(raw))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()  # the final dot never went out: the server cannot have taken it
            raise TransportError(
                f"the connection to {self._where()} broke while sending: {exc}", retryable=True
            ) from None
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Unknown(str(exc)) from None
        if code != 250:
            raise _Refused(code, f"the SMTP server refused the message: {code} {_text(reply)}")

    def _envelope(self, conn: smtplib.SMTP, sender: str, to: str) -> None:
        code, reply = conn.mail(sender)
        if code != 250:
            self._reset(conn)
            if 400 <= code < 500:
                raise _Refused(code, f"sender deferred: {code} {_text(reply)}")
            raise _SenderRefused(
                code,
                f"the SMTP server refused the sender {sender}: {code} {_text(reply)}",
            )
        code, reply = conn.rcpt(to)
        if code not in (250, 251):
            self._reset(conn)
            raise _Refused(code, f"the SMTP server refused {to}: {code} {_text(reply)}")

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def close(self) -> None:
        """Say QUIT on every connection the workers opened."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                try:
                    conn.close()
                except OSError:
                    pass


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.permanent = code >= 500


class _SenderRefused(_Refused):
    pass


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
