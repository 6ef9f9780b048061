"""Fixtures for the ops tests: the send tests' app factory and SendGrid stand-in."""

from tests.send.conftest import new_app, standin  # noqa: F401 - fixtures shared with send tests
