"""A real HTTP server on 127.0.0.1 that serves feeds the way publishers' servers do."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FeedServer:
    """Routes by path; remembers the request headers it saw, for assertions."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    body_bytes_sent: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def headers_for(self, path: str) -> list[dict[str, str]]:
        """Request headers of every request made to ``path``, in order."""
        return [h for p, h in self.seen if p == path]


def serve_conditional(
    body: Callable[[], bytes],
    etag: Callable[[], str],
    last_modified: str,
    content_type: str = "application/rss+xml; charset=utf-8",
) -> Handler:
    """A handler answering 304 when the validators match, else 200 with the body."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        current = etag()
        if req.headers.get("If-None-Match") == current or (
            req.headers.get("If-None-Match") is None
            and req.headers.get("If-Modified-Since") == last_modified
        ):
            req.send_response(304)
            req.send_header("ETag", current)
            req.end_headers()
            return
        data = body()
        req.send_response(200)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(data)))
        req.send_header("ETag", current)
        req.send_header("Last-Modified", last_modified)
        req.end_headers()
        req.wfile.write(data)

    return handle


def serve_bytes(data: bytes, content_type: str, status: int = 200) -> Handler:
    """A handler that always answers ``status`` with ``data``."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(status)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    return handle


def start(server_state: FeedServer) -> Iterator[FeedServer]:
    """Run the server in a thread for the duration of a test."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            path = self.path.split("?", 1)[0]
            server_state.seen.append((path, {k: v for k, v in self.headers.items()}))
            handler = server_state.routes.get(path)
            if handler is None:
                self.send_error(404)
                return
            try:
                handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (size cap, timeout): that is the point of the test

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    server_state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server_state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
