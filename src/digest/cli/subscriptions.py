"""Subscription commands: ``serve``, ``subscribers show|unsubscribe``, ``suppressions ...``."""

from __future__ import annotations

import json
import logging
from typing import Any

import click

from digest.addresses import InvalidAddress, normalise_address
from digest.cli import EXIT_FAILED, CliContext, CliError, json_option
from digest.logging_setup import SERVICE_LEVEL
from digest.store.subscriptions import SUPPRESSION_REASONS, Evidence
from digest.text_safety import for_terminal, json_for_terminal, unsafe_character
from digest.web.errors import UnknownSubscriber, WebError

pass_ctx = click.make_pass_decorator(CliContext)
log = logging.getLogger("digest.web")


def _address(email: str) -> str:
    try:
        return normalise_address(email)
    except InvalidAddress as exc:
        raise CliError(for_terminal(str(exc))) from None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _say(line: str, *, err: bool = False) -> None:
    """Print a line holding stored text: control and bidi characters shown, not obeyed."""
    click.echo(for_terminal(line), err=err)


def _say_json(data: Any, **dumps: Any) -> None:
    click.echo(json_for_terminal(json.dumps(data, ensure_ascii=False, **dumps)))


@click.command("serve")
@click.option("--host", default=None, help="Interface to listen on (default: web.host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: web.port).")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Processes serving requests (one per CPU is a good start).",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Proxies trusted to set X-Forwarded-For (the client IP used for rate limits).",
)
@pass_ctx
def serve_cmd(
    obj: CliContext, host: str | None, port: int | None, workers: int, forwarded_allow_ips: str
) -> None:
    """Serve the public subscription pages and provider webhooks with uvicorn.

    Logs (uvicorn's access log included) go through digest's logging set-up: see the root
    options --log-level (default info here) and --log-format.
    """
    from digest.web import create_app
    from digest.web.serving import serve

    obj.service_logging()
    app = obj.app()
    try:
        create_app(app)  # every setting checked (and the signing key made) before serving
    except WebError as exc:
        raise CliError(str(exc)) from None
    bind_host = host or app.config.web.host
    bind_port = port if port is not None else app.config.web.port
    if not 1 <= bind_port <= 65535:
        raise CliError(f"--port must be between 1 and 65535, not {bind_port}")
    _require_free_port(bind_host, bind_port)
    log.info(
        "serving %s on http://%s:%d (%d worker%s)",
        for_terminal(app.config.publication.name),
        bind_host,
        bind_port,
        workers,
        "s" if workers > 1 else "",
    )
    serve(
        app,
        config_path=obj.config_path,
        host=bind_host,
        port=bind_port,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=obj.log_level or SERVICE_LEVEL,
        log_format=obj.log_format,
    )


def _require_free_port(host: str, port: int) -> None:
    """Stop with EXIT_PORT_BUSY (5) when the address is taken, before uvicorn starts."""
    import socket

    from digest.cli import EXIT_PORT_BUSY

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another "
                "`digest serve` running? choose another --port)",
                EXIT_PORT_BUSY,
            ) from None


@click.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_ctx
def show_cmd(obj: CliContext, email: str, as_json: bool) -> None:
    """Status, segments, topics, consent record and suppression of one subscriber."""
    from digest.web.actions import describe_subscriber

    app = obj.app()
    try:
        report = describe_subscriber(app, _address(email))
    except UnknownSubscriber as exc:
        raise CliError(str(exc), EXIT_FAILED) from None
    sub, sup = report.subscriber, report.suppression
    data: dict[str, Any] = {
        "email": sub.email if sub else _address(email),
        "subscriber": None
        if sub is None
        else {
            "id": sub.id,
            "name": sub.name,
            "status": sub.status,
            "segments": list(sub.segments),
            "topics": list(sub.topics),
            "locale": sub.locale,
            "timezone": sub.timezone,
            "paused_until": _iso(sub.paused_until),
            "created_at": _iso(sub.created_at),
            "confirmed_at": _iso(sub.confirmed_at),
        },
        "suppression": None
        if sup is None
        else {
            "reason": sup.reason,
            "source": sup.source,
            "detail": sup.detail,
            "since": _iso(sup.created_at),
        },
        "consents": [
            {
                "action": c.action,
                "at": _iso(c.at),
                "source": c.source,
                "ip": c.ip,
                "user_agent": c.user_agent,
                "wording_version": c.wording_version,
                "detail": c.detail,
            }
            for c in report.consents
        ],
    }
    if as_json:
        _say_json(data, indent=2)
        return
    for line in _report_lines(data["email"], report):
        _say(line)


