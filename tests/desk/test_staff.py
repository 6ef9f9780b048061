"""Staff accounts: argon2id hashes, roles, bad input refused, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from digest.app import App
from digest.audit import AuditAction, audit_log
from digest.staff import (
    Role,
    StaffError,
    add_user,
    list_users,
    parse_role,
    remove_user,
    set_password,
    set_role,
)
from digest.store.schema import StaffUserRow
from tests.desk.conftest import PASSWORD


def test_add_hashes_with_argon2id_and_lists_without_the_hash(any_app: App) -> None:
    user = add_user(any_app, "  Ed@SKN.example ", Role.EDITOR, PASSWORD, actor="cli:test")
    assert user.email == "ed@skn.example" and user.role is Role.EDITOR
    with any_app.engine.connect() as conn:
        stored = conn.execute(select(StaffUserRow.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    listed = list_users(any_app)
    assert [(u.email, u.role) for u in listed] == [("ed@skn.example", Role.EDITOR)]
    assert not hasattr(listed[0], "password_hash")


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-address", PASSWORD, "not an email address"),
        ("ed@skn.example", "short", "at least 12 characters"),
        ("ed@skn.example", " " * 14, "only spaces"),
        ("ed@skn.example", "ed@skn.example", "must not be the email address"),
    ],
)
def test_bad_accounts_are_refused_and_nothing_is_stored(
    app: App, email: str, password: str, message: str
) -> None:
    with pytest.raises(StaffError, match=message):
        add_user(app, email, Role.EDITOR, password, actor="cli:test")
    assert list_users(app) == []
    assert audit_log(app) == []


def test_a_second_account_for_an_address_is_refused(app: App) -> None:
    add_user(app, "ed@skn.example", Role.EDITOR, PASSWORD, actor="cli:test")
    with pytest.raises(StaffError, match="already has an account"):
        add_user(app, "ED@skn.example", Role.ADMIN, PASSWORD, actor="cli:test")
    assert [u.role for u in list_users(app)] == [Role.EDITOR]


def test_unknown_role_names_the_choices() -> None:
    with pytest.raises(StaffError, match="choose one of: editor, ops, admin"):
        parse_role("chief")
    assert parse_role(" OPS ") is Role.OPS


def test_changes_are_audited_with_before_and_after(any_app: App) -> None:
    add_user(any_app, "ed@skn.example", Role.EDITOR, PASSWORD, actor="cli:alice")
    set_role(any_app, "ed@skn.example", Role.OPS, actor="cli:alice")
    set_password(any_app, "ed@skn.example", "another long password", actor="cli:bob")
    remove_user(any_app, "ed@skn.example", actor="cli:bob")
    entries = list(reversed(audit_log(any_app)))
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("cli:alice", AuditAction.USER_ADDED, "ed@skn.example"),
        ("cli:alice", AuditAction.ROLE_CHANGED, "ed@skn.example"),
        ("cli:bob", AuditAction.PASSWORD_CHANGED, "ed@skn.example"),
        ("cli:bob", AuditAction.USER_REMOVED, "ed@skn.example"),
    ]
    assert entries[1].before == {"role": "editor"} and entries[1].after == {"role": "ops"}
    assert entries[3].before == {"role": "ops"}
    assert all(e.at == any_app.clock() for e in entries)
    assert list_users(any_app) == []


def test_changing_a_missing_account_says_so(app: App) -> None:
    for call in (
        lambda: remove_user(app, "nobody@skn.example", actor="t"),
        lambda: set_role(app, "nobody@skn.example", Role.OPS, actor="t"),
        lambda: set_password(app, "nobody@skn.example", PASSWORD, actor="t"),
    ):
        with pytest.raises(StaffError, match="no staff account for nobody@skn.example"):
            call()
    assert audit_log(app) == []
