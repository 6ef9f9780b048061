"""A tiny HTTP receiver on 127.0.0.1 that records what is posted to it (Apprise json://).

``fail_next(n)`` makes the next n requests answer 500.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class HttpReceiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        self._fail = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    failing = receiver._fail > 0
                    receiver._fail -= 1 if failing else 0
                    if not failing:
                        try:
                            body: Any = json.loads(raw)
                        except ValueError:
                            body = raw.decode("utf-8", "replace")
                        receiver.posts.append((self.path, dict(self.headers), body))
                self.send_response(500 if failing else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._fail = n

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