def _report_lines(email: str, report: Any) -> list[str]:
    """``subscribers show`` as text lines."""
    sub, sup = report.subscriber, report.suppression
    lines = [f"email:        {email}"]
    if sub is None:
        lines.append("subscriber:   (none: the address is only on the suppression list)")
    else:
        lines += [
            f"name:         {sub.name or '-'}",
            f"status:       {sub.status}",
            f"segments:     {', '.join(sub.segments) or '-'}",
            f"topics:       {', '.join(sub.topics) or '-'}",
            f"locale:       {sub.locale}   timezone: {sub.timezone}",
        ]
        if sub.paused_until is not None:
            lines.append(f"paused until: {sub.paused_until.isoformat()}")
        lines.append(f"created:      {sub.created_at.isoformat()}")
        lines.append(f"confirmed:    {_iso(sub.confirmed_at) or '-'}")
    if sup is None:
        lines.append("suppressed:   no")
    else:
        extra = f" ({sup.detail})" if sup.detail else ""
        since = sup.created_at.isoformat()
        lines.append(f"suppressed:   {sup.reason} via {sup.source} since {since}{extra}")
    if report.consents:
        lines.append("consent record:")
        for c in report.consents:
            where = f" ip={c.ip}" if c.ip else ""
            wording = f" wording={c.wording_version}" if c.wording_version else ""
            lines.append(f"  {c.at.isoformat()}  {c.action:<12} {c.source}{where}{wording}")
    return lines


@click.command("unsubscribe")
@click.argument("email")
@json_option
@pass_ctx
def unsubscribe_cmd(obj: CliContext, email: str, as_json: bool) -> None:
    """Unsubscribe an address from everything at once (kept in its consent record)."""
    from digest.web.actions import unsubscribe_email

    app = obj.app()
    address = _address(email)
    try:
        outcome = unsubscribe_email(app, address, Evidence(source="cli"))
    except UnknownSubscriber as exc:
        raise CliError(str(exc), EXIT_FAILED) from None
    if as_json:
        _say_json(
            {"email": address, "outcome": "already" if outcome == "already" else "unsubscribed"}
        )
    elif outcome == "already":
        click.echo(f"{address} was already unsubscribed")
    else:
        click.echo(f"unsubscribed {address} from everything")


@click.group("suppressions")
def suppressions_group() -> None:
    """Addresses that must never be mailed (bounces, complaints, opt-outs, manual)."""


@suppressions_group.command("list")
@click.option("--reason", type=click.Choice(SUPPRESSION_REASONS), default=None)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most N.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@pass_ctx
def list_cmd(obj: CliContext, reason: str | None, limit: int | None, as_json: bool) -> None:
    """List suppressed addresses, newest first."""
    from digest.store.subscriptions import count_suppressions, list_suppressions

    app = obj.app()
    with app.engine.connect() as conn:
        rows = list_suppressions(conn, reason=reason, limit=limit)
        counts = count_suppressions(conn)
    for s in rows:
        if as_json:
            _say_json(
                {
                    "email": s.email,
                    "reason": s.reason,
                    "source": s.source,
                    "detail": s.detail,
                    "since": s.created_at.isoformat(),
                }
            )
        else:
            detail = f"  {s.detail}" if s.detail else ""
            _say(
                f"{s.email:<40} {s.reason:<12} {s.source:<16} "
                f"{s.created_at.strftime('%Y-%m-%d %H:%M')}{detail}"
            )
    if not as_json:
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"
        click.echo(f"{sum(counts.values())} suppressed address(es) ({summary})", err=True)


@suppressions_group.command("add")
@click.argument("email")
@click.option(
    "--reason", type=click.Choice(SUPPRESSION_REASONS), default="manual", show_default=True
)
@click.option("--note", default=None, help="Why, for the record.")
@json_option
@pass_ctx
def add_cmd(obj: CliContext, email: str, reason: str, note: str | None, as_json: bool) -> None:
    """Stop all mail to an address (it need not be a subscriber)."""
    from digest.web.actions import suppress_address

    if note is not None and (said := unsafe_character(note)):
        raise CliError(f"the note contains {said}; write it without")
    app = obj.app()
    address = _address(email)
    changed = suppress_address(app, address, reason, "cli", note)
    if as_json:
        _say_json({"email": address, "reason": reason, "changed": changed})
    elif changed:
        click.echo(f"suppressed {address} ({reason})")
    else:
        click.echo(f"{address} was already suppressed with an equal or stronger reason")


@suppressions_group.command("remove")
@click.argument("email")
@json_option
@pass_ctx
def remove_cmd(obj: CliContext, email: str, as_json: bool) -> None:
    """Lift the suppression of an address (its subscriber status is not changed)."""
    from digest.store.subscriptions import remove_suppression

    app = obj.app()
    address = _address(email)
    with app.engine.begin() as conn:
        removed = remove_suppression(conn, address)
    if not removed:
        raise CliError(f"{address} is not suppressed", EXIT_FAILED)
    if as_json:
        _say_json({"email": address, "removed": True})
    else:
        click.echo(f"removed the suppression of {address}")


def register(cli_group: click.Group, subscribers_group: click.Group) -> None:
    """Add serve and suppressions to the root group, show and unsubscribe to subscribers."""
    cli_group.add_command(serve_cmd)
    cli_group.add_command(suppressions_group)
    subscribers_group.add_command(show_cmd)
    subscribers_group.add_command(unsubscribe_cmd)
