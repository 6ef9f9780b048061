"""A Web Push service stand-in on 127.0.0.1 (RFC 8030 delivery, RFC 8291, RFC 8292).

The test plays the browser: ``service.subscribe()`` makes the P-256 key pair and the auth
secret a browser would, and returns the subscription JSON the page would post. Every push
the sender makes is checked as a real push service would:

- ``Authorization: vapid t=JWT, k=KEY``: the JWT is ES256 over the key ``k``, its ``aud``
  is this service's origin, its ``exp`` lies in the next 24 hours, ``sub`` is a mailto: or
  https: URL (403 otherwise; 401 without the header);
- ``TTL`` is present, ``Content-Encoding`` is ``aes128gcm``, ``Topic`` (if any) is at most
  32 URL-safe base64 characters, ``Urgency`` (if any) is one of RFC 8030's four;
- the body is at most 4,096 bytes (413 otherwise) and decrypts with the subscription's
  private key and auth secret (400 otherwise); the plaintext is kept for assertions.

Faults, per subscription (``mode``) or scripted for the next requests (``script``):
``gone`` 410, ``not-found`` 404, ``too-large:N`` 413 for bodies over N bytes, ``429`` (with
``Retry-After``), ``500``, ``hang`` (never answers: the client must time out), ``drop``
(reads the request, closes without answering).

It serves TLS with a self-signed certificate made by the test (``tests.fakes.tls``), offers
HTTP/2 through ALPN when the ``h2`` package is installed, and HTTP/1.1 otherwise.

In-process::

    with PushServiceStandIn(cert) as service:
        sub = service.subscribe()            # the browser's side
        ... POST sub.json to /push/subscriptions, send the edition ...
        assert [m.payload["title"] for m in service.received(sub.id)] == [...]

As a process (benchmarks, crash tests)::

    python -m tests.fakes.push_service --cert-dir DIR --keys FILE --ready-file PATH
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import secrets
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from tests.fakes.tls import LoopbackCertificate, make_loopback_certificate

MAX_BODY = 4096
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
URGENCIES = {"very-low", "low", "normal", "high"}
HANG = object()
DROP = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class BrowserSubscription:
    """What a browser's PushManager.subscribe() gives the page, with the private half kept."""

    id: str
    endpoint: str
    p256dh: str
    auth: str

    @property
    def json(self) -> dict[str, Any]:
        """The PushSubscription JSON a page posts (``endpoint`` and ``keys``)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class ReceivedPush:
    """One push the service accepted, decrypted."""

    subscription_id: str
    plaintext: bytes
    body_bytes: int
    ttl: int
    topic: str | None
    urgency: str | None
    vapid_sub: str
    at: float

    @property
    def payload(self) -> Any:
        return json.loads(self.plaintext)


@dataclass
class _Keys:
    private_value: int
    auth: bytes
    mode: str = "ok"
    _key: ec.EllipticCurvePrivateKey | None = None

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        if self._key is None:
            self._key = ec.derive_private_key(self.private_value, ec.SECP256R1())
        return self._key


@dataclass
class _Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class PushServiceState:
    """The service's subscriptions, what it received, and the faults it is told to make."""

    def __init__(self, *, decrypt_every: int = 1) -> None:
        self.origin = ""
        self.decrypt_every = max(1, decrypt_every)
        self._lock = threading.Lock()
        self._subs: dict[str, _Keys] = {}
        self._received: dict[str, list[ReceivedPush]] = {}
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[int] = Counter()
        self._script: deque[str] = deque()
        self._tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self.rejections: list[tuple[int, str]] = []
        self.requests = 0
        self._accepted = 0

    # ---- the browser's side -------------------------------------------------------------

    def add_keys(self, sub_id: str, private_value: int, auth: bytes, mode: str = "ok") -> None:
        """Register a subscription whose keys were made elsewhere (process mode)."""
        with self._lock:
            self._subs[sub_id] = _Keys(private_value, auth, mode)

    def set_mode(self, sub_id: str, mode: str) -> None:
        """Change how the service answers pushes to one subscription."""
        with self._lock:
            self._subs[sub_id].mode = mode

    def script(self, *faults: str) -> None:
        """The next requests (to any subscription) get these faults, in order."""
        with self._lock:
            self._script.extend(faults)

    # ---- what happened ------------------------------------------------------------------

    def received(self, sub_id: str) -> list[ReceivedPush]:
        with self._lock:
            return list(self._received.get(sub_id, ()))

    def counts(self) -> dict[str, int]:
        """Accepted pushes per subscription id."""
        with self._lock:
            return dict(self._counts)

    def statuses(self) -> dict[int, int]:
        with self._lock:
            return dict(self._statuses)

    # ---- the service's side -------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """The answer to one request: a _Response, HANG or DROP."""
        if method == "GET" and path == "/_stats":
            return _Response(200, {"content-type": "application/json"}, self._stats_json())
        response = self._handle_push(method, path, headers, body)
        if isinstance(response, _Response):
            with self._lock:
                self.requests += 1
                self._statuses[response.status] += 1
                if response.status >= 400 and response.status not in (404, 410, 429, 500):
                    self.rejections.append((response.status, response.body.decode()))
        return response

    def _stats_json(self) -> bytes:
        with self._lock:
            return json.dumps(
                {
                    "counts": dict(self._counts),
                    "statuses": {str(k): v for k, v in self._statuses.items()},
                    "rejections": self.rejections[-50:],
                    "requests": self.requests,
                }
            ).encode()

    def _handle_push(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if method != "POST" or not path.startswith("/push/"):
            return _Response(404, body=b"no such resource")
        sub_id = path.removeprefix("/push/")
        with self._lock:
            keys = self._subs.get(sub_id)
            fault = self._script.popleft() if self._script else None
        if keys is None:
            return _Response(404, body=b"unknown subscription")
        fault = fault or keys.mode
        early = self._fault_response(fault, len(body))
        if early is not None:
            return early
        problem = self._check_headers(headers, len(body))
        if problem is not None:
            return problem
        claims = self._check_vapid(headers.get("authorization", ""))
        if isinstance(claims, _Response):
            return claims
        return self._accept(sub_id, keys, headers, body, claims)

    def _fault_response(self, fault: str, size: int) -> Any:
        if fault == "ok":
            return None
        if fault == "gone":
            return _Response(410, body=b"subscription expired")
        if fault == "not-found":
            return _Response(404, body=b"subscription not found")
        if fault == "429":
            return _Response(429, {"retry-after": "1"}, b"slow down")
        if fault == "500":
            return _Response(500, body=b"internal error")
        if fault == "hang":
            return HANG
        if fault == "drop":
            return DROP
        if fault.startswith("too-large:") and size > int(fault.split(":", 1)[1]):
            return _Response(413, body=b"payload too large")
        return None

    def _check_headers(self, headers: dict[str, str], size: int) -> _Response | None:
        if size > MAX_BODY:
            return _Response(413, body=f"body of {size} bytes is over {MAX_BODY}".encode())
        ttl = headers.get("ttl")
        if ttl is None or not ttl.isdigit():
            return _Response(400, body=b"TTL header missing or not a number")
        if headers.get("content-encoding") != "aes128gcm":
            return _Response(400, body=b"Content-Encoding must be aes128gcm")
        topic = headers.get("topic")
        if topic is not None and not TOPIC_RE.fullmatch(topic):
            return _Response(400, body=b"Topic must be 1-32 URL-safe base64 characters")
        urgency = headers.get("urgency")
        if urgency is not None and urgency not in URGENCIES:
            return _Response(400, body=b"unknown Urgency")
        return None

    def _check_vapid(self, authorization: str) -> dict[str, Any] | _Response:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return _Response(401, body=b"missing vapid Authorization")
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        cached = self._tokens.get((token, key))
        claims = cached if cached is not None else self._verify_jwt(token, key)
        if isinstance(claims, _Response):
            return claims
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int) or not now < exp <= now + 86400:
            return _Response(403, body=b"JWT exp must lie within the next 24 hours")
        self._tokens[(token, key)] = claims
        return claims

    def _verify_jwt(self, token: str, key: str) -> dict[str, Any] | _Response:
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            sig = unb64url(sig_b64)
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            if header.get("alg") != "ES256" or len(sig) != 64:
                return _Response(403, body=b"JWT must be ES256")
            der = utils.encode_dss_signature(
                int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            )
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return _Response(403, body=b"JWT signature does not verify")
        except (ValueError, TypeError):
            return _Response(403, body=b"malformed JWT or key")
        if claims.get("aud") != self.origin:
            return _Response(403, body=f"JWT aud must be {self.origin}".encode())
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            return _Response(403, body=b"JWT sub must be a mailto: or https: URL")
        return claims

    def _accept(
        self, sub_id: str, keys: _Keys, headers: dict[str, str], body: bytes, claims: dict
    ) -> _Response:
        with self._lock:
            self._accepted += 1
            index = self._accepted
        plaintext = b""
        if index % self.decrypt_every == 0:
            try:
                plaintext = http_ece.decrypt(
                    body, private_key=keys.private_key(), auth_secret=keys.auth
                )
            except Exception as exc:  # any failure to decrypt is the sender's fault
                return _Response(400, body=f"cannot decrypt: {exc}".encode())
        push = ReceivedPush(
            subscription_id=sub_id,
            plaintext=plaintext,
            body_bytes=len(body),
            ttl=int(headers["ttl"]),
            topic=headers.get("topic"),
            urgency=headers.get("urgency"),
            vapid_sub=str(claims.get("sub")),
            at=time.time(),
        )
        with self._lock:
            self._counts[sub_id] += 1
            if self.decrypt_every == 1:
                self._received.setdefault(sub_id, []).append(push)
        message_id = secrets.token_hex(8)
        return _Response(201, {"location": f"{self.origin}/message/{message_id}"})


