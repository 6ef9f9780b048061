"""Fixtures for the send tests: apps whose engines are disposed, the SendGrid stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from digest.app import App
from tests.fakes.sendgrid_server import SCHEMA_FILE, SendGridStandIn
from tests.send.helpers import send_app


@pytest.fixture
def new_app() -> Iterator[Callable[..., App]]:
    """Build apps with send_app; their engines are disposed after the test."""
    made: list[App] = []

    def factory(*args: Any, **kw: Any) -> App:
        app = send_app(*args, **kw)
        made.append(app)
        return app

    yield factory
    for app in made:
        app.engine.dispose()


@pytest.fixture
def standin() -> Iterator[SendGridStandIn]:
    """A SendGrid stand-in on 127.0.0.1 for one test (it validates against ../shared)."""
    if not SCHEMA_FILE.is_file():
        pytest.skip(f"SendGrid's OpenAPI spec not found at {SCHEMA_FILE} (../shared missing)")
    with SendGridStandIn() as sg:
        yield sg
