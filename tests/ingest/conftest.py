"""Fixtures for the ingest tests: a feed server on 127.0.0.1 and a closed port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.ingest.feed_server import FeedServer, start


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running HTTP server with no routes yet; add them to ``.routes``."""
    yield from start(FeedServer())


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return int(port)
