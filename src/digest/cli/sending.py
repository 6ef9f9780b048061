"""``digest send`` and ``digest resume``: thin commands over the sending use cases.

Exit codes: 0 everyone settled (sent, suppressed), or the send was paused; 1 some
recipients failed or are unknown (or batches are still held for later); 2 usage,
configuration or database; 3 the send stopped at once: the provider refused us outright
(credentials, forbidden, invalid message) or stayed unavailable through every retry of a
batch (the rest stays pending); 4 the edition cannot be sent (skipped, cancelled, held).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from typing import Any

import click

from digest.config import ConfigError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FATAL = 3
EXIT_REFUSED = 4


def _edition_date(app: Any, segment_name: str, value: str | None) -> date:
    from digest.editions import local_today

    if value is None:
        return local_today(app.config.segment(segment_name), app.clock())
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--date"
        ) from None


def _app(ctx: click.Context) -> Any:
    try:
        return ctx.obj.app()
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)


def _fail(message: str, code: int) -> Any:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def summary_lines(report: Any) -> list[str]:
    """The closing summary of a send, one fact per line."""
    lines = [
        f"recipients {report.recipients}: sent {report.sent}, failed {report.failed}, "
        f"suppressed {report.suppressed}, unknown {report.unknown}, pending {report.pending}"
        + (f" (held {report.held})" if report.held else "")
        + (f", in flight elsewhere {report.in_flight}" if report.in_flight else ""),
        f"this run: {report.sent_now} sent in {report.batches_now} batch(es), "
        f"{report.seconds:.1f}s, {report.rate:.0f} recipients/s",
        f"edition status: {report.edition_status}"
        + (
            f" ({report.unknown} unknown, {report.pending} pending)"
            if report.edition_status == "sent" and (report.unknown or report.pending)
            else ""
        ),
    ]
    if report.held and report.next_due:
        due = report.next_due.isoformat()
        lines.append(f"held batches are due from {due}; run send again then")
    if report.unknown:
        lines.append(
            "unknown: the provider may or may not have taken these; they are not re-sent "
            "unless you run `digest send SEGMENT --retry-unknown`"
        )
    if report.note:
        lines.append(report.note)
    return lines


def aborted_message(exc: Any, segment: str, edition_date: date) -> str:
    """What to tell the operator when the send stopped at once (SendAborted), one paragraph."""
    if not exc.outage:
        return (
            f"the send stopped: {exc.reason}; unsent batches stay pending — fix the cause "
            "and run the same command again"
        )
    return (
        f"the send stopped because the provider looks unavailable: {exc.reason}. Nobody was "
        f"marked failed for it: {exc.report.pending} recipient(s) are still pending. Once the "
        f"provider is back (or the host is fixed), `digest send {segment} --date "
        f"{edition_date.isoformat()}` resumes them; nobody already sent gets a second copy."
    )


def _exit_code(report: Any) -> int:
    if report.failed or report.unknown:
        return EXIT_FAILED
    return EXIT_OK


def _confirm(app: Any, segment_name: str, edition_date: date) -> bool:
    """Ask on a terminal, showing what would go out (read from a dry run: nothing written)."""
    from digest.sending import dry_run_edition

    plan = dry_run_edition(app, segment_name, edition_date)
    if not plan.would_send:
        return True  # nothing will go out; the send command says why
    subject = next(iter(plan.subjects.values()), "")
    verb = "resume" if plan.ledger else "send"
    return click.confirm(
        f"{verb} {segment_name} {edition_date} to {plan.recipients} recipient(s) via "
        f"{plan.transport}, subject {subject!r}. Go ahead?",
        default=False,
    )


def dry_run_lines(report: Any) -> list[str]:
    """What a dry run shows: per group, suppressed, subject, and why nothing would go out."""
    head = f"dry run for {report.segment} {report.edition_date}: nothing sent, nothing written"
    lines = [head, f"  edition: {report.edition_status}; {report.articles} article(s)"]
    for g in report.groups:
        zone = f" {g.timezone}" if g.timezone else ""
        lines.append(f"  {g.locale}{zone}: {g.recipients} recipient(s)")
    lines.append(f"  recipients now: {report.recipients}; suppressed: {report.suppressed}")
    for locale, subject in sorted(report.subjects.items()):
        lines.append(f"  subject ({locale}): {subject}")
    if report.ledger:
        lines.append(
            "  the send has begun: "
            + ", ".join(f"{k} {v}" for k, v in report.ledger.items() if k != "batches")
        )
    if not report.would_send:
        lines.append(f"  nothing would be sent: {report.reason}")
    return lines


_SEND_OPTIONS = [
    click.argument("segment"),
    click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there."),
    click.option("--json", "as_json", is_flag=True, help="Print the report as JSON."),
    click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Sender processes (default: the number of CPUs); small sends use one.",
    ),
    click.option(
        "--channel",
        "channels",
        multiple=True,
        type=click.Choice(["email", "webpush", "apprise"]),
        help="Only this channel (repeatable); default: every channel of the segment.",
    ),
]


def _send_options(func: Any) -> Any:
    for option in reversed(_SEND_OPTIONS):
        func = option(func)
    return func


def run_send(
    ctx: click.Context,
    segment: str,
    edition_date: date,
    *,
    as_json: bool,
    workers: int | None,
    channels: tuple[str, ...] = (),
    retry_unknown: bool = False,
) -> None:
    """Send (or resume) the edition, print the report and exit with its code."""
    from digest.cli import cli_actor
    from digest.render import ComplianceError, RenderError
    from digest.send.errors import SendAborted, SendError
    from digest.sending import NotSendable, send_edition

    app = _app(ctx)
    try:
        report = send_edition(
            app,
            segment,
            edition_date,
            actor=cli_actor(),
            retry_unknown=retry_unknown,
            progress=sys.stderr.isatty() and not as_json,
            processes=workers or os.cpu_count() or 1,
            channels=channels or None,
        )
    except NotSendable as exc:
        _fail(str(exc), EXIT_REFUSED)
    except SendAborted as exc:
        if as_json:
            click.echo(
                json.dumps({"error": exc.reason, "outage": exc.outage, **exc.report.as_dict()})
            )
        else:
            for line in summary_lines(exc.report):
                click.echo(line)
        _fail(aborted_message(exc, segment, edition_date), EXIT_FATAL)
    except ComplianceError as exc:
        _fail(f"the email failed the compliance gate; nothing was sent: {exc}", EXIT_FAILED)
    except (RenderError, ConfigError, SendError) as exc:
        _fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for line in summary_lines(report):
            click.echo(line)
    sys.exit(_exit_code(report))


@click.command("send")
@_send_options
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Also re-send recipients whose outcome is unknown (they may get a second copy).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="EMAIL[,EMAIL…]",
    help="Send the edition (already sent) only to these listed people who did not get it.",
)
@click.option(
    "--only-file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Like --only, the addresses read from FILE (one a line, # comments).",
)
@click.pass_context
def send_cmd(
    ctx: click.Context,
    segment: str,
    date_: str | None,
    as_json: bool,
    workers: int | None,
    channels: tuple[str, ...],
    dry_run: bool,
    yes: bool,
    retry_unknown: bool,
    only: tuple[str, ...],
    only_file: Any,
) -> None:
    """Send SEGMENT's edition (build it if needed); running it again resumes, never re-sends.

    Asks for confirmation on a terminal unless --yes; without a terminal (cron, the
    scheduler) it proceeds. A paused send is resumed.
    """
    from digest.sending import dry_run_edition

    app = _app(ctx)
    _check_segment(app, segment)
    edition_date = _edition_date(app, segment, date_)
    if only or only_file is not None:
        _send_only(ctx, segment, edition_date, only, only_file, channels, retry_unknown,
                   as_json=as_json, dry_run=dry_run, yes=yes)  # fmt: skip
    if dry_run:
        report = dry_run_edition(app, segment, edition_date)
        if as_json:
            click.echo(json.dumps(report.as_dict()))
        else:
            for line in dry_run_lines(report):
                click.echo(line)
        sys.exit(EXIT_OK)
    if not yes and sys.stdin.isatty() and sys.stdout.isatty():
        if not _confirm(app, segment, edition_date):
            click.echo("not sent", err=True)
            sys.exit(EXIT_OK)
    run_send(
        ctx,
        segment,
        edition_date,
        as_json=as_json,
        workers=workers,
        channels=channels,
        retry_unknown=retry_unknown,
    )


def _send_only(
    ctx: click.Context,
    segment: str,
    edition_date: date,
    only: tuple[str, ...],
    only_file: Any,
    channels: tuple[str, ...],
    retry_unknown: bool,
    *,
    as_json: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """``--only``/``--only-file``: checks the other options, confirms, sends, exits."""
    from digest.cli.only_send import listed_addresses, run_only

    if retry_unknown:
        _fail("--only does not go with --retry-unknown", EXIT_USAGE)
    if any(c != "email" for c in channels):
        _fail("--only sends email only", EXIT_USAGE)
    addresses, invalid = listed_addresses(only, only_file)
    if not (yes or dry_run) and sys.stdin.isatty() and sys.stdout.isatty():
        what = f"send {segment} {edition_date} to up to {len(addresses)} listed address(es)"
        if not click.confirm(f"{what}. Go ahead?", default=False):
            click.echo("not sent", err=True)
            sys.exit(EXIT_OK)
    run_only(ctx, segment, edition_date, addresses, invalid, as_json=as_json, dry_run=dry_run)


@click.command("resume")
@_send_options
@click.pass_context
def resume_cmd(
    ctx: click.Context,
    segment: str,
    date_: str | None,
    as_json: bool,
    workers: int | None,
    channels: tuple[str, ...],
) -> None:
    """Resume SEGMENT's paused send and go on sending (a plain `digest send` does too)."""
    from digest.cli import cli_actor
    from digest.lifecycle import EditionError
    from digest.sending import resume_edition

    app = _app(ctx)
    _check_segment(app, segment)
    edition_date = _edition_date(app, segment, date_)
    try:
        resume_edition(app, segment, edition_date, actor=cli_actor())
    except EditionError as exc:
        _fail(str(exc), EXIT_REFUSED)
    run_send(ctx, segment, edition_date, as_json=as_json, workers=workers, channels=channels)


def register(cli_group: click.Group) -> None:
    """Add send and resume to the root command group."""
    cli_group.add_command(send_cmd)
    cli_group.add_command(resume_cmd)


def _check_segment(app: Any, segment: str) -> None:
    try:
        app.config.segment(segment)
    except ConfigError as exc:
        _fail(str(exc), EXIT_USAGE)
