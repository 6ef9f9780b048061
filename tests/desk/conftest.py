"""Fixtures for the desk tests: staff accounts, a signed-in client, a role-checked route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from digest.app import App
from digest.signin import StaffSession
from digest.staff import Role, add_user
from digest.web import create_app
from digest.web.desk import require_role
from tests.conftest import FixedClock, make_app, make_config
from tests.web.fakes import RecordingTransport

PASSWORD = "correct horse battery staple"
EDITOR = "editor@skn.example"
OPS = "ops@skn.example"
ADMIN = "admin@skn.example"
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a desk page's forms."""
    match = CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in as ``email``; returns the session's CSRF token."""
    form = client.get("/desk/login")
    r = client.post(
        "/desk/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert r.status_code == 303, r.text
    home = client.get("/desk/")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


def add_staff_route(api: FastAPI) -> None:
    """An editor-only route (GET and POST) to check require_role and CSRF on."""
    changes: list[str] = []
    api.state.test_changes = changes

    def editor_only(
        request: Request,
        staff: Annotated[StaffSession, Depends(require_role(Role.EDITOR))],
    ) -> PlainTextResponse:
        if request.method == "POST":
            changes.append(staff.email)
        return PlainTextResponse(f"ok {staff.email}")

    api.add_api_route("/desk/test-editor", editor_only, methods=["GET", "POST"])


@pytest.fixture
def staff_app(tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """A migrated App with an editor, an ops member and an admin."""
    application = make_app(make_config(tmp_path), clock, transport=RecordingTransport())
    for email, role in ((EDITOR, Role.EDITOR), (OPS, Role.OPS), (ADMIN, Role.ADMIN)):
        add_user(application, email, role, PASSWORD, actor="test")
    yield application
    application.engine.dispose()


def desk_client(app: App, **kw: Any) -> TestClient:
    api = create_app(app)
    add_staff_route(api)
    return TestClient(api, follow_redirects=False, **kw)


@pytest.fixture
def desk(staff_app: App) -> Iterator[TestClient]:
    with desk_client(staff_app) as c:
        yield c
