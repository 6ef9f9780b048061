"""Staff commands: ``digest users add|list|remove|set-role|set-password`` and ``digest audit``."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from digest.audit import audit_log, cli_actor
from digest.cli import CliContext, CliError, json_option
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

pass_ctx = click.make_pass_decorator(CliContext)
ROLE_CHOICE = click.Choice([r.value for r in Role], case_sensitive=False)


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CliError("--password-stdin: nothing was given on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError(
            "no terminal to ask for the password on: pass --password-stdin and give it on "
            "standard input"
        )
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("users")
def users_group() -> None:
    """Manage staff accounts for the desk (editors, ops, admins)."""


@users_group.command("add")
@click.argument("email")
@click.option("--role", "role", type=ROLE_CHOICE, required=True, help="editor, ops or admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
@json_option
@pass_ctx
def add_cmd(obj: CliContext, email: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create a staff account (the password is asked for, or read with --password-stdin)."""
    app = obj.app()
    password = _read_password(password_stdin)
    try:
        user = add_user(app, email, parse_role(role), password, actor=cli_actor())
    except StaffError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"email": user.email, "role": user.role.value, "outcome": "added"}))
    else:
        click.echo(f"added {user.email} ({user.role.value})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def list_cmd(obj: CliContext, as_json: bool) -> None:
    """Every staff account with its role."""
    users = list_users(obj.app())
    if as_json:
        rows = [
            {
                "email": u.email,
                "role": u.role.value,
                "created_at": u.created_at.isoformat(),
                "updated_at": u.updated_at.isoformat(),
            }
            for u in users
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not users:
        click.echo("no staff accounts yet: add one with `digest users add EMAIL --role admin`")
    for u in users:
        click.echo(f"{u.email}\t{u.role.value}\tsince {u.created_at:%Y-%m-%d}")


@users_group.command("remove")
@click.argument("email")
@json_option
@pass_ctx
def remove_cmd(obj: CliContext, email: str, as_json: bool) -> None:
    """Delete a staff account; its sessions end at once."""
    try:
        remove_user(obj.app(), email, actor=cli_actor())
    except StaffError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"email": email.strip().lower(), "outcome": "removed"}))
    else:
        click.echo(f"removed {email.strip().lower()}")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLE_CHOICE)
@json_option
@pass_ctx
def set_role_cmd(obj: CliContext, email: str, role: str, as_json: bool) -> None:
    """Give a staff account another role (effective on its next request)."""
    try:
        user = set_role(obj.app(), email, parse_role(role), actor=cli_actor())
    except StaffError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"email": user.email, "role": user.role.value}))
    else:
        click.echo(f"{user.email} is now {user.role.value}")


@users_group.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
@json_option
@pass_ctx
def set_password_cmd(obj: CliContext, email: str, password_stdin: bool, as_json: bool) -> None:
    """Give a staff account a new password; it is signed out everywhere."""
    app = obj.app()
    password = _read_password(password_stdin)
    try:
        ended = set_password(app, email, password, actor=cli_actor())
    except StaffError as exc:
        raise CliError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"email": email.strip().lower(), "sessions_ended": ended}))
    else:
        click.echo(f"password changed for {email.strip().lower()}; {ended} session(s) ended")


@click.command("audit")
@click.option("--segment", help="Only actions on this segment's editions.")
@click.option("--date", "date_s", help="Only actions on the edition of this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def audit_cmd(
    obj: CliContext, segment: str | None, date_s: str | None, limit: int, as_json: bool
) -> None:
    """What staff did, newest first: who, what, when, which edition, before and after."""
    edition_date = None
    if date_s is not None:
        try:
            edition_date = date.fromisoformat(date_s)
        except ValueError:
            raise CliError(f"--date must be YYYY-MM-DD, got {date_s!r}") from None
    entries = audit_log(obj.app(), segment=segment, edition_date=edition_date, limit=limit)
    if as_json:
        rows = [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "segment": e.segment,
                "edition_date": e.edition_date.isoformat() if e.edition_date else None,
                "target": e.target,
                "before": e.before,
                "after": e.after,
                "client": e.client,
            }
            for e in entries
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo("nothing recorded yet")
    for e in entries:
        where = f" {e.segment} {e.edition_date}" if e.segment else ""
        what = f" {e.target}" if e.target else ""
        change = ""
        if e.before is not None:
            change = f": {json.dumps(e.before, ensure_ascii=False)} →"
        if e.after is not None:
            change = (change or ":") + f" {json.dumps(e.after, ensure_ascii=False)}"
        click.echo(f"{e.at:%Y-%m-%d %H:%M:%S}Z {e.actor} {e.action}{where}{what}{change}")


def register(group: click.Group) -> None:
    """Add the staff commands to the root group."""
    group.add_command(users_group)
    group.add_command(audit_cmd)
