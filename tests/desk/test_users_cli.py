"""`digest users …` and `digest audit` through the real console script."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import digest, write_config
from tests.desk.conftest import PASSWORD


def _init(tmp_path: Path) -> None:
    write_config(tmp_path)
    assert digest("init", cwd=tmp_path).returncode == 0


def _add(tmp_path: Path, email: str, role: str, password: str = PASSWORD):  # noqa: ANN202
    return digest(
        "users", "add", email, "--role", role, "--password-stdin", cwd=tmp_path, stdin=password
    )


def test_add_list_set_role_remove_and_audit(tmp_path: Path) -> None:
    _init(tmp_path)
    r = _add(tmp_path, "Ed@SKN.example", "editor", PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "added ed@skn.example (editor)"
    r = digest("users", "list", "--json", cwd=tmp_path)
    assert [(u["email"], u["role"]) for u in json.loads(r.stdout)] == [("ed@skn.example", "editor")]
    r = digest("users", "set-role", "ed@skn.example", "admin", cwd=tmp_path)
    assert r.returncode == 0 and "is now admin" in r.stdout
    r = digest(
        "users",
        "set-password",
        "ed@skn.example",
        "--password-stdin",
        cwd=tmp_path,
        stdin="an entirely new password\n",
    )
    assert r.returncode == 0 and "0 session(s) ended" in r.stdout
    assert digest("users", "remove", "ed@skn.example", cwd=tmp_path).returncode == 0
    assert "no staff accounts yet" in digest("users", "list", cwd=tmp_path).stdout
    entries = json.loads(digest("audit", "--json", cwd=tmp_path).stdout)
    actions = [e["action"] for e in entries]
    assert actions == ["user-removed", "password-changed", "role-changed", "user-added"]
    assert all(e["actor"].startswith("cli:") for e in entries)
    text = digest("audit", cwd=tmp_path).stdout
    assert 'role-changed ed@skn.example: {"role": "editor"} → {"role": "admin"}' in text


def test_bad_input_is_a_clear_message_and_changes_nothing(tmp_path: Path) -> None:
    _init(tmp_path)
    add = ("users", "add", "ed@skn.example", "--role", "editor", "--password-stdin")
    cases = [
        (
            ("users", "add", "ed@skn.example", "--role", "chief", "--password-stdin"),
            PASSWORD,
            "'chief' is not one of 'editor', 'ops', 'admin'",
        ),
        (
            ("users", "add", "not-an-address", "--role", "editor", "--password-stdin"),
            PASSWORD,
            "not an email address",
        ),
        (add, "short", "at least 12 characters"),
        (add, "", "nothing was given on standard input"),
        (add[:-1], PASSWORD, "pass --password-stdin"),
        (("users", "remove", "nobody@skn.example"), None, "no staff account for"),
        (("users", "set-role", "nobody@skn.example", "ops"), None, "no staff account for"),
        (("audit", "--date", "yesterday"), None, "--date must be YYYY-MM-DD"),
        (("audit", "--segment", "nope"), None, "unknown segment 'nope'"),
    ]
    for args, stdin, message in cases:
        r = digest(*args, cwd=tmp_path, stdin=(stdin + "\n" if stdin else ""))
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert json.loads(digest("users", "list", "--json", cwd=tmp_path).stdout) == []
    assert json.loads(digest("audit", "--json", cwd=tmp_path).stdout) == []
    assert _add(tmp_path, "ed@skn.example", "ops").returncode == 0
    r = _add(tmp_path, "ed@skn.example", "ops")
    assert r.returncode == 2 and "ed@skn.example already has an account" in r.stderr
