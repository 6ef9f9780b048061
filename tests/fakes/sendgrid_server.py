"""A stand-in for SendGrid's v3 mail/send on 127.0.0.1, for tests and benchmarks.

It validates every request body against SendGrid's published OpenAPI schema (with the
message-level ``custom_args`` typed as the object the API really takes) and the documented
limits the schema lacks (≤1000 recipients, each address once, < 30 MB), checks the API key,
records every accepted personalization, and injects faults on demand: 429 (with or without
X-RateLimit-Reset / Retry-After), 500, slow answers, dropped connections (before or after
the request counts as accepted), refused recipients, 401.

In-process use::

    with SendGridStandIn() as sg:
        sg.script("429", "500")          # the next two requests fail, then normal service
        ... SENDGRID_HOST=sg.url ...
        assert sg.delivered_counts()["a@example.com"] == 1

As a process (benchmarks, crash tests)::

    python -m tests.fakes.sendgrid_server --port 0 --ready-file PATH [--no-validate]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SCHEMA_FILE = next(
    (
        p / "shared/reference/sendgrid/tsg_mail_v3.json"
        for p in Path(__file__).resolve().parents[2:]
        if (p / "shared/reference").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared/reference/sendgrid/tsg_mail_v3.json",
)
MAX_BODY = 30 * 1024 * 1024
VALID_KEY = "SG.test-key-for-the-stand-in"

FAULTS = (
    "ok",  # normal service for this request (to place a later fault)
    "hang-after-accept",  # accept, then hang until released (then drop): for kill -9 tests
    "429",  # 429 with X-RateLimit-Reset one second ahead
    "429-retry-after",  # 429 with Retry-After: 1
    "429-bare",  # 429 without any hint
    "500",
    "503",
    "slow",  # answer after ``slow_seconds`` (longer than the client's timeout in tests)
    "drop-before",  # read the body, close without answering, do NOT accept it
    "drop-after",  # read the body, accept it, close without answering (outcome unknown)
    "401",
    "400-message",  # a message-level 400 (field "from.email")
    "400-opaque",  # a 400 without a field: the client must split to find the culprit
)


def mail_send_validator() -> Any:
    """A jsonschema validator for the mail/send body, custom_args corrected to an object."""
    from jsonschema import Draft202012Validator

    spec = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    body = copy.deepcopy(
        spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"]["schema"]
    )
    body["properties"]["custom_args"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    body["components"] = spec["components"]
    return Draft202012Validator(body, format_checker=Draft202012Validator.FORMAT_CHECKER)


def limit_problems(body: dict[str, Any], size: int) -> list[tuple[str, str | None]]:
    """The documented limits the schema does not state, as (message, field) pairs."""
    problems: list[tuple[str, str | None]] = []
    if size >= MAX_BODY:
        problems.append(("The request body must be smaller than 30 MB", None))
    seen: set[str] = set()
    total = 0
    for i, p in enumerate(body.get("personalizations") or []):
        for kind in ("to", "cc", "bcc"):
            for j, addr in enumerate(p.get(kind) or []):
                total += 1
                email = str(addr.get("email", "")).lower()
                if email in seen:
                    problems.append(
                        (
                            "Each email address in the personalization block should be unique",
                            f"personalizations.{i}.{kind}.{j}.email",
                        )
                    )
                seen.add(email)
        subs = p.get("substitutions") or {}
        if sum(len(k) + len(str(v)) for k, v in subs.items()) > 10_000:
            problems.append(("substitutions exceed 10000 bytes", f"personalizations.{i}"))
    if total > 1000:
        problems.append(("The total number of recipients must be no more than 1000", None))
    return problems


@dataclass
class Delivery:
    """One accepted personalization, as the stand-in saw it."""

    email: str
    request_id: int
    substitutions: dict[str, str]
    headers: dict[str, str]
    send_at: int | None
    custom_args: dict[str, str]
    categories: list[str]


@dataclass
class StandInState:
    """Everything the stand-in saw and will do; shared with the handler threads."""

    validate: bool = True
    api_key: str = VALID_KEY
    slow_seconds: float = 3.0
    delay_seconds: float = 0.0  # added to every answer (to make concurrent senders overlap)
    faults: list[str] = field(default_factory=list)
    random_fault_rate: float = 0.0
    random_faults: tuple[str, ...] = ("429", "500", "drop-before", "drop-after")
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    reject_emails: set[str] = field(default_factory=set)
    # a request naming any of these gets a 500 every time (a body the server chokes on)
    choke_emails: set[str] = field(default_factory=set)
    keep_bodies: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    deliveries: list[Delivery] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: Counter[str] = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)
    accepted_count: int = 0
    request_count: int = 0
    connections: int = 0  # TCP (or TLS) connections accepted
    hung: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def count_only(self) -> bool:
        """True when nothing but counting is asked for (no validation, faults or records)."""
        return not (
            self.validate
            or self.keep_bodies
            or self.faults
            or self.reject_emails
            or self.choke_emails
            or self.random_fault_rate
            or self.delay_seconds
        )

    def next_fault(self) -> str | None:
        with self.lock:
            if self.faults:
                return self.faults.pop(0)
            if self.random_fault_rate and self.rng.random() < self.random_fault_rate:
                return self.rng.choice(self.random_faults)
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _reply(self, status: int, payload: Any = None, headers: dict[str, str] | None = None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
        self.server.state.responses[str(status)] += 1

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.state.responses["dropped"] += 1

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v3/mail/send":
            self._reply(404, {"errors": [{"message": f"no route {self.path}"}]})
            return
        with state.lock:
            state.request_count += 1
            request_id = state.request_count
        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._reply(
                401,
                {
                    "errors": [
                        {
                            "message": "The provided authorization grant is "
                            "invalid, expired, or revoked"
                        }
                    ]
                },
            )
            return
        if state.count_only():
            # benchmark mode: read and count, nothing else, so the stand-in stays cheap next
            # to the sender on the same cores ("to" is a key only in personalizations)
            with state.lock:
                state.accepted_count += raw.count(b'"to":')
            self._reply(202, None, {"X-Message-Id": f"msg-{request_id}"})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._reply(400, {"errors": [{"message": "Bad Request", "field": None}]})
            return
        problems: list[tuple[str, str | None]] = []
        if state.validate:
            for err in self.server.validator.iter_errors(body):
                path = ".".join(str(p) for p in err.absolute_path) or None
                problems.append((err.message[:300], path))
        problems += limit_problems(body, len(raw))
        if problems:
            with state.lock:
                state.invalid.extend(f"{f}: {m}" for m, f in problems)
            self._reply(400, {"errors": [{"message": m, "field": f} for m, f in problems[:20]]})
            return
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        if state.choke_emails and any(
            p["to"][0]["email"].lower() in state.choke_emails for p in body["personalizations"]
        ):
            self._reply(500, {"errors": [{"message": "internal error"}]})
            return
        fault = state.next_fault()
        if fault and self._fault(fault, body, request_id):
            return
        bad = [
            (i, p["to"][0]["email"])
            for i, p in enumerate(body["personalizations"])
            if p["to"][0]["email"].lower() in state.reject_emails
        ]
        if bad:
            self._reply(
                400,
                {
                    "errors": [
                        {
                            "message": "Does not contain a valid address.",
                            "field": f"personalizations.{i}.to.0.email",
                        }
                        for i, _ in bad
                    ]
                },
            )
            return
        self._accept(body, request_id)
        status = 200 if body.get("mail_settings", {}).get("sandbox_mode", {}).get("enable") else 202
        self._reply(status, None, {"X-Message-Id": f"msg-{request_id}"})

    def _accept(self, body: dict[str, Any], request_id: int) -> None:
        state = self.server.state
        rows = [
            Delivery(
                email=p["to"][0]["email"].lower(),
                request_id=request_id,
                substitutions=p.get("substitutions") or {},
                headers=p.get("headers") or {},
                send_at=p.get("send_at"),
                custom_args=body.get("custom_args") or {},
                categories=body.get("categories") or [],
            )
            for p in body["personalizations"]
        ]
        with state.lock:
            state.accepted_count += len(rows)
            if state.keep_bodies:
                state.deliveries.extend(rows)
                stripped = {k: v for k, v in body.items() if k != "personalizations"}
                stripped["personalization_count"] = len(rows)
                state.requests.append(stripped)

    def _fault(self, fault: str, body: dict[str, Any], request_id: int) -> bool:
        state = self.server.state
        if fault == "ok":
            return False
        if fault == "hang-after-accept":
            self._accept(body, request_id)
            state.hung.set()
            state.release.wait(60)
            self._drop()
        elif fault == "429":
            reset = str(int(time.time()) + 1)
            self._reply(
                429, {"errors": [{"message": "too many requests"}]}, {"X-RateLimit-Reset": reset}
            )
        elif fault == "429-retry-after":
            self._reply(429, {"errors": [{"message": "too many requests"}]}, {"Retry-After": "1"})
        elif fault == "429-bare":
            self._reply(429, {"errors": [{"message": "too many requests"}]})
        elif fault in ("500", "503"):
            self._reply(int(fault), {"errors": [{"message": "internal error"}]})
        elif fault == "slow":
            time.sleep(state.slow_seconds)
            self._accept(body, request_id)
            self._reply(202, None, {"X-Message-Id": f"msg-{request_id}"})
        elif fault == "drop-before":
            self._drop()
        elif fault == "drop-after":
            self._accept(body, request_id)
            self._drop()
        elif fault == "401":
            self._reply(401, {"errors": [{"message": "authorization required"}]})
        elif fault == "400-message":
            self._reply(
                400,
                {
                    "errors": [
                        {
                            "message": "The from address does not match a verified Sender Identity",
                            "field": "from.email",
                        }
                    ]
                },
            )
        elif fault == "400-opaque":
            self._reply(400, {"errors": [{"message": "Bad Request", "field": None}]})
        else:
            return False
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: StandInState, tls: ssl.SSLContext | None = None) -> None:
        self.state = state
        self.validator = mail_send_validator()
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection (TLS when the stand-in has a certificate) and count it."""
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        with self.state.lock:
            self.state.connections += 1
        return sock, address


