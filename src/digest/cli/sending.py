"""``digest send``, ``digest status`` and ``digest cancel``: thin commands over the use cases.

Exit codes: 0 everyone settled (sent, suppressed); 1 some recipients failed or are unknown
(or batches are still held for later); 2 usage, configuration or database; 3 the send
stopped at once: the provider refused us outright (credentials, forbidden, invalid message)
or stayed unavailable through every retry of a batch (the rest stays pending).
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
        f"edition status: {report.edition_status}",
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
    from digest.editions import build_edition
    from digest.store.deliveries import delivery_counts, is_planned
    from digest.store.subscribers import count_segment_recipients

    edition = build_edition(app, segment_name, edition_date)
    if edition.status in ("skipped", "cancelled", "sent") or edition.id is None:
        return True  # nothing will go out; the send command says why
    with app.engine.connect() as conn:
        if is_planned(conn, edition.id):
            left = delivery_counts(conn, edition.id).pending
            what = f"resume {segment_name} {edition_date}: {left} recipient(s) still to send"
        else:
            n = count_segment_recipients(conn, app.config.segment(segment_name), app.clock())
            what = f"send {segment_name} {edition_date} to {n} recipient(s)"
    return click.confirm(f"{what} via {app.config.transport.kind}. Go ahead?", default=False)


def register(cli_group: click.Group) -> None:
    """Add send, status and cancel to the root command group."""

    @cli_group.command("send")
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--dry-run", is_flag=True, help="Render and count; send and write nothing.")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
    @click.option(
        "--retry-unknown",
        is_flag=True,
        help="Also re-send batches whose outcome is unknown (may duplicate those).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Sender processes (default: the number of CPUs); small sends use one.",
    )
    @click.pass_context
    def send_cmd(
        ctx: click.Context,
        segment: str,
        date_: str | None,
        dry_run: bool,
        yes: bool,
        retry_unknown: bool,
        as_json: bool,
        workers: int | None,
    ) -> None:
        """Send SEGMENT's edition (build it if needed); running it again resumes, never re-sends.

        Asks for confirmation on a terminal unless --yes; without a terminal (cron, the
        scheduler) it proceeds.
        """
        from digest.editions import EditionCancelled, EditionSkipped, send_edition
        from digest.render import ComplianceError, RenderError
        from digest.send.errors import SendAborted, SendError

        app = _app(ctx)
        try:
            edition_date = _edition_date(app, segment, date_)
            if not (yes or dry_run) and sys.stdin.isatty() and sys.stdout.isatty():
                if not _confirm(app, segment, edition_date):
                    click.echo("not sent", err=True)
                    sys.exit(EXIT_OK)
            report = send_edition(
                app,
                segment,
                edition_date,
                retry_unknown=retry_unknown,
                dry_run=dry_run,
                progress=sys.stderr.isatty() and not as_json,
                processes=workers or os.cpu_count() or 1,
            )
        except (EditionSkipped, EditionCancelled) as exc:
            click.echo(str(exc))
            sys.exit(EXIT_OK)
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
        except (RenderError, ConfigError) as exc:
            _fail(str(exc), EXIT_USAGE)
        except SendError as exc:
            _fail(str(exc), EXIT_USAGE)
        if as_json:
            click.echo(json.dumps(report.as_dict()))
        elif dry_run:
            click.echo(f"dry run for {segment} {edition_date}: nothing sent, nothing written")
            for locale, n in sorted(report.variants.items()):
                click.echo(f"  variant {locale}: {n} recipient(s)")
            click.echo(f"  recipients now: {report.recipients}")
            if report.note:
                click.echo(f"  {report.note}")
        else:
            for line in summary_lines(report):
                click.echo(line)
        sys.exit(EXIT_OK if dry_run else _exit_code(report))

    @cli_group.command("status")
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
    @click.pass_context
    def status_cmd(ctx: click.Context, segment: str, date_: str | None, as_json: bool) -> None:
        """Where SEGMENT's edition stands: its state, its history and every recipient's outcome."""
        from digest.sending import edition_status

        app = _app(ctx)
        try:
            app.config.segment(segment)
        except ConfigError as exc:
            _fail(str(exc), EXIT_USAGE)
        edition_date = _edition_date(app, segment, date_)
        view = edition_status(app, segment, edition_date)
        data = view.as_dict()
        if as_json:
            click.echo(json.dumps(data))
        elif view.edition is None:
            click.echo(f"{segment} {edition_date}: no edition yet")
        else:
            click.echo(f"{segment} {edition_date}: edition {view.edition.id}, {view.state}")
            if view.edition.skip_reason:
                click.echo(f"  skipped: {view.edition.skip_reason}")
            for key in STATUS_KEYS:
                click.echo(f"  {key.replace('_', ' ')}: {data[key]}")
            for h in view.history:
                why = f" — {h.reason}" if h.reason else ""
                click.echo(f"  {h.at.isoformat()} {h.action} → {h.state} by {h.by}{why}")
        sys.exit(EXIT_FAILED if data["failed"] or data["unknown"] else EXIT_OK)

    for name, verb in (("pause", "pause"), ("cancel", "cancel")):
        cli_group.add_command(_state_command(name, verb))

    @cli_group.command("resume")
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Sender processes (default: the number of CPUs); small sends use one.",
    )
    @click.pass_context
    def resume_cmd(
        ctx: click.Context, segment: str, date_: str | None, as_json: bool, workers: int | None
    ) -> None:
        """Resume SEGMENT's paused send and go on sending (the same as `digest send`)."""
        from digest.cli import cli_actor
        from digest.lifecycle import EditionError
        from digest.sending import resume_edition

        app = _app(ctx)
        try:
            app.config.segment(segment)
        except ConfigError as exc:
            _fail(str(exc), EXIT_USAGE)
        edition_date = _edition_date(app, segment, date_)
        try:
            resume_edition(app, segment, edition_date, actor=cli_actor())
        except EditionError as exc:
            _fail(str(exc), EXIT_USAGE)
        ctx.invoke(
            send_cmd,
            segment=segment,
            date_=edition_date.isoformat(),
            dry_run=False,
            yes=True,
            retry_unknown=False,
            as_json=as_json,
            workers=workers,
        )


