"""``digest send SEGMENT --only EMAIL[,EMAIL…]`` / ``--only-file FILE``: the printing side.

Exit codes: 0 every listed address has the edition now (or had it already); 1 some listed
address did not get it (unknown, not in the segment, suppressed, failed …: each is named);
2 bad usage; 3 the provider stopped the send (as ``digest send``); 4 the edition is not one
that went out (not sent yet, paused, cancelled).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import IO, Any

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_FATAL, EXIT_REFUSED = 0, 1, 2, 3, 4


def listed_addresses(
    only: tuple[str, ...], only_file: IO[str] | None
) -> tuple[list[str], list[str]]:
    """The addresses of --only and --only-file: (valid ones without repeats, invalid ones)."""
    from digest.only_send import read_addresses

    values = list(only)
    if only_file is not None:
        values.append(only_file.read())
    return read_addresses(values)


def report_lines(report: Any) -> list[str]:
    """What --only did, one address a line, grouped."""
    verb = "would send to" if report.dry_run else ("queued for" if report.queued else "sent to")
    lines = []
    for address in report.to_send:
        outcome = report.outcome.get(address)
        shown = f" ({outcome})" if outcome and outcome != "sent" else ""
        lines.append(f"{verb} {address}{shown}")
    lines += [f"not sent to {a}: {why}" for a, why in report.skipped]
    lines += [f"not sent to {a}: not a subscriber" for a in report.unknown]
    lines += [f"not sent to {a!r}: not an email address" for a in report.invalid]
    if report.queued and not report.dry_run:
        lines.append("the send of this edition is still running: it takes them with the rest")
    if not report.to_send:
        lines.append("nothing was sent")
    return lines


def run_only(
    ctx: click.Context,
    segment: str,
    edition_date: date,
    addresses: list[str],
    invalid: list[str],
    *,
    as_json: bool,
    dry_run: bool,
) -> None:
    """Send to the listed addresses, print what happened, exit with its code."""
    from digest.cli import cli_actor
    from digest.cli.sending import aborted_message
    from digest.only_send import OnlyRefused, send_only
    from digest.send.errors import SendAborted

    app = ctx.obj.app()
    if not addresses and not invalid:
        click.echo("error: --only/--only-file list no address", err=True)
        sys.exit(EXIT_USAGE)
    try:
        report = send_only(
            app, segment, edition_date, addresses, actor=cli_actor(), invalid=invalid,
            dry_run=dry_run,
        )  # fmt: skip
    except OnlyRefused as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    except SendAborted as exc:
        click.echo(f"error: {aborted_message(exc, segment, edition_date)}", err=True)
        sys.exit(EXIT_FATAL)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        for line in report_lines(report):
            click.echo(line)
    sys.exit(EXIT_OK if report.complete or dry_run else EXIT_FAILED)