class SendGridStandIn:
    """Runs the stand-in in a background thread; use as a context manager."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, **state: Any) -> None:
        self.state = StandInState(**state)
        self._server = _Server(self.state, tls)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{'https' if self._server.tls else 'http'}://{host}:{port}"

    def __enter__(self) -> SendGridStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *faults: str) -> None:
        """Faults for the next requests, in order (then normal service)."""
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {FAULTS}")
        with self.state.lock:
            self.state.faults.extend(faults)

    def reject(self, emails: Iterable[str]) -> None:
        """Refuse these recipients with a 400 naming their personalization."""
        self.state.reject_emails.update(e.lower() for e in emails)

    def choke(self, emails: Iterable[str]) -> None:
        """Answer 500 to every request that names one of these recipients."""
        self.state.choke_emails.update(e.lower() for e in emails)

    def delivered_counts(self) -> Counter[str]:
        """How many times each address was accepted."""
        with self.state.lock:
            return Counter(d.email for d in self.state.deliveries)


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in as a process until killed; write its URL to --ready-file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count-file", help="write accepted counts here on SIGTERM")
    args = parser.parse_args(argv)
    state = StandInState(
        validate=not args.no_validate,
        keep_bodies=args.count_file is not None,
        random_fault_rate=args.fault_rate,
        rng=random.Random(args.seed),
    )
    server = _Server(state)
    host, port = server.server_address[:2]
    Path(args.ready_file).write_text(f"http://{host}:{port}", encoding="utf-8")

    import signal

    def finish(*_: object) -> None:
        if args.count_file:
            counts = Counter(d.email for d in state.deliveries)
            Path(args.count_file).write_text(
                json.dumps(
                    {
                        "accepted": state.accepted_count,
                        "requests": state.request_count,
                        "counts": counts,
                    }
                ),
                encoding="utf-8",
            )
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, finish)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