STATUS_KEYS = (
    "recipients",
    "sent",
    "failed",
    "suppressed",
    "unknown",
    "pending",
    "held",
    "in_flight",
)

_STATE_HELP = {
    "pause": "Pause SEGMENT's running send: every sender stops after its in-flight batches; "
    "`digest resume` (or `digest send`) goes on.",
    "cancel": "Cancel SEGMENT's edition for good: every sender stops after its in-flight "
    "batches and nothing more is sent.",
}


def _state_command(name: str, verb: str) -> click.Command:
    """``digest pause`` or ``digest cancel``: one lifecycle change, then what is left."""

    @click.command(name, help=_STATE_HELP[name])
    @click.argument("segment")
    @click.option("--date", "date_", help="Edition date (YYYY-MM-DD); default: today there.")
    @click.option("--reason", help="Why (recorded in the edition's history).")
    @click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
    @click.pass_context
    def command(
        ctx: click.Context, segment: str, date_: str | None, reason: str | None, as_json: bool
    ) -> None:
        from digest.cli import cli_actor
        from digest.lifecycle import EditionError
        from digest.sending import cancel_edition, edition_status, pause_edition

        app = _app(ctx)
        try:
            app.config.segment(segment)
        except ConfigError as exc:
            _fail(str(exc), EXIT_USAGE)
        edition_date = _edition_date(app, segment, date_)
        change = pause_edition if verb == "pause" else cancel_edition
        try:
            state = change(app, segment, edition_date, actor=cli_actor(), reason=reason)
        except EditionError as exc:
            _fail(str(exc), EXIT_USAGE)
        view = edition_status(app, segment, edition_date)
        counts = view.as_dict()
        if as_json:
            click.echo(json.dumps(counts))
            return
        click.echo(
            f"{segment} {edition_date} {state}; running senders stop after their in-flight batches"
        )
        click.echo(
            f"  sent {counts['sent']}, not sent {counts['pending']}, in flight "
            f"{counts['in_flight']}, unknown {counts['unknown']}"
        )

    return command
