"""uvicorn serving a web app on a free 127.0.0.1 port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from digest.app import App
from digest.web import create_app


class LiveServer:
    """uvicorn serving the web app on a free 127.0.0.1 port in a background thread."""

    def __init__(self, app: App, **options: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(
            create_app(app),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            **options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
