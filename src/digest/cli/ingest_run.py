"""``digest ingest`` and ``digest run``: read the sources; read them, then send what is due.

Both draw a per-source progress bar on a terminal and print JSON with ``--json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import click

from digest.app import App
from digest.cli import EXIT_FAILED, EXIT_FATAL, CliContext, CliError, json_option, progress
from digest.config import Segment
from digest.editions import EditionError, local_today
from digest.text_safety import for_terminal

pass_ctx = click.make_pass_decorator(CliContext)


def ingest_with_progress(app: App, only: Sequence[str] | None, as_json: bool) -> Any:
    """Ingest (all sources, or ``only``), drawing one step per source on a terminal."""
    from digest.ingest import ingest_sources
    from digest.ingest.run import select_sources

    total = len(select_sources(app.config.sources, only))
    with progress.source_progress(progress.wanted(as_json), total) as done:
        return ingest_sources(app, only, on_result=done)


def ingest_dict(report: Any) -> dict[str, Any]:
    """An ingest report as JSON-ready values."""
    return {
        "ok": report.ok,
        "failed": [r.name for r in report.failed],
        "items": report.items,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped_count,
        "sources": [
            {
                "name": r.name,
                "ok": r.ok,
                "error": r.error,
                "not_modified": r.not_modified,
                "kind": r.kind,
                "items": r.items,
                "inserted": r.inserted,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "skipped": [{"item": ident, "reason": why} for ident, why in r.skipped],
                "warnings": list(r.warnings),
            }
            for r in report.sources
        ],
    }


def print_ingest(report: Any) -> None:
    """Each source's outcome, its warnings and skipped items, then a one-line summary."""
    for r in report.sources:
        if not r.ok:
            click.echo(for_terminal(f"  {r.name}: FAILED: {r.error}"), err=True)
            continue
        if r.not_modified:
            click.echo(f"  {r.name}: not modified")
        else:
            click.echo(
                f"  {r.name}: {r.items} items, {r.inserted} new, {r.updated} updated, "
                f"{r.unchanged} unchanged, {len(r.skipped)} skipped"
            )
        for warning in r.warnings:
            click.echo(for_terminal(f"      warning: {warning}"), err=True)
        for ident, reason in r.skipped[:10]:
            # feed text: shown, never obeyed by the terminal
            click.echo(for_terminal(f"      skipped {ident}: {reason}"))
        if len(r.skipped) > 10:
            click.echo(f"      … and {len(r.skipped) - 10} more skipped")
    failed = len(report.failed)
    click.echo(
        f"ingested {len(report.sources) - failed} of {len(report.sources)} source(s)"
        + (f"; {failed} failed" if failed else "")
    )


