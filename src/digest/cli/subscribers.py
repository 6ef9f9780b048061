"""Subscriber commands: import and export (CSV)."""

from __future__ import annotations

import csv
import sys
import time

import click

from digest.cli import EXIT_FAILED, CliContext, CliError
from digest.store.subscribers import SubscriberInput, upsert_subscribers
from digest.subscriber_csv import COLUMNS, CsvError, RowError, export_row, parse_rows

pass_ctx = click.make_pass_decorator(CliContext)
CHUNK = 5000
MAX_ERRORS_SHOWN = 50


@click.group("subscribers")
def subscribers_group() -> None:
    """Manage subscribers."""


@subscribers_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def import_cmd(obj: CliContext, file: str) -> None:
    """Upsert subscribers from a CSV (email,name,locale,timezone,topics,segments)."""
    app = obj.app()
    started = time.monotonic()
    inserted = updated = 0
    errors: list[RowError] = []
    chunk: list[SubscriberInput] = []

    def flush() -> None:
        nonlocal inserted, updated
        if chunk:
            with app.engine.begin() as conn:
                res = upsert_subscribers(conn, chunk, app.clock(), source=f"csv-import:{file}")
            inserted += res.inserted
            updated += res.updated
            chunk.clear()

    try:
        with open(file, encoding="utf-8-sig", newline="") as fh:
            for item in parse_rows(fh, app.config):
                if isinstance(item, RowError):
                    errors.append(item)
                    if len(errors) <= MAX_ERRORS_SHOWN:
                        click.echo(f"{file}:{item.line}: skipped: {item.message}", err=True)
                    continue
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    flush()
            flush()
    except CsvError as exc:
        raise CliError(f"{file}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if len(errors) > MAX_ERRORS_SHOWN:
        click.echo(f"… {len(errors) - MAX_ERRORS_SHOWN} more invalid row(s) not shown", err=True)
    took = time.monotonic() - started
    click.echo(
        f"imported {inserted + updated} subscriber(s): {inserted} new, {updated} updated, "
        f"{len(errors)} invalid row(s) skipped ({took:.1f} s)"
    )
    if errors:
        sys.exit(EXIT_FAILED)


@subscribers_group.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True), help="File (default stdout)."
)
@pass_ctx
def export_cmd(obj: CliContext, out: str | None) -> None:
    """Write every subscriber as CSV (the import columns plus status)."""
    from digest.store.subscribers import iter_subscribers_for_export

    app = obj.app()
    fh = open(out, "w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([*COLUMNS, "status"])
        with app.engine.connect() as conn:
            for record in iter_subscribers_for_export(conn):
                writer.writerow(export_row(record))
    finally:
        if out:
            fh.close()


def register(group: click.Group) -> None:
    """Add the subscribers group to the root group."""
    group.add_command(subscribers_group)
