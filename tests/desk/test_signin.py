"""Sign-in at /desk/login: cookie flags, expiry, sign-out, rate limits, CSRF, roles."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from digest.app import App
from digest.audit import AuditAction, audit_log
from digest.signin import SignInRefused, session_for
from digest.signin import sign_in as sign_in_use_case
from digest.staff import Role, add_user, remove_user, set_password, set_role
from digest.store.schema import StaffSessionRow
from tests.conftest import FixedClock, make_app, make_config
from tests.desk.conftest import (
    ADMIN,
    EDITOR,
    OPS,
    PASSWORD,
    csrf_of,
    desk_client,
    sign_in,
)


def _cookie(response: object, name: str) -> dict[str, str | bool]:
    jar: SimpleCookie = SimpleCookie()
    header = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    jar.load(header[0])
    morsel = jar[name]
    return {k: morsel[k] for k in ("httponly", "samesite", "secure", "path", "max-age")}


def _login(client: TestClient, email: str, password: str) -> object:
    client.cookies.clear()
    form = client.get("/desk/login")
    return client.post(
        "/desk/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
    )


def test_the_desk_asks_for_sign_in_and_comes_back_after(desk: TestClient) -> None:
    r = desk.get("/desk/")
    assert r.status_code == 303 and r.headers["location"] == "/desk/login?next=/desk/"
    form = desk.get("/desk/login?next=/desk/test-editor")
    assert 'autocomplete="current-password"' in form.text
    r = desk.post(
        "/desk/login",
        data={
            "email": EDITOR,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/desk/test-editor",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/desk/test-editor"
    assert desk.get("/desk/test-editor").text == f"ok {EDITOR}"


def test_the_session_cookie_is_httponly_strict_and_secure_only_over_https(
    staff_app: App,
) -> None:
    with desk_client(staff_app) as plain:
        r = _login(plain, EDITOR, PASSWORD)
        flags = _cookie(r, "digest_desk")
        assert flags["httponly"] is True and flags["samesite"] == "strict"
        assert flags["path"] == "/desk" and not flags["secure"]
        assert int(flags["max-age"]) == 12 * 3600
    with desk_client(staff_app, base_url="https://testserver") as tls:
        r = _login(tls, EDITOR, PASSWORD)
        assert _cookie(r, "digest_desk")["secure"] is True


def test_after_sign_in_goes_only_to_desk_pages(desk: TestClient) -> None:
    for evil in ("https://evil.example/", "//evil.example/desk/", "/desk/\\evil", "/subscribe"):
        desk.cookies.clear()
        form = desk.get("/desk/login")
        r = desk.post(
            "/desk/login",
            data={
                "email": EDITOR,
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": evil,
            },
        )
        assert r.headers["location"] == "/desk/", evil


def test_a_wrong_password_is_refused_without_saying_which_part(desk: TestClient) -> None:
    wrong = _login(desk, EDITOR, "not the password")
    unknown = _login(desk, "nobody@skn.example", PASSWORD)
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert "The email address or the password is not right." in r.text
        assert "digest_desk=" not in r.headers.get("set-cookie", "")
    assert desk.get("/desk/").status_code == 303


def test_sign_in_without_the_form_token_is_refused(desk: TestClient) -> None:
    r = desk.post("/desk/login", data={"email": EDITOR, "password": PASSWORD})
    assert r.status_code == 403
    desk.get("/desk/login")  # a cookie nonce, but a forged field
    r = desk.post(
        "/desk/login", data={"email": EDITOR, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403
    assert desk.get("/desk/").status_code == 303


def test_sign_out_ends_the_session_on_the_server(desk: TestClient) -> None:
    token = sign_in(desk, EDITOR)
    cookie = desk.cookies.get("digest_desk")
    r = desk.post("/desk/logout", data={"csrf_token": token})
    assert r.status_code == 303 and "signed_out=1" in r.headers["location"]
    assert "You are signed out." in desk.get(r.headers["location"]).text
    desk.cookies.clear()
    desk.cookies.set("digest_desk", cookie, path="/desk")  # a copy kept by an attacker
    assert desk.get("/desk/").status_code == 303


def test_sign_out_needs_the_csrf_token(desk: TestClient) -> None:
    sign_in(desk, EDITOR)
    r = desk.post("/desk/logout", data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert "nothing was changed" in r.text
    assert desk.get("/desk/").status_code == 200


def test_a_forged_cookie_is_no_session(desk: TestClient) -> None:
    sign_in(desk, EDITOR)
    cookie = desk.cookies.get("digest_desk")
    desk.cookies.clear()
    desk.cookies.set("digest_desk", cookie, path="/desk")
    assert desk.get("/desk/").status_code == 200  # the copy itself works
    desk.cookies.clear()
    desk.cookies.set("digest_desk", cookie[:-3] + "AAA", path="/desk")
    assert desk.get("/desk/").status_code == 303


def test_sessions_expire_when_idle_and_after_the_absolute_limit(
    staff_app: App, clock: FixedClock
) -> None:
    with desk_client(staff_app) as c:
        sign_in(c, EDITOR)
        start = clock.now
        clock.now = start + timedelta(minutes=59)
        assert c.get("/desk/").status_code == 200  # use pushes the idle expiry on
        clock.now = start + timedelta(minutes=59 + 61)
        assert c.get("/desk/").status_code == 303
    with desk_client(staff_app) as c:
        sign_in(c, EDITOR)
        start = clock.now
        for minutes in range(50, 12 * 60, 50):
            clock.now = start + timedelta(minutes=minutes)
            assert c.get("/desk/").status_code == 200
        clock.now = start + timedelta(hours=12)
        assert c.get("/desk/").status_code == 303
    with staff_app.engine.connect() as conn:
        # the expired sessions were deleted when they were found expired
        assert conn.execute(select(func.count()).select_from(StaffSessionRow)).scalar_one() == 0


def test_removing_an_account_or_changing_its_password_ends_its_sessions(
    staff_app: App,
) -> None:
    with desk_client(staff_app) as c:
        sign_in(c, EDITOR)
        set_password(staff_app, EDITOR, "a brand new password", actor="cli:test")
        assert c.get("/desk/").status_code == 303
        sign_in(c, EDITOR, "a brand new password")
        remove_user(staff_app, EDITOR, actor="cli:test")
        assert c.get("/desk/").status_code == 303


def test_roles_are_checked_on_every_request(staff_app: App) -> None:
    with desk_client(staff_app) as c:
        sign_in(c, OPS)
        r = c.get("/desk/test-editor")
        assert r.status_code == 403 and "Your role does not allow this." in r.text
        set_role(staff_app, OPS, Role.EDITOR, actor="cli:test")
        assert c.get("/desk/test-editor").status_code == 200
    with desk_client(staff_app) as c:
        sign_in(c, ADMIN)  # admin passes every role check
        assert c.get("/desk/test-editor").status_code == 200


def test_a_state_change_needs_the_session_csrf_token(desk: TestClient) -> None:
    token = sign_in(desk, EDITOR)
    changes = desk.app.state.test_changes
    assert desk.post("/desk/test-editor").status_code == 403
    assert desk.post("/desk/test-editor", data={"csrf_token": "x" * 43}).status_code == 403
    assert desk.post("/desk/test-editor", json={"csrf_token": token}).status_code == 403
    assert changes == []
    assert desk.post("/desk/test-editor", data={"csrf_token": token}).status_code == 200
    assert changes == [EDITOR]


def test_a_post_without_a_session_is_refused_not_redirected(desk: TestClient) -> None:
    r = desk.post("/desk/test-editor", data={"csrf_token": "x"})
    assert r.status_code == 403 and "You are not signed in" in r.text
    assert desk.app.state.test_changes == []


def test_failed_sign_ins_are_limited_per_address(staff_app: App, clock: FixedClock) -> None:
    with desk_client(staff_app) as c:
        for _ in range(5):
            assert _login(c, EDITOR, "wrong password!").status_code == 401
        r = _login(c, EDITOR, PASSWORD)  # even the right password waits now
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text
        assert 1 <= int(r.headers["retry-after"]) <= 15 * 60
        assert _login(c, OPS, PASSWORD).status_code == 303  # other addresses are not blocked
        clock.now += timedelta(minutes=15, seconds=1)
        assert _login(c, EDITOR, PASSWORD).status_code == 303


def test_failed_sign_ins_are_limited_per_client_across_web_workers(
    tmp_path, clock: FixedClock
) -> None:
    config = make_config(
        tmp_path, desk={"signin_failures_per_client": 3, "signin_failures_per_address": 50}
    )
    app_a = make_app(config, clock)
    add_user(app_a, EDITOR, Role.EDITOR, PASSWORD, actor="test")
    app_b = make_app(config, clock)  # a second worker process on the same database
    try:
        with desk_client(app_a) as a, desk_client(app_b) as b:
            assert _login(a, "x1@skn.example", "wrong password!").status_code == 401
            assert _login(b, "x2@skn.example", "wrong password!").status_code == 401
            assert _login(a, "x3@skn.example", "wrong password!").status_code == 401
            assert _login(b, EDITOR, PASSWORD).status_code == 429
    finally:
        app_a.engine.dispose()
        app_b.engine.dispose()


def test_sign_in_use_case_on_each_database(any_app: App) -> None:
    add_user(any_app, EDITOR, Role.EDITOR, PASSWORD, actor="test")
    with pytest.raises(SignInRefused) as refused:
        sign_in_use_case(any_app, EDITOR, "nope nope nope", client="10.0.0.1", user_agent=None)
    assert not refused.value.rate_limited
    token, session = sign_in_use_case(
        any_app, EDITOR.upper(), PASSWORD, client="10.0.0.1", user_agent="pytest"
    )
    assert session.role is Role.EDITOR and len(session.csrf_token) >= 32
    found = session_for(any_app, token)
    assert found is not None and found.email == EDITOR
    assert session_for(any_app, token + "x") is None
    with any_app.engine.connect() as conn:
        stored = conn.execute(select(StaffSessionRow.token_hash)).scalar_one()
    assert token not in stored  # only a hash of the token is kept
    actions = [e.action for e in audit_log(any_app)]
    assert AuditAction.SIGNED_IN in actions


def test_the_desk_speaks_hebrew_right_to_left(desk: TestClient) -> None:
    r = desk.get("/desk/login?lang=he")
    assert 'dir="rtl"' in r.text and 'lang="he"' in r.text
    assert "כניסה לדסק" in r.text
    assert "digest_desk_lang=he" in r.headers["set-cookie"]
    # the choice sticks for the next pages
    assert "כניסה לדסק" in desk.get("/desk/login").text


def test_desk_pages_are_not_cached_or_framed(desk: TestClient) -> None:
    r = desk.get("/desk/login")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]
    assert "<script" not in r.text


def test_unused_staff_fixture_roles_exist(staff_app: App) -> None:
    with pytest.raises(Exception, match="already has an account"):
        add_user(staff_app, ADMIN, Role.ADMIN, PASSWORD, actor="test")