@click.command("ingest")
@click.option("--source", "only", multiple=True, help="Only this source (repeatable).")
@json_option
@pass_ctx
def ingest_cmd(obj: CliContext, only: tuple[str, ...], as_json: bool) -> None:
    """Fetch every source (or the named ones) and store new and changed articles.

    Each failing source is named with the reason and the rest are still ingested (exit 1).
    On a terminal a progress bar counts the sources.
    """
    app = obj.app()
    known = {s.name for s in app.config.sources}
    unknown = [s for s in only if s not in known]
    if unknown:
        raise CliError(
            f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    report = ingest_with_progress(app, only or None, as_json)
    if as_json:
        click.echo(json.dumps(ingest_dict(report), ensure_ascii=False))
    else:
        print_ingest(report)
    if report.failed:
        sys.exit(EXIT_FAILED)


def _send_one(app: App, segment: str, day: date) -> dict[str, Any]:
    """Send one segment's edition of ``day``: its outcome as JSON-ready values.

    SendAborted propagates: the provider refused us or is down, so the other segments would
    fare no better.
    """
    from digest.cli import cli_actor
    from digest.sending import send_edition

    try:
        report = send_edition(app, segment, day, actor=cli_actor())
    except EditionError as exc:
        return {"segment": segment, "date": day.isoformat(), "error": str(exc)}
    return {"segment": segment, "date": day.isoformat(), "error": None, **report.as_dict()}


def _segment_line(row: dict[str, Any]) -> str:
    head = f"{row['segment']} {row['date']}"
    if row["error"]:
        return f"{head}: {row['error']}"
    already = (
        " (already sent earlier; nothing sent now)" if row["sent"] and not row["sent_now"] else ""
    )
    return (
        f"{head}: {row['recipients']} recipient(s): {row['sent']} sent, {row['failed']} failed, "
        f"{row['suppressed']} suppressed, {row['unknown']} unknown{already}"
    )


def _send_due(
    app: App, due: list[Segment], now: datetime
) -> tuple[list[dict[str, Any]], str | None]:
    """Send each due segment's edition of today; the rows and why it stopped (if it did)."""
    from digest.cli.sending import aborted_message
    from digest.send.errors import SendAborted

    rows: list[dict[str, Any]] = []
    for seg in due:
        day = local_today(seg, now)
        try:
            rows.append(_send_one(app, seg.name, day))
        except SendAborted as exc:
            rows.append(
                {"segment": seg.name, "date": day.isoformat(), "error": exc.reason}
                | {"stopped": True, **exc.report.as_dict()}
            )
            return rows, aborted_message(exc, seg.name, day)
    return rows, None


def _summary(app: App, due: list[Segment], rows: list[dict[str, Any]]) -> dict[str, Any]:
    from digest.segments import count_articles

    n_articles = count_articles(app)
    transport = app.config.transport
    where = (
        f"outbox {transport.outbox.path}"
        if transport.kind == "outbox"
        else f"transport {transport.kind}"
    )
    return {
        "segments": len(due),
        "articles": n_articles,
        "sent_now": sum(r.get("sent_now", 0) for r in rows),
        "destination": where,
    }


@click.command("run")
@click.option(
    "--demo",
    is_flag=True,
    help="Set up the demo: database, sample articles and subscribers; send via the outbox.",
)
@json_option
@pass_ctx
def run_cmd(obj: CliContext, demo: bool, as_json: bool) -> None:
    """Ingest, then build and send every segment due now (with --demo: every segment).

    A segment is due when its schedule has fired today in its time zone. `--demo` first sets
    up the demo (database, sample feed, six demo readers) and sends through the outbox.
    """
    if demo:
        from digest.demo import prepare_demo

        app = obj.adopt(prepare_demo(obj.config(), obj.config_path.resolve().parent))
    else:
        app = obj.app()
    now = app.clock()
    ingested = ingest_with_progress(app, None, as_json)
    if not as_json:
        print_ingest(ingested)
    from digest.segments import due_today

    due = list(app.config.segments) if demo else due_today(app, now)
    rows, stopped = _send_due(app, due, now)
    summary = _summary(app, due, rows)
    if as_json:
        payload = {"demo": demo, "ingest": ingest_dict(ingested), "segments": rows}
        click.echo(json.dumps(payload | {"summary": summary, "error": stopped}, ensure_ascii=False))
    else:
        if not due:
            click.echo("no segment is due now")
        for row in rows:
            if not row.get("stopped"):
                click.echo(_segment_line(row))
        click.echo(
            f"summary: {summary['segments']} segment(s), {summary['articles']} article(s) "
            f"stored, {summary['sent_now']} email(s) sent now to {summary['destination']}"
        )
    if stopped is not None:
        if not as_json:
            click.echo(f"error: {stopped}", err=True)
        sys.exit(EXIT_FATAL)
    if ingested.failed or any(r.get("failed") or r.get("unknown") for r in rows):
        sys.exit(EXIT_FAILED)


def register(group: click.Group) -> None:
    """Add ingest and run to the root group."""
    group.add_command(ingest_cmd)
    group.add_command(run_cmd)
