"""Subscriber commands: add one, import and export (CSV)."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import click

from digest.cli import EXIT_FAILED, CliContext, CliError, json_option
from digest.subscriber_csv import CsvError, RowError
from digest.text_safety import for_terminal, json_for_terminal

pass_ctx = click.make_pass_decorator(CliContext)
MAX_ERRORS_SHOWN = 50
EXIT_INTERRUPTED = 130


@click.group("subscribers")
def subscribers_group() -> None:
    """Manage subscribers."""


@subscribers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
@pass_ctx
def import_cmd(obj: CliContext, file: str, as_json: bool) -> None:
    """Upsert subscribers from a CSV file (columns email,name,locale,timezone,topics,segments).

    A header row is required; lists are separated by `;` (a `status` column, as export
    writes it, is ignored). Each row is checked like `digest subscribers add`; an invalid
    row, or one repeating an earlier row's address, is reported as `FILE:LINE: skipped:
    reason` and skipped (exit 1). All or nothing: the file is imported in one transaction,
    so an import that fails or is interrupted changes nothing. Nobody who left is ever
    re-subscribed.
    """
    from digest.cli import progress
    from digest.subscriber_admin import import_subscribers

    app = obj.app()
    path = Path(file)
    label = for_terminal(file)
    started = time.monotonic()
    shown = [0]

    def show(error: RowError) -> None:
        shown[0] += 1
        if not as_json and shown[0] <= MAX_ERRORS_SHOWN:
            click.echo(f"{label}:{error.line}: skipped: {for_terminal(error.message)}", err=True)

    with progress.row_progress(progress.wanted(as_json), path.stat().st_size, "import") as bar:
        try:
            report = import_subscribers(app, path, on_error=show, on_progress=bar)
        except CsvError as exc:
            raise CliError(f"{label}: {for_terminal(str(exc))}; nothing was imported") from None
        except OSError as exc:
            raise CliError(f"cannot read {label}: {exc.strerror or exc}") from None
        except KeyboardInterrupt:
            raise CliError("interrupted: nothing was imported", EXIT_INTERRUPTED) from None
    took = time.monotonic() - started
    if as_json:
        payload = {
            "file": file,
            "rows": report.rows,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "invalid": len(report.invalid),
            "duplicates": report.duplicate_count,
            "errors": [
                {"line": e.line, "message": e.message} for e in report.invalid + report.duplicates
            ],
            "seconds": round(took, 3),
        }
        click.echo(json_for_terminal(json.dumps(payload, ensure_ascii=False)))
    else:
        if shown[0] > MAX_ERRORS_SHOWN:
            click.echo(f"… {shown[0] - MAX_ERRORS_SHOWN} more skipped row(s) not shown", err=True)
        click.echo(
            f"imported {report.imported} subscriber(s): {report.inserted} new, "
            f"{report.updated} updated, {report.unchanged} unchanged; "
            f"{len(report.invalid)} invalid row(s) and {report.duplicate_count} duplicate(s) "
            f"skipped ({took:.1f} s)"
        )
    if report.skipped:
        sys.exit(EXIT_FAILED)


@subscribers_group.command("add")
@click.argument("email")
@click.option(
    "--segments",
    "segments",
    multiple=True,
    required=True,
    help="Segment(s) the reader gets: repeat, or separate with commas.",
)
@click.option("--topics", multiple=True, help="Topic(s) they follow: repeat, or commas.")
@click.option("--name", default="", help="Their name, used in the greeting.")
@click.option("--locale", default="", help="en or he (default: the first segment's).")
@click.option("--timezone", default="", help="IANA time zone (default: UTC).")
@json_option
@pass_ctx
def add_cmd(
    obj: CliContext,
    email: str,
    segments: tuple[str, ...],
    topics: tuple[str, ...],
    name: str,
    locale: str,
    timezone: str,
    as_json: bool,
) -> None:
    """Add one reader (or update them), checked exactly like a CSV row.

    They are active at once: you vouch for their consent, which is recorded with source
    `cli`. Someone who unsubscribed, bounced or complained is updated but never re-subscribed.
    """
    from digest.subscriber_admin import add_subscriber
    from digest.subscriber_csv import InvalidSubscriber, check_subscriber, split_list

    app = obj.app()
    try:
        entry = check_subscriber(
            app.config,
            email,
            name=name.strip(),
            locale=locale.strip(),
            timezone=timezone.strip(),
            topics=split_list(",".join(topics), ","),
            segments=split_list(",".join(segments), ","),
        )
    except InvalidSubscriber as exc:
        raise CliError(str(exc)) from None
    report = add_subscriber(app, entry)
    if as_json:
        data = {
            "email": report.email,
            "outcome": report.outcome,
            "status": report.status,
            "segments": list(report.segments),
            "suppressed": report.suppressed,
            "receives_mail": report.receives_mail,
        }
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(f"{report.outcome} {report.email}: {', '.join(report.segments)}")
        if report.status != "active":
            click.echo(
                f"note: {report.email} is {report.status}; they get no mail until they "
                "subscribe again themselves",
                err=True,
            )
        if report.suppressed:
            click.echo(
                f"note: {report.email} is suppressed ({report.suppressed}); see "
                "`digest suppressions`",
                err=True,
            )


@subscribers_group.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True), help="File (default stdout)."
)
@pass_ctx
def export_cmd(obj: CliContext, out: str | None) -> None:
    """Write every subscriber as CSV (the import columns plus status).

    A cell a spreadsheet would run as a formula starts with ' (the import removes it again).
    """
    from digest.subscriber_admin import export_subscribers

    app = obj.app()
    fh = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        csv.writer(fh, lineterminator="\n").writerows(export_subscribers(app))
    finally:
        if out:
            fh.close()


def register(group: click.Group) -> None:
    """Add the subscribers group to the root group."""
    group.add_command(subscribers_group)