def new_browser_keys() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    """A browser's P-256 key pair and 16-byte auth secret."""
    return ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16)


def public_b64(private: ec.EllipticCurvePrivateKey) -> str:
    raw = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


# ---- the servers (HTTP/1.1 and HTTP/2 over TLS) ------------------------------------------


class _Connection(asyncio.Protocol):
    """One client connection; HTTP/2 when ALPN chose it, else HTTP/1.1."""

    def __init__(self, server: PushServiceStandIn) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.h2: Any = None
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.hanging = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.server.connections.add(self)
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2":
            import h2.config
            import h2.connection

            config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
            self.h2 = h2.connection.H2Connection(config=config)
            self.h2.initiate_connection()
            transport.write(self.h2.data_to_send())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        if self.h2 is not None:
            self._h2_received(data)
        else:
            self.buffer += data
            self._h1_parse()

    # HTTP/1.1: requests in order, Content-Length bodies only
    def _h1_parse(self) -> None:
        while not self.hanging and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self._h1_respond(self.server.state.handle(method, path, headers, body))

    def _h1_respond(self, response: Any) -> None:
        assert self.transport is not None
        if response is HANG:
            self.hanging = True
            return
        if response is DROP:
            self.transport.close()
            self.transport = None
            return
        reason = {201: "Created", 200: "OK"}.get(response.status, "Error")
        head = [f"HTTP/1.1 {response.status} {reason}", f"content-length: {len(response.body)}"]
        head += [f"{k}: {v}" for k, v in response.headers.items()]
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)

    # HTTP/2: many streams on one connection
    def _h2_received(self, data: bytes) -> None:
        import h2.events

        assert self.transport is not None
        try:
            events = self.h2.receive_data(data)
        except Exception:  # a protocol error: the client is at fault, close
            self.transport.close()
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.streams[event.stream_id] = (dict(event.headers), bytearray())
            elif isinstance(event, h2.events.DataReceived):
                self.streams[event.stream_id][1].extend(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self._h2_respond(event.stream_id)
        self.transport.write(self.h2.data_to_send())

    def _h2_respond(self, stream_id: int) -> None:
        raw_headers, body = self.streams.pop(stream_id)
        headers = {k.lower(): v for k, v in raw_headers.items() if not k.startswith(":")}
        method, path = raw_headers.get(":method", ""), raw_headers.get(":path", "")
        response = self.server.state.handle(method, path, headers, bytes(body))
        if response is HANG:
            return
        if response is DROP:
            assert self.transport is not None
            self.transport.close()
            return
        out = [(":status", str(response.status)), ("content-length", str(len(response.body)))]
        out += list(response.headers.items())
        self.h2.send_headers(stream_id, out, end_stream=not response.body)
        if response.body:
            self.h2.send_data(stream_id, response.body, end_stream=True)


class PushServiceStandIn:
    """The stand-in served over TLS on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        cert: LoopbackCertificate,
        *,
        http2: bool = True,
        port: int = 0,
        decrypt_every: int = 1,
    ) -> None:
        self.cert = cert
        self.http2 = http2 and _h2_available()
        self.state = PushServiceState(decrypt_every=decrypt_every)
        self.port = port
        self.connections: set[_Connection] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="push-stand-in", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert.cert_file, self.cert.key_file)
        context.set_alpn_protocols(["h2", "http/1.1"] if self.http2 else ["http/1.1"])
        return context

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await self._loop.create_server(
                lambda: _Connection(self), "127.0.0.1", self.port, ssl=self.ssl_context()
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self.state.origin = self.origin
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def start(self) -> PushServiceStandIn:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("push service stand-in did not start")
        return self

    def stop(self) -> None:
        def close_all() -> None:
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.close()
            if self._server is not None:
                self._server.close()
            self._loop.call_later(0.05, self._loop.stop)

        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(close_all)
            self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> PushServiceStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # conveniences for tests ------------------------------------------------------------

    def subscribe(self, mode: str = "ok") -> BrowserSubscription:
        """Play the browser: make keys, register them here, return the subscription."""
        private, auth = new_browser_keys()
        sub_id = secrets.token_urlsafe(12)
        self.state.add_keys(sub_id, private.private_numbers().private_value, auth, mode)
        return BrowserSubscription(
            id=sub_id,
            endpoint=f"{self.origin}/push/{sub_id}",
            p256dh=public_b64(private),
            auth=b64url(auth),
        )

    def received(self, sub_id: str) -> list[ReceivedPush]:
        return self.state.received(sub_id)

    def script(self, *faults: str) -> None:
        self.state.script(*faults)

    def set_mode(self, sub_id: str, mode: str) -> None:
        self.state.set_mode(sub_id, mode)


def _h2_available() -> bool:
    try:
        import h2  # noqa: F401
    except ImportError:
        return False
    return True


# ---- process mode --------------------------------------------------------------------------


def write_keys_file(
    path: Path, count: int, modes: Callable[[int], str] | None = None
) -> list[tuple[str, str, str]]:
    """Make ``count`` browsers' keys for process mode: (id, p256dh, auth) each, keys kept."""
    made = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            private, auth = new_browser_keys()
            value = private.private_numbers().private_value
            row = {"id": f"s{i}", "d": f"{value:x}", "auth": b64url(auth)}
            out.write(json.dumps({**row, "mode": modes(i) if modes else "ok"}) + "\n")
            made.append((row["id"], public_b64(private), row["auth"]))
    return made


def browser_subscriptions(
    origin: str, made: Iterable[tuple[str, str, str]]
) -> list[BrowserSubscription]:
    """The subscriptions of keys made by ``write_keys_file`` for a service at ``origin``."""
    return [BrowserSubscription(i, f"{origin}/push/{i}", p256dh, auth) for i, p256dh, auth in made]


def load_keys_file(state: PushServiceState, lines: Iterable[str]) -> None:
    for line in lines:
        if line.strip():
            row = json.loads(line)
            state.add_keys(row["id"], int(row["d"], 16), unb64url(row["auth"]), row["mode"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert-dir", type=Path, required=True)
    parser.add_argument("--keys", type=Path, required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--no-http2", action="store_true")
    parser.add_argument("--decrypt-every", type=int, default=1)
    args = parser.parse_args(argv)
    cert = LoopbackCertificate(
        args.cert_dir / "push-service-cert.pem", args.cert_dir / "push-service-key.pem"
    )
    if not cert.cert_file.exists():
        cert = make_loopback_certificate(args.cert_dir)
    service = PushServiceStandIn(
        cert, http2=not args.no_http2, port=args.port, decrypt_every=args.decrypt_every
    )
    with args.keys.open(encoding="utf-8") as lines:
        load_keys_file(service.state, lines)
    service.start()
    args.ready_file.write_text(service.origin, encoding="utf-8")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        service.stop()


if __name__ == "__main__":
    main()
